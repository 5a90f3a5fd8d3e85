"""Fixtures of the experiment tests: the local MLflow tracking server beside the session's emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mlops_kit.config import Environment
from tests.conftest import Emulator, free_port


@pytest.fixture(scope="session")
def tracking_server(emulator: Emulator) -> Iterator[str]:
    """`kit local up`'s MLflow server (SQLite, artifacts in the emulated S3) on a free port; its URI."""
    from local_aws.tracking_server import start_tracking_server, stop_tracking_server

    previous = os.environ.get("KIT_MLFLOW_PORT")
    os.environ["KIT_MLFLOW_PORT"] = str(free_port())
    status = start_tracking_server(emulator.port)
    try:
        yield status.tracking_uri
    finally:
        stop_tracking_server(emulator.port)
        if previous is None:
            os.environ.pop("KIT_MLFLOW_PORT", None)
        else:
            os.environ["KIT_MLFLOW_PORT"] = previous


@pytest.fixture(scope="session")
def dev_env(environments: dict[str, Environment]) -> Environment:
    return environments["dev"]


@pytest.fixture(scope="session")
def tracked(
    platform: dict[str, dict[str, object]], dev_env: Environment, tracking_server: str
) -> dict[str, str]:
    """One training run in dev with MLFLOW_TRACKING_URI set (as `kit pipeline run` starts it); its
    execution ARN, the version it registered and the tracking URI."""
    from mlops_kit.pipeline.service import start_training_run, wait_for_execution
    from pipelines.training import build_training_pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", tracking_server)
        started = start_training_run(dev_env, build_training_pipeline, {})
    final = wait_for_execution(dev_env, started.execution_arn, timeout=900)
    assert final.status == "Succeeded", final.failure_reason
    [register] = [s for s in final.steps if "RegisterModel" in s.metadata]
    return {
        "execution_arn": final.arn,
        "version_arn": str(register.metadata["RegisterModel"]["Arn"]),
        "tracking_uri": tracking_server,
    }
