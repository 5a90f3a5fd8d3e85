"""A model trained by two local workers of the EKS Job, evaluated, gated and registered like a
pipeline run, is a version `kit promote` takes to staging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from promotion_support import MODEL

from cli.main import main
from local_aws.eks.local_training import train_and_register_locally
from mlops_kit.aws import clients_for
from mlops_kit.cluster.training_job import plan_training_job
from mlops_kit.config import Environment

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
SCRIPTS = Path(__file__).resolve().parents[2] / "pipelines" / "scripts"


def test_two_worker_eks_run_registers_a_version_kit_promote_takes_to_staging(
    promotion_platform: dict[str, Environment], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = promotion_platform["dev"]
    job = plan_training_job(dev, run_id="eks-local-1", model=MODEL, nodes=2)
    version = train_and_register_locally(
        clients_for(dev), job, scripts_dir=SCRIPTS, work_dir=tmp_path, git_commit="0" * 40
    )
    extra = version.lineage.extra
    assert (extra["cluster"], extra["pool"], extra["gpu_count"]) == ("mlkit-dev-training", "a10g", "2")
    assert version.lineage.drift_baseline_uri.endswith("/baseline/baseline.json")

    from mlops_kit.serving.state import serving_state

    staging = promotion_platform["staging"]
    before = serving_state(clients_for(staging), staging, MODEL).version
    capsys.readouterr()
    code = main(["promote", MODEL, "--to", "staging", "--version", str(version.version), "--yes", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    promoted = json.loads(out)
    assert promoted["outcome"] == "promoted"
    assert promoted["from"]["version"] == version.version
    # Leave staging as the other promotion tests expect it: its gates judge their versions against
    # what serves, and this real model scores above the fixed metrics they register.
    if before is not None:
        assert main(["rollback", "--env", "staging", "--to", str(before), "--yes"]) == 0
