"""`kit demo`: the whole lifecycle locally, on the emulator, as a tour of the `kit` commands.

Each stage runs the same commands a user would type (in this process), prints their output, and
stops the demo loudly when one fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from cli.output import console, table

MODEL = "tumor-classifier"
# Prod is promoted by the release workflow's identity only (GitHub OIDC; local_aws.accounts).
PROD_RELEASE_PROFILE = "mlkit-release-prod"
PROD_APPROVER_PROFILE = "mlkit-prod-approver"  # a people's role of prod (approvals.rules)
TRAFFIC_ROWS = 240  # above the drift check's minimum sample size

PORT_OPTION = typer.Option(
    int(os.environ.get("KIT_EMULATOR_PORT", "4580")),
    "--port",
    help="Emulator port on 127.0.0.1 (KIT_EMULATOR_PORT).",
)


class DemoFailed(Exception):
    pass


def _kit(args: Sequence[str], *, expect: Sequence[int] = (0,), capture: bool = False) -> tuple[int, str]:
    """Run one `kit` command in this process, as a user would type it."""
    from cli.main import main

    console.print(f"[bold]$ kit {' '.join(args)}[/]", highlight=False)
    if capture:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main(list(args))
        out = buffer.getvalue()
    else:
        code, out = main(list(args)), ""
    if code not in expect:
        raise DemoFailed(f"`kit {' '.join(args)}` exited {code} (expected {', '.join(map(str, expect))})")
    return code, out


def _traffic(folder: Path) -> tuple[Path, Path]:
    """Requests from the bundled data set: as seen in training, and with every feature scaled up 60%."""
    import pandas as pd

    from mlops_kit.pipeline.dataset import bundled_dataset_csv

    frame = pd.read_csv(io.BytesIO(bundled_dataset_csv())).drop(columns=["target"])
    sample = frame.sample(n=TRAFFIC_ROWS, random_state=7)
    folder.mkdir(parents=True, exist_ok=True)
    normal, shifted = folder / "normal.csv", folder / "shifted.csv"
    sample.to_csv(normal, header=False, index=False)
    (sample * 1.6).to_csv(shifted, header=False, index=False)
    return normal, shifted


def _stage(number: int, title: str, timings: list[tuple[str, float]], started: float) -> float:
    now = time.perf_counter()
    if timings or number > 1:
        timings[-1] = (timings[-1][0], now - started)
    timings.append((f"{number}. {title}", 0.0))
    console.rule(f"{number}. {title}")
    return now


IAM_OPTION = typer.Option(
    True,
    "--iam/--no-iam",
    help="Evaluate IAM in the emulator (--no-iam: debugging; the IAM cost benchmark).",
)


def demo(port: int = PORT_OPTION, iam: bool = IAM_OPTION) -> None:
    from local_aws.accounts import PLATFORM_PROFILE
    from local_aws.commands import require_local_extra
    from local_aws.server import (
        acting_as,
        local_aws_environment,
        reset_emulator,
        start_emulator,
        state_dir,
        use_local_aws,
    )
    from mlops_kit.config import ResourceNames, load_all_environments
    from mlops_kit.errors import OperationFailed
    from mlops_kit.stack_deploy import deploy_stacks

    require_local_extra()

    envs = load_all_environments()
    timings: list[tuple[str, float]] = []
    t = _stage(1, "emulator and platform (cdktf deploy)", timings, time.perf_counter())
    status = start_emulator(port, iam=iam)
    # A second run starts from a clean slate: forget emulated resources and their local state.
    reset_emulator(port)
    for old in (state_dir() / "terraform-state").glob("*.tfstate*"):
        old.unlink()
    for old in state_dir().glob("*.retained.json"):  # what a teardown kept went with the reset
        old.unlink()
    # The ML engineers' identity for the kit's commands; the platform's for Terraform.
    use_local_aws(port)
    platform = local_aws_environment(port, profile=PLATFORM_PROFILE)
    console.print(
        f"emulator healthy on {status.endpoint_url}, IAM evaluation {'on' if status.iam else 'off'}; "
        f"deploying as {PLATFORM_PROFILE}, then acting as {os.environ['AWS_PROFILE']}",
        highlight=False,
    )
    result = deploy_stacks(
        list(envs),
        aws_env=platform,
        state_dir=state_dir(),
        progress=lambda message: console.print(f"  {message}", highlight=False),
    )
    console.print(f"deploy log: {result.log_file}", highlight=False)
    try:
        for name in envs:  # what the endpoints serve is what Terraform's deploy intended
            _kit(["endpoint", "verify", "--env", name])
        t = _stage(2, "train in dev (kit pipeline run)", timings, t)
        _kit(["pipeline", "run", "--env", "dev"])
        _kit(["models", "list", "--env", "dev"])

        t = _stage(3, "promote to staging, approve, promote to prod", timings, t)
        _kit(["promote", MODEL, "--to", "staging", "--yes"])
        normal, shifted = _traffic(state_dir() / "demo")
        _kit(["endpoint", "invoke", "--env", "staging", "--data", str(normal)], capture=True)
        _kit(["drift", "run", "--env", "staging"])
        _, listing = _kit(["models", "list", "--env", "staging", "--json"], capture=True)
        version = _serving_version(json.loads(listing))
        # prod requires the version's model card: the approver reviews it, the promotion cites its sha256.
        card_page = state_dir() / "demo" / f"{MODEL}-v{version}-card.html"
        _kit(["models", "card", MODEL, str(version), "--env", "staging", "--html", str(card_page)])
        with acting_as(PROD_APPROVER_PROFILE) as approver:
            console.print(f"acting as the approver {approver}", highlight=False)
            _kit(["approve", MODEL, str(version), "--env", "prod", "--comment", "baked in staging (demo)"])
        with acting_as(PROD_RELEASE_PROFILE) as release:
            console.print(f"acting as the release workflow {release}", highlight=False)
            _kit(["promote", MODEL, "--to", "prod", "--version", str(version), "--yes"])
        _kit(["models", "list", "--env", "prod"])

        t = _stage(4, "serve in prod (InvokeEndpoint runs the model's own inference code)", timings, t)
        _kit(["endpoint", "status", "--env", "prod"])
        _, answers = _kit(
            ["endpoint", "invoke", "--env", "prod", "--data", str(normal), "--json"], capture=True
        )
        predictions = json.loads(answers)
        console.print(
            f"{len(predictions)} predictions served and captured; first: "
            f"{json.dumps(predictions[0]['response'])}",
            highlight=False,
        )

        t = _stage(5, "drift: normal traffic, then shifted traffic", timings, t)
        _kit(["drift", "run", "--env", "prod"])
        _kit(["endpoint", "invoke", "--env", "prod", "--data", str(shifted)], capture=True)
        dev_versions = _version_count()
        _kit(["drift", "run", "--env", "prod", "--since", "1h"], expect=(3,))
        _show_alarm(envs["prod"])
        console.print(
            "the alarm's event goes to dev's event bus; its rule starts the training pipeline ...",
            highlight=False,
        )
        _wait_for_retraining(dev_versions)
        _kit(["pipeline", "list", "--env", "dev"])
        _kit(["models", "list", "--env", "dev"])

        t = _stage(6, "what exists now", timings, t)
        rows = []
        for name, env in envs.items():
            names = ResourceNames(env)
            rows.append([name, env.account_id, names.artifact_bucket, names.endpoint(MODEL)])
        console.print(
            table("Environments in the emulator", ["env", "account", "artifact bucket", "endpoint"], rows)
        )
        t = _stage(7, "Terraform agrees with the kit (terraform plan of every stack)", timings, t)
        _check_plans(list(envs), result.stacks_dir, platform)
        _stage(8, "done", timings, t)
    except DemoFailed as exc:
        raise OperationFailed(f"demo stopped: {exc}") from None
    timings.pop()
    (state_dir() / "demo" / "timings.json").write_text(json.dumps(dict(timings), indent=2))
    console.print(table("Time per stage", ["stage", "seconds"], [[n, f"{s:.0f}"] for n, s in timings]))
    console.print(
        f'Explore: eval "$(kit local env --port {port})"; kit models list --env prod; kit audit --env prod; '
        "kit pipeline list --env dev; kit endpoint invoke --env prod --data FILE",
        highlight=False,
    )


def _check_plans(environments: list[str], stacks_dir: Path, aws_env: dict[str, str]) -> None:
    """After promotions, rollouts and drift: a platform deploy would change nothing."""
    from mlops_kit.stack_deploy import plan_stacks

    plans = plan_stacks(environments, stacks_dir=stacks_dir, aws_env=aws_env)
    for plan in plans:
        verdict = "no changes" if plan.empty else f"{len(plan.changes)} change(s)"
        console.print(f"terraform plan {plan.environment}: {verdict}", highlight=False)
        for change in plan.changes:
            console.print(f"  {change}", highlight=False)
    changed = [plan for plan in plans if not plan.empty]
    if changed:
        named = "; ".join(f"{p.environment}: {', '.join(p.changes)}" for p in changed)
        raise DemoFailed(f"Terraform disagrees with what the kit changed: {named}")


def _serving_version(listing: Any) -> int:
    rows = listing if isinstance(listing, list) else listing.get("versions", [])
    for row in rows:
        if row.get("serving"):
            return int(row["version"])
    raise DemoFailed("staging serves no promoted version")


def _version_count() -> int:
    _, listing = _kit(["models", "list", "--env", "dev", "--json"], capture=True)
    return len(json.loads(listing))


def _wait_for_retraining(before: int, timeout: float = 300) -> None:
    """Until the retraining run started by the drift alarm has registered a new version in dev."""
    from cli.main import main

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            main(["models", "list", "--env", "dev", "--json"])
        if len(json.loads(buffer.getvalue())) > before:
            console.print("retraining registered a new version in dev", highlight=False)
            return
        time.sleep(2)
    raise DemoFailed(f"no new dev version within {timeout:.0f} s of the drift alarm")


def _show_alarm(env: Any) -> None:
    from mlops_kit.aws import clients_for
    from mlops_kit.config import ResourceNames

    alarm = ResourceNames(env).drift_alarm(MODEL)
    deadline = time.monotonic() + 10
    state = "?"
    while time.monotonic() < deadline:
        found = clients_for(env).client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        state = found[0]["StateValue"] if found else "missing"
        if state == "ALARM":
            break
        time.sleep(0.5)
    console.print(f"drift alarm {alarm}: {state}", highlight=False)
    if state != "ALARM":
        raise DemoFailed(f"the drift alarm {alarm} did not fire (state {state})")
