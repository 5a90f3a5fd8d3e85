"""A model trained by two local workers of the EKS Job, evaluated, gated and registered like a
pipeline run, is a version `kit promote` takes to staging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from promotion_support import MODEL

from cli.main import main
from local_aws.eks.local_training import train_and_register_locally
from mlops_kit.cluster.training_job import plan_training_job
from mlops_kit.config import Environment
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
SCRIPTS = Path(__file__).resolve().parents[2] / "pipelines" / "scripts"


def test_two_worker_eks_run_registers_a_version_kit_promote_takes_to_staging(
    promotion_platform: dict[str, Environment],
    register_dev_version: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlops_kit.promotion.promote import promote_model_version
    from mlops_kit.serving.state import serving_state

    dev, staging = promotion_platform["dev"], promotion_platform["staging"]
    if serving_state(admin_clients(staging), staging, MODEL).version is None:
        # Staging serves a version of the fixed metrics the other promotion tests register, so this
        # test can return it there afterwards (a rollback goes to a version, not to the bootstrap).
        promote_model_version(
            MODEL, "staging", version=register_dev_version().version, environments=promotion_platform
        )
    job = plan_training_job(dev, run_id="eks-local-1", model=MODEL, nodes=2)
    version = train_and_register_locally(
        admin_clients(dev), job, scripts_dir=SCRIPTS, work_dir=tmp_path, git_commit="0" * 40
    )
    extra = version.lineage.extra
    assert (extra["cluster"], extra["pool"], extra["gpu_count"]) == ("mlkit-dev-training", "a10g", "2")
    assert version.lineage.drift_baseline_uri.endswith("/baseline/baseline.json")

    before = serving_state(admin_clients(staging), staging, MODEL).version
    capsys.readouterr()
    code = main(["promote", MODEL, "--to", "staging", "--version", str(version.version), "--yes", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    promoted = json.loads(out)
    assert promoted["outcome"] == "promoted"
    assert promoted["from"]["version"] == version.version
    # Leave staging as the other promotion tests expect it: its gates judge their versions against
    # what serves, and this real model scores above the fixed metrics they register.
    assert main(["rollback", "--env", "staging", "--to", str(before), "--yes"]) == 0
