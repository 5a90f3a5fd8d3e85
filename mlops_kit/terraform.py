"""Run the real `terraform` binary on a synthesized stack (cdktf.out/stacks/<env>).

Used to deploy into the emulator and by tests; `cdktf deploy` does the same through the cdktf CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlops_kit.errors import OperationFailed

CLI_CONFIG_VARIABLE = "TF_CLI_CONFIG_FILE"


@dataclass(frozen=True)
class TerraformResult:
    returncode: int
    stdout: str
    stderr: str


def repository_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cdktf.json").is_file():
            return folder
    return here


def terraform_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment for terraform: the repository's CLI config (provider mirror) if present."""
    env = dict(os.environ)
    root = repository_root()
    rc = root / ".tools" / "terraform.rc"
    if rc.is_file() and not Path(env.get(CLI_CONFIG_VARIABLE, "/nonexistent")).is_file():
        env[CLI_CONFIG_VARIABLE] = str(rc)
    env.setdefault("TF_PLUGIN_CACHE_DIR", str(root / ".tools" / "terraform-plugin-cache"))
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env.update(extra or {})
    return env


def run_terraform(
    stack_dir: Path, *args: str, env: dict[str, str] | None = None, check: bool = True, timeout: float = 900
) -> TerraformResult:
    """`terraform ARGS` in `stack_dir`; raise `OperationFailed` with terraform's error when `check`."""
    binary = shutil.which("terraform")
    if binary is None:
        raise OperationFailed("terraform is not on the PATH", hint="install terraform >= 1.10")
    completed = subprocess.run(
        [binary, *args, "-no-color"],
        cwd=stack_dir,
        env=terraform_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = TerraformResult(completed.returncode, completed.stdout, completed.stderr)
    if check and completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise OperationFailed(f"terraform {args[0]} failed in {stack_dir}:\n{tail}")
    return result
