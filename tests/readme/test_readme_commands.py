"""The README is the first test: every command it shows runs here, as a user would type it.

`make demo` runs first, from a clean state on its own port and state folder; it starts in the
background before the session's first test (tests/readme/demo_run.py). The commands after it
run in a bash shell against the emulator the demo leaves running, after `eval "$(kit local env)"`,
in an order that tells a story: inspect, train, promote to staging, approve and promote to prod,
roll back, serve, check drift, deploy with cdktf, the benchmarks at small sizes, and finally
`kit local down`.

`test_every_readme_command_has_a_step` keeps this file and the README in step: a command added to
the README without a step here fails it, and so does a step whose command left the README.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.readme.demo_run import DEV_DEPLOY_ROLE, MODEL, REPO, DemoRun, Lifecycle, client_as

README = REPO / "README.md"
PLATFORM = "mlkit-platform"  # deploys and teardowns act as the platform (README: Identities)
COMMAND_START = re.compile(r"(AWS_PROFILE=\S+ )?(kit|make|npx|eval|\.venv/bin/python)(\s|$)")


def readme_commands(text: str) -> list[str]:
    """Each line of a ```bash block (its comment cut off), and each `kit|make|npx|eval ...` span in the
    prose, in README order, once."""
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = re.split(r"\s#\s|^#", line.strip(), maxsplit=1)[0].strip()
            if command:
                found.append(command)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    found += [span for span in re.findall(r"`([^`\n]+)`", prose) if COMMAND_START.match(span)]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Step:
    readme: str  # the command exactly as the README shows it
    run: str | None = None  # what runs (README placeholders filled in); None: `readme` itself
    expect: int = 0
    contains: tuple[str, ...] = ()  # text the output must show
    profile: str | None = None  # an AWS profile of local mode to act as (after `kit local env`)
    prepare: Callable[[Lifecycle], None] | None = None  # computes facts `run` refers to
    check: Callable[[Lifecycle, str], None] | None = None
    reference: bool = False  # the README names the command in prose; the step shows it exists


# ----------------------------------------------------------------------------------------- helpers


def _kit_json(lifecycle: Lifecycle, *args: str) -> object:
    done = _shell(lifecycle, "kit " + " ".join(args))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _serving_version(lifecycle: Lifecycle, env: str) -> int:
    rows = _kit_json(lifecycle, "models", "list", "--env", env, "--json")
    assert isinstance(rows, list)
    serving = [int(row["version"]) for row in rows if row.get("serving")]
    assert serving, f"{env} serves no version"
    return serving[0]


def _remember_staging_version(lifecycle: Lifecycle) -> None:
    lifecycle.facts["staging_version"] = str(_serving_version(lifecycle, "staging"))


def _remember_latest_execution(lifecycle: Lifecycle) -> None:
    rows = _kit_json(lifecycle, "pipeline", "list", "--env", "dev", "--json")
    assert isinstance(rows, list) and rows, "no pipeline executions in dev"
    lifecycle.facts["execution"] = str(rows[0]["arn"]).rsplit("/", 1)[-1]


def _write_inputs(lifecycle: Lifecycle) -> None:
    """rows.csv / rows.json from the demo's normal traffic, and baseline.json of dev's first version."""

    normal = lifecycle.state / "demo" / "normal.csv"
    rows = [[float(v) for v in line.split(",")] for line in normal.read_text().splitlines()[:5]]
    (lifecycle.work / "rows.csv").write_text("\n".join(normal.read_text().splitlines()[:20]) + "\n")
    (lifecycle.work / "rows.json").write_text(json.dumps({"instances": rows}))
    shown = _kit_json(lifecycle, "models", "show", MODEL, "1", "--env", "dev", "--json")
    assert isinstance(shown, dict)
    uri = shown["lineage"]["drift_baseline_uri"]
    bucket, key = uri[5:].split("/", 1)
    s3 = client_as(lifecycle.port, DEV_DEPLOY_ROLE, "s3")
    s3.download_file(bucket, key, str(lifecycle.work / "baseline.json"))
    # today.csv: the demo's normal traffic under the baseline's column names, as a user's export has.
    baseline = json.loads((lifecycle.work / "baseline.json").read_text())
    header = ",".join(feature["name"] for feature in baseline["features"])
    (lifecycle.work / "today.csv").write_text(header + "\n" + normal.read_text())


def _write_labels(lifecycle: Lifecycle) -> None:
    (lifecycle.work / "labels.csv").write_text("inference_id,label\nreq-1,1\nreq-2,0\nreq-3,benign\n")


def _definition_is_a_pipeline(lifecycle: Lifecycle, output: str) -> None:
    definition = json.loads((lifecycle.work / "definition.json").read_text())
    names = [step["Name"] for step in definition["Steps"]]
    assert "Train" in " ".join(names) or any("train" in n.lower() for n in names), names


def _report_written(lifecycle: Lifecycle, output: str) -> None:
    report = json.loads(output)
    assert report["drifted"] is False and report["features"], report
    assert "<html" in (lifecycle.work / "report.html").read_text().lower()


def _drift_found(lifecycle: Lifecycle, output: str) -> None:
    report = json.loads(output)
    assert report["drifted"] is True
    assert any(feature["drifted"] for feature in report["features"])


def _promoted_to(env: str) -> Callable[[Lifecycle, str], None]:
    def check(lifecycle: Lifecycle, output: str) -> None:
        assert "promoted" in output.lower() or "serving" in output.lower(), output[-2000:]
        if env == "prod":
            assert _serving_version(lifecycle, "prod") == int(lifecycle.facts["staging_version"])

    return check


def _rolled_back(lifecycle: Lifecycle, output: str) -> None:
    assert _serving_version(lifecycle, "staging") < int(lifecycle.facts["staging_version"])


# ------------------------------------------------------------------------------------------- steps

BENCHMARK_NOTE = "README shows the full-size run; the test runs the same script at a small size"

STEPS: list[Step] = [
    # `make demo` itself runs in the `lifecycle` fixture; its step checks the summary.
    Step("make demo", contains=("Time per stage",)),
    Step("make setup"),
    Step("kit env list", contains=("dev", "staging", "prod")),
    Step("kit env show prod", contains=("333333333333",)),
    Step("kit env show ENV", run="kit env show staging --json", contains=('"name": "staging"',)),
    Step("kit env validate"),
    Step("kit env validate --file environments/dev.yaml"),
    Step("kit env diff staging prod", contains=("min_metrics",)),
    Step("kit models check", contains=("tumor-classifier: ok", "wine-classifier: ok")),
    Step("kit models check wine-classifier", contains=("wine-classifier: ok", "1 categorical")),
    Step(
        "kit models check --path models/wine-classifier [--json]",
        run="kit models check --path models/wine-classifier --json",
        contains=('"task": "multiclass_classification"',),
    ),
    Step("kit local up", contains=("127.0.0.1",)),
    Step("kit local status"),
    Step("kit local env", contains=("AWS_ENDPOINT_URL",)),
    Step('eval "$(kit local env)"', run='eval "$(kit local env)" && echo "endpoint=$AWS_ENDPOINT_URL"'),
    Step(
        'eval "$(kit local env --profile mlkit-platform)"',
        run='eval "$(kit local env --profile mlkit-platform)" && python -c '
        "\"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])\"",
        contains=("arn:aws:iam::123456789012:root",),
    ),
    # the running emulator evaluates IAM; another mode needs a restart
    Step("kit local up --no-iam", expect=2, contains=("runs with IAM evaluation on",)),
    # train
    Step(
        "kit pipeline run --env dev [--param LearningRate=0.05 --param NEstimators=200 "
        "--param DataUri=s3://...] [--no-wait] [--json]",
        run="kit pipeline run --env dev --param LearningRate=0.05 --param NEstimators=200 --json",
        contains=('"Succeeded"',),
    ),
    Step("kit pipeline run", reference=True),
    Step(
        "kit pipeline status [EXECUTION] --env dev [--json]",
        run="kit pipeline status {execution} --env dev --json",
        prepare=_remember_latest_execution,
        contains=("Succeeded",),
    ),
    Step("kit pipeline list --env dev [--json]", run="kit pipeline list --env dev --json"),
    Step("kit pipeline list --env dev", contains=("Succeeded",)),
    Step("kit pipeline show --env dev"),
    Step(
        "kit pipeline definition --env dev > definition.json",
        run="kit pipeline definition --env dev > {work}/definition.json",
        check=_definition_is_a_pipeline,
    ),
    # the registries
    Step("kit models list --env staging [--json]", run="kit models list --env staging --json"),
    Step(
        "kit models show tumor-classifier 3 --env staging [--json]",
        run="kit models show tumor-classifier 1 --env staging --json",
        contains=('"lineage"',),
    ),
    # promote the new dev version to staging, card it, approve it for prod as a second identity, promote
    Step(
        "kit promote tumor-classifier --to staging [--version N] [--dry-run] [--yes] [--json]",
        run="kit promote tumor-classifier --to staging --dry-run",
        contains=("dry run",),
    ),
    Step(
        "kit promote tumor-classifier --to staging [--version N] [--dry-run] [--yes] [--json]",
        run="kit promote tumor-classifier --to staging --yes --json",
        check=_promoted_to("staging"),
    ),
    Step("kit promote", reference=True),
    Step(
        "kit models card tumor-classifier 2 --env staging [--html card.html]",
        run="kit models card tumor-classifier {staging_version} --env staging --html {work}/card.html",
        prepare=_remember_staging_version,
        contains=("model card", "sha256"),
    ),
    Step(
        "AWS_PROFILE=mlkit-prod-approver kit approve tumor-classifier 2 --env prod "
        '--comment "baked a week in staging"',
        run="AWS_PROFILE=mlkit-prod-approver kit approve tumor-classifier {staging_version} --env prod "
        '--comment "baked a week in staging"',
        prepare=_remember_staging_version,
    ),
    Step("kit approve", reference=True),
    Step(
        "AWS_PROFILE=mlkit-release-prod kit promote tumor-classifier --to prod --version 2 --yes",
        run="AWS_PROFILE=mlkit-release-prod kit promote tumor-classifier --to prod "
        "--version {staging_version} --yes",
        check=_promoted_to("prod"),
    ),
    Step("kit models list --env prod", contains=("tumor-classifier",)),
    Step(
        "kit rollback --env staging [--to VERSION] [--yes]",
        run="kit rollback --env staging --yes",
        check=_rolled_back,
    ),
    Step("kit rollback", reference=True),
    Step("kit audit --env prod [--json]", run="kit audit --env prod --json", contains=('"promoted"',)),
    Step("kit audit --env prod", contains=("promoted",)),
    Step(
        "kit audit verify --env prod [--json]",
        run="kit audit verify --env prod --json",
        contains=('"intact": true',),
    ),
    Step("kit audit verify --env ENV", run="kit audit verify --env prod", contains=("intact",)),
    Step("kit models show", reference=True),
    Step("kit models card MODEL VERSION --env ENV [--html FILE]", run="kit models card --help"),
    # serve
    Step(
        "kit endpoint invoke --env prod --data rows.csv [--content-type application/json] [--json]",
        run="kit endpoint invoke --env prod --data {work}/rows.csv --json",
        prepare=_write_inputs,
        contains=('"response"',),
    ),
    Step(
        "kit endpoint invoke --env prod --data rows.csv [--content-type application/json] [--json]",
        run="kit endpoint invoke --env prod --data {work}/rows.json --content-type application/json",
    ),
    Step("kit endpoint invoke", reference=True),
    Step("kit endpoint verify", reference=True),
    Step("kit shadow start", reference=True),
    Step("kit shadow report", reference=True),
    Step("kit shadow stop", reference=True),
    Step(
        "kit endpoint status --env prod [--json]",
        run="kit endpoint status --env prod --json",
        contains=("InService",),
    ),
    # drift
    Step(
        "kit drift run --baseline baseline.json --current today.csv [--json] [--html report.html]",
        run="kit drift run --baseline {work}/baseline.json --current {work}/today.csv --json "
        "--html {work}/report.html",
        check=_report_written,
    ),
    Step(
        "kit drift baseline train.csv [-o baseline.json] [--categorical COL ...]",
        run="kit drift baseline {work}/today.csv -o {work}/today-baseline.json",
        contains=("baseline of",),
    ),
    Step("kit drift baseline", reference=True),
    Step(
        "kit drift run --env prod [--since 24h] [--json]",
        run="kit drift run --env prod --since 24h --json",
        expect=3,  # the demo's shifted traffic is inside the window
        check=_drift_found,
    ),
    Step("kit drift run --env prod", expect=3, contains=("drift",)),
    # ground truth: labels upload (bad rows counted); the demo's traffic carries no inference ids, so
    # no answer has a label and the quality check refuses, naming what to do
    Step(
        "kit labels upload labels.csv --env prod [--model M] [--id-column C] [--label-column C] [--json]",
        run="kit labels upload {work}/labels.csv --env prod --json",
        prepare=_write_labels,
        contains=('"labels": 2', '"wrong_type": 1'),
    ),
    Step("kit labels upload", reference=True),
    Step(
        "kit quality run --env prod [--model M] [--since 24h] [--json]",
        run="kit quality run --env prod --since 24h --json",
        expect=2,
        contains=("has a label", "2 unknown ids"),
    ),
    Step("kit quality run", reference=True),
    # the platform path: the README's cdktf commands, against the emulator the demo deployed into
    Step("npx cdktf synth --hcl", check=lambda lc, out: _has_hcl()),
    Step(
        "npx cdktf deploy dev",
        run="npx cdktf deploy dev --auto-approve",  # the README user answers the prompt
        profile=PLATFORM,
        check=lambda lc, out: _deployed(out),
    ),
    # tearing dev down: refused for prod, then dev and nothing of it is left
    Step(
        "kit env teardown ENV [--yes] [--json]",
        run="kit env teardown prod --yes",
        profile=PLATFORM,
        expect=2,
        contains=("ENV: environment prod does not allow teardown",),
    ),
    Step("kit env teardown", reference=True),
    Step(
        "kit env teardown dev --yes",
        contains=("dev torn down",),
        check=lambda lc, out: _dev_is_gone(lc),
        profile=PLATFORM,
    ),
    # benchmarks, small
    Step(
        ".venv/bin/python benchmarks/synth.py",
        run=".venv/bin/python benchmarks/synth.py --repeats 1",
        contains=("ratio",),
    ),
    Step(
        ".venv/bin/python benchmarks/pipeline.py",
        run=".venv/bin/python benchmarks/pipeline.py --builds 1 --skip-run",
    ),
    Step(".venv/bin/python benchmarks/cli.py", run=".venv/bin/python benchmarks/cli.py --runs 1"),
    Step(
        ".venv/bin/python benchmarks/drift.py",
        run=".venv/bin/python benchmarks/drift.py --rows 20000 --repeats 1 --skip-evidently",
    ),
    Step(
        ".venv/bin/python benchmarks/drift.py --wide",
        run=".venv/bin/python benchmarks/drift.py --wide --rows 20000 --columns 20 --folder {work}/wide",
        contains=("peak RSS",),
    ),
    Step(
        ".venv/bin/python benchmarks/drift_power.py",
        run=".venv/bin/python benchmarks/drift_power.py --sizes 5000 --trials 3",
        contains=("false alarms",),
    ),
    # the training cluster: manifests, a refused request, add-ons, preflight (the demo bootstraps no account)
    Step("kit train --on eks --env dev --dry-run", contains=("kind: Job", "nvidia.com/gpu")),
    Step(
        "kit train --on eks --env prod --pool h100 --gpus 16 --dry-run",
        expect=2,
        contains=("--gpus: 16 GPUs per node",),
    ),
    Step(
        "kit train --on eks --env ENV [--model M] [--gpus N] [--nodes K] [--pool NAME] [--dry-run]",
        run="kit train --on eks --env prod --pool h100 --gpus 8 --dry-run",
        contains=("dedicated",),
    ),
    Step("kit cluster addons --env dev", contains=("nvidia-device-plugin", "cluster-autoscaler")),
    Step(
        "kit preflight --env prod [--json]",
        run="kit preflight --env prod --json",
        profile=PLATFORM,  # preflight checks the account through its deploy role
        expect=1,
        contains=(
            '"deploy role mlops-kit-deploy"',
            '"quota ec2: Running On-Demand P instances (L-417A185B)"',
        ),
    ),
    Step("kit preflight", reference=True),
    Step("kit local train", reference=True, contains=("--nodes",)),
    # other commands named in the prose
    Step("kit", reference=True, contains=("promote",)),
    Step("kit demo", reference=True, contains=("deploy dev/staging/prod",)),
    Step("kit stack diff", reference=True, contains=("--summary",)),
    Step("kit local down"),
    Step("kit local down && kit local up", contains=("127.0.0.1",)),
    Step("make test", run=None),  # the command that runs this suite: `.ci/run` calls it
    Step("make test-fast", run=None),  # a subset of this same suite
]


def _deployed(output: str) -> None:
    # Right after the demo's deploy this is "No changes"; a source edit since then (the drift job's
    # code is uploaded by content hash) makes it an apply.
    assert "No changes" in output or "Apply complete!" in output, output[-2000:]


def _dev_is_gone(lifecycle: Lifecycle) -> None:
    from tests.account_inventory import named_leftovers

    left = named_leftovers(
        lambda service: client_as(lifecycle.port, DEV_DEPLOY_ROLE, service), "mlkit-dev", "dev"
    )
    # Only the audit log's bucket (Object Lock) and the key that encrypts it outlive a teardown.
    kept = sorted(["mlkit-dev-audit-111111111111", "alias/mlkit-dev"])
    assert left == kept, f"left in dev's account after the teardown: {left}"


def _has_hcl() -> None:
    assert list((REPO / "cdktf.out" / "stacks" / "dev").glob("*.tf")), "no HCL written for dev"


# ----------------------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def lifecycle(readme_demo: DemoRun | None) -> Iterator[Lifecycle]:
    """`make demo` (started before the session's first test) has finished; the emulator it left is
    stopped after the module."""
    assert readme_demo is not None, "the session did not start make demo for this module"
    try:
        yield readme_demo.lifecycle()
    finally:
        readme_demo.stop()


def _shell(
    lifecycle: Lifecycle, command: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = f'eval "$(kit local env)"\n{command}'
    return subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env={**lifecycle.shell_env, **(extra or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


# ------------------------------------------------------------------------------------------- tests


def test_every_readme_command_has_a_step() -> None:
    shown = readme_commands(README.read_text())
    covered = {step.readme for step in STEPS}
    assert [c for c in shown if c not in covered] == [], "README commands without a step here"
    assert sorted(covered - set(shown)) == [], "steps for commands the README no longer shows"


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS, ids=[f"{i:02d} {s.readme[:60]}" for i, s in enumerate(STEPS)])
def test_readme_command(step: Step, lifecycle: Lifecycle) -> None:
    if step.readme == "make demo":
        for text in step.contains:
            assert text in lifecycle.demo_output
        return
    if step.readme in ("make test", "make test-fast"):
        pytest.skip(f"`{step.readme}` runs this suite, or a part of it (`.ci/run` calls `make test`)")
    if step.prepare is not None:
        step.prepare(lifecycle)
    default = f"{step.readme} --help" if step.reference else step.readme
    command = (step.run or default).format(work=lifecycle.work, **lifecycle.facts)
    if step.profile:
        command = f"export AWS_PROFILE={step.profile}\n{command}"
    done = _shell(lifecycle, command)
    output = done.stdout + done.stderr
    assert done.returncode == step.expect, f"$ {command}\nexit {done.returncode}\n{output[-4000:]}"
    for text in step.contains:
        assert text in output, f"$ {command}: {text!r} not in output:\n{output[-3000:]}"
    if step.check is not None:
        step.check(lifecycle, done.stdout)
