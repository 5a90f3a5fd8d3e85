"""The way out of cdktf: the stacks synthesized as Terraform's own language (`cdktf synth --hcl`) are
Terraform that `terraform validate` accepts, offline, for every environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_kit.terraform import run_terraform
from tests.conftest import REPO

ENVS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def hcl_stacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud stacks of all environments synthesized once as HCL (`cdk.tf` per stack), by the app
    entry as `cdktf synth --hcl` runs it: in a process of its own, with SYNTH_HCL_OUTPUT set (cdktf's
    JavaScript side reads it when it starts, which in this process it already has)."""
    outdir = tmp_path_factory.mktemp("hcl")
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(CDKTF_OUTDIR=str(outdir), SYNTH_HCL_OUTPUT="true", KIT_STATE_DIR=str(outdir / "state"))
    subprocess.run(
        [sys.executable, "-m", "stacks"], cwd=REPO, env=env, check=True, capture_output=True, timeout=600
    )
    return outdir / "stacks"


@pytest.mark.parametrize("name", ENVS)
def test_hcl_synth_of_each_stack_passes_terraform_validate(hcl_stacks: Path, name: str) -> None:
    stack_dir = hcl_stacks / name
    assert (stack_dir / "cdk.tf").is_file()
    assert not (stack_dir / "cdk.tf.json").exists()
    run_terraform(stack_dir, "init", "-backend=false", "-input=false")
    report = json.loads(run_terraform(stack_dir, "validate", "-json", check=False).stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0
