"""A read-only plan of one environment's stack, summarised for review (`kit stack diff`).

What `cdktf diff ENV` does (synthesize, then `terraform plan`), with the plan read as JSON so the
summary is exact: which resources would be added, changed, replaced or destroyed. The AWS provider
acts as the caller (no deploy role): on a pull request that is the read-only GitHub plan role.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_kit.config import ENVIRONMENT_ORDER
from mlops_kit.errors import BadInput, OperationFailed
from mlops_kit.terraform import repository_root, run_terraform

Progress = Callable[[str], None]

# Terraform's action lists (plan JSON `resource_changes[].change.actions`) by what a reviewer reads.
_KINDS = {
    ("create",): "add",
    ("update",): "change",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("delete",): "destroy",
}
KIND_ORDER = ("add", "change", "replace", "destroy")


@dataclass(frozen=True)
class StackDiff:
    """The changes a plan of `env` would make, by kind, each a list of resource addresses."""

    env: str
    changes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return any(self.changes.values())

    def as_dict(self) -> dict[str, Any]:
        return {"env": self.env, "changes": {k: self.changes.get(k, []) for k in KIND_ORDER}}

    def markdown(self) -> str:
        """The summary a reviewer reads (a GitHub job summary): counts, then one row per change."""
        counts = ", ".join(f"{len(self.changes.get(k, []))} to {k}" for k in KIND_ORDER)
        if not self.has_changes:
            return f"### Plan of {self.env}: no changes\n"
        rows = [f"| {k} | `{a}` |" for k in KIND_ORDER for a in self.changes.get(k, [])]
        return "\n".join(
            [f"### Plan of {self.env}: {counts}", "", "| change | resource |", "|---|---|", *rows, ""]
        )


def diff_from_plan(env: str, plan: dict[str, Any]) -> StackDiff:
    """The changes in a plan read with `terraform show -json PLANFILE`."""
    changes: dict[str, list[str]] = {}
    for change in plan.get("resource_changes") or []:
        kind = _KINDS.get(tuple(change.get("change", {}).get("actions", ())))
        if kind:
            changes.setdefault(kind, []).append(str(change["address"]))
    return StackDiff(env=env, changes={k: sorted(v) for k, v in changes.items()})


def diff_stack(env: str, *, outdir: Path | None = None, progress: Progress | None = None) -> StackDiff:
    """Synthesize the stacks, then plan `env` against its state, changing nothing."""
    if env not in ENVIRONMENT_ORDER:
        raise BadInput(f"ENV: unknown environment '{env}' (expected one of {', '.join(ENVIRONMENT_ORDER)})")
    note = progress or (lambda _message: None)
    root = repository_root()
    out = (outdir or root / "cdktf.out").resolve()
    tf_env = {"CDKTF_OUTDIR": str(out), "KIT_STACK_CREDENTIALS": "caller"}
    note("synthesizing the stacks")
    synth = subprocess.run(
        [sys.executable, "-m", "stacks"],
        cwd=root,
        env={**os.environ, **tf_env},
        capture_output=True,
        text=True,
        check=False,
    )
    if synth.returncode != 0:
        tail = "\n".join((synth.stderr or synth.stdout).strip().splitlines()[-10:])
        raise OperationFailed(f"synthesizing the stacks failed (exit {synth.returncode}):\n{tail}")
    stack_dir = out / "stacks" / env
    if not (stack_dir / "cdk.tf.json").is_file():
        raise BadInput(f"ENV: environment {env} has no file in environments/")
    note(f"initialising {env} (terraform init)")
    run_terraform(stack_dir, "init", "-input=false", "-reconfigure", env=tf_env)
    note(f"planning {env} (terraform plan)")
    run_terraform(stack_dir, "plan", "-input=false", "-lock-timeout=60s", "-out=kit-diff.tfplan", env=tf_env)
    shown = run_terraform(stack_dir, "show", "-json", "kit-diff.tfplan", env=tf_env)
    return diff_from_plan(env, json.loads(shown.stdout))
