"""Deploy the environments' stacks with the real cdktf CLI (`cdktf deploy`), e.g. into the emulator.

`cdktf deploy` runs `terraform providers lock` when a stack has no lock file, which needs the public
registry. Initialising each synthesized stack with terraform first (through the CLI config that points
at the local provider mirror) writes the lock file, so the deploy works offline too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mlops_kit.errors import OperationFailed
from mlops_kit.terraform import repository_root, run_terraform, terraform_environment

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DeployResult:
    environments: list[str]
    outputs: dict[str, dict[str, object]]
    log_file: Path
    stacks_dir: Path  # the synthesized, initialised stacks (`plan_stacks` plans them)


def _cdktf(root: Path) -> list[str]:
    local = root / "node_modules" / ".bin" / "cdktf"
    if local.is_file():
        return [str(local)]
    found = shutil.which("cdktf")
    if found is None:
        raise OperationFailed("the cdktf CLI is not installed", hint="run `make setup` (npm install)")
    return [found]


def _run(args: list[str], *, cwd: Path, env: dict[str, str], log: Path, what: str) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        completed = subprocess.run(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-12:])
        raise OperationFailed(f"{what} failed (exit {completed.returncode}); see {log}:\n{tail}")


@dataclass(frozen=True)
class _Cdktf:
    """A synthesized, initialised cdktf app, ready for `cdktf deploy` or `destroy`."""

    root: Path
    outdir: Path
    env: dict[str, str]
    log: Path


def _synthesize(
    environments: list[str],
    *,
    aws_env: dict[str, str],
    state_dir: Path,
    outdir: Path | None,
    log_name: str,
    note: Progress,
) -> _Cdktf:
    root = repository_root()
    state_dir.mkdir(parents=True, exist_ok=True)
    log = state_dir / log_name
    log.write_text("")
    outdir = outdir or Path(os.environ.get("CDKTF_OUTDIR") or root / "cdktf.out")
    env = terraform_environment(
        {
            **aws_env,
            "KIT_STATE_DIR": str(state_dir),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "false",
            "CI": os.environ.get("CI", "true"),
        }
    )
    note("synthesizing the stacks (cdktf synth)")
    _run([*_cdktf(root), "synth", "--output", str(outdir)], cwd=root, env=env, log=log, what="cdktf synth")
    for name in environments:
        note(f"initialising {name} (terraform init)")
        # -reconfigure: the local state folder may differ from the last deploy (KIT_STATE_DIR); state
        # is never migrated between folders.
        run_terraform(outdir / "stacks" / name, "init", "-input=false", "-reconfigure", env=env)
    return _Cdktf(root=root, outdir=outdir, env=env, log=log)


def deploy_stacks(
    environments: list[str],
    *,
    aws_env: dict[str, str],
    state_dir: Path,
    progress: Progress | None = None,
    outdir: Path | None = None,
) -> DeployResult:
    """`cdktf synth` then `cdktf deploy` of `environments`, with `aws_env` (e.g. the emulator's) set.
    `outdir`: where to synthesize (default `cdktf.out` in the repository)."""
    note = progress or (lambda _message: None)
    app = _synthesize(
        environments,
        aws_env=aws_env,
        state_dir=state_dir,
        outdir=outdir,
        log_name="cdktf-deploy.log",
        note=note,
    )
    root, outdir, env, log = app.root, app.outdir, app.env, app.log
    for name in environments:
        _adopt_retained(outdir / "stacks" / name, name, env=env, state_dir=state_dir, note=note)
    outputs_file = state_dir / "stack-outputs.json"
    note(f"deploying {', '.join(environments)} (cdktf deploy)")
    _run(
        [
            *_cdktf(root),
            "deploy",
            *environments,
            "--skip-synth",
            "--output",
            str(outdir),
            "--auto-approve",
            "--parallelism",
            str(len(environments)),
            "--outputs-file",
            str(outputs_file),
            "--outputs-file-include-sensitive-outputs",
        ],
        cwd=root,
        env=env,
        log=log,
        what="cdktf deploy",
    )
    outputs = json.loads(outputs_file.read_text()) if outputs_file.is_file() else {}
    return DeployResult(
        environments=environments, outputs=outputs, log_file=log, stacks_dir=outdir / "stacks"
    )


# What a teardown keeps, by the top-level construct that declares it (stacks/environment_stack.py):
# the audit log's bucket, whose Object Lock keeps every record for its retention (neither AWS nor
# Terraform can delete it or suspend its versioning), and the environment's KMS key, without which
# those records could not be read. Each resource's Terraform `id` is also its import ID.
RETAINED_CONSTRUCTS = ("audit-log", "encryption")


@dataclass(frozen=True)
class RetainedResource:
    """A resource a teardown took out of the stack's state and left in AWS."""

    address: str  # e.g. aws_s3_bucket.audit-log_bucket_A32DF791
    import_id: str  # its `id`, which `terraform import` takes back

    @property
    def import_command(self) -> str:
        return f"terraform import '{self.address}' '{self.import_id}'"


@dataclass(frozen=True)
class DestroyResult:
    log_file: Path
    retained: list[RetainedResource]


def _retained_file(state_dir: Path, environment: str) -> Path:
    return state_dir / f"{environment}.retained.json"


def _is_retained(address: str) -> bool:
    name = address.split(".", 1)[1] if "." in address else address
    return name.startswith(tuple(f"{construct}_" for construct in RETAINED_CONSTRUCTS))


def _read_retained(state_dir: Path, environment: str) -> list[RetainedResource]:
    path = _retained_file(state_dir, environment)
    if not path.is_file():
        return []
    return [RetainedResource(r["address"], r["import_id"]) for r in json.loads(path.read_text())]


def _release_retained(
    stack_dir: Path, environment: str, *, env: dict[str, str], state_dir: Path
) -> list[RetainedResource]:
    """Take the retained resources out of the state (recorded first, so a crash in between loses
    nothing); the destroy then leaves them in AWS. A re-run adds to the record."""
    shown = json.loads(run_terraform(stack_dir, "show", "-json", env=env).stdout or "{}")
    resources = ((shown.get("values") or {}).get("root_module") or {}).get("resources", [])
    found = [
        RetainedResource(r["address"], str(r["values"]["id"]))
        for r in resources
        if r.get("mode") == "managed" and _is_retained(r["address"])
    ]
    recorded = {r.address: r for r in _read_retained(state_dir, environment)}
    recorded.update({r.address: r for r in found})
    _retained_file(state_dir, environment).write_text(
        json.dumps([r.__dict__ for r in recorded.values()], indent=2) + "\n"
    )
    if found:
        run_terraform(stack_dir, "state", "rm", *(r.address for r in found), env=env)
    return list(recorded.values())


def _adopt_retained(
    stack_dir: Path, environment: str, *, env: dict[str, str], state_dir: Path, note: Progress
) -> None:
    """Import what an earlier teardown kept (the audit log, the key) into a fresh state, so the
    deploy manages them again instead of failing to create what exists."""
    retained = _read_retained(state_dir, environment)
    if not retained:
        return
    listed = run_terraform(stack_dir, "state", "list", env=env, check=False)
    present = set(listed.stdout.split()) if listed.returncode == 0 else set()
    declared = json.loads((stack_dir / "cdk.tf.json").read_text()).get("resource", {})
    for resource in retained:
        kind, _, name = resource.address.partition(".")
        if resource.address in present or name not in declared.get(kind, {}):
            continue
        note(f"adopting {resource.address} ({resource.import_id}), kept by the last teardown")
        imported = run_terraform(
            stack_dir, "import", "-input=false", resource.address, resource.import_id, env=env, check=False
        )
        if imported.returncode != 0 and "non-existent" not in imported.stderr + imported.stdout:
            tail = "\n".join((imported.stderr or imported.stdout).strip().splitlines()[-15:])
            raise OperationFailed(f"terraform import of {resource.address} failed in {stack_dir}:\n{tail}")
        # A kept resource deleted since (by hand, or an emulator reset) is simply created anew.
    _retained_file(state_dir, environment).unlink()


def destroy_stack(
    environment: str,
    *,
    aws_env: dict[str, str],
    state_dir: Path,
    progress: Progress | None = None,
    outdir: Path | None = None,
) -> DestroyResult:
    """`cdktf synth` then `cdktf destroy` of one environment's stack, keeping the audit log and its
    key in AWS (RETAINED_CONSTRUCTS); the next `deploy_stacks` of the environment adopts them."""
    note = progress or (lambda _message: None)
    app = _synthesize(
        [environment],
        aws_env=aws_env,
        state_dir=state_dir,
        outdir=outdir,
        log_name="cdktf-destroy.log",
        note=note,
    )
    retained = _release_retained(
        app.outdir / "stacks" / environment, environment, env=app.env, state_dir=state_dir
    )
    note(f"destroying {environment} (cdktf destroy)")
    _run(
        [
            *_cdktf(app.root),
            "destroy",
            environment,
            "--skip-synth",
            "--output",
            str(app.outdir),
            "--auto-approve",
        ],
        cwd=app.root,
        env=app.env,
        log=app.log,
        what="cdktf destroy",
    )
    return DestroyResult(app.log, retained)


@dataclass(frozen=True)
class StackPlan:
    """What `terraform plan` would change in one environment's stack (nothing, when it agrees)."""

    environment: str
    changes: tuple[str, ...]  # e.g. "aws_sagemaker_endpoint.serving_endpoint_1BFB0F06 must be replaced"

    @property
    def empty(self) -> bool:
        return not self.changes


# Terraform's plan names each resource it would act on in a line such as
# "  # aws_s3_bucket.registry_bucket_1234 will be updated in-place".
_PLANNED_ACTION = re.compile(r"^\s*# (\S+) (will be|must be) (.+)$")


def plan_stacks(environments: list[str], *, stacks_dir: Path, aws_env: dict[str, str]) -> list[StackPlan]:
    """`terraform plan -detailed-exitcode` of each environment's synthesized (and initialised) stack
    under `stacks_dir`, in parallel; refreshes from AWS (or the emulator), changes nothing."""

    def plan(name: str) -> StackPlan:
        result = run_terraform(
            stacks_dir / name,
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-lock-timeout=60s",
            "-parallelism=20",
            env=aws_env,
            check=False,
        )
        if result.returncode == 0:
            return StackPlan(name, ())
        if result.returncode != 2:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
            raise OperationFailed(f"terraform plan of {name} failed:\n{tail}")
        found = (_PLANNED_ACTION.match(line) for line in result.stdout.splitlines())
        changes = tuple(f"{m.group(1)} {m.group(2)} {m.group(3)}" for m in found if m)
        return StackPlan(name, changes or ("(changes to outputs only)",))

    with ThreadPoolExecutor(max_workers=max(len(environments), 1)) as pool:
        return list(pool.map(plan, environments))
