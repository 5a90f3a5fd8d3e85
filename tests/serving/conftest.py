"""Fixtures for serving: a model trained by the pipeline's own train.py, packed as SageMaker packs
it (model.joblib, features.json, code/inference.py), and the dev endpoint serving it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import admin_clients

# Read by the emulator process when the session fixture starts it: rollouts finish at once.
os.environ.setdefault("KIT_EMULATOR_TIME_SCALE", "3000")

from mlops_kit.config import Environment, ResourceNames

REPO = Path(__file__).resolve().parents[2]
MODEL = "tumor-classifier"


@dataclass(frozen=True)
class ServedModel:
    env: Environment
    endpoint: str
    config_name: str
    capture_prefix: str  # s3://bucket/prefix of the endpoint's data capture


@pytest.fixture(scope="session")
def dataset_rows() -> list[list[float]]:
    """Feature rows (training order) and labels of the bundled breast-cancer data."""
    import pandas as pd

    from mlops_kit.pipeline.dataset import bundled_dataset_csv

    frame = pd.read_csv(io.BytesIO(bundled_dataset_csv()))
    return frame.to_numpy().tolist()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def trained_model_archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """model.tar.gz of a real run of tumor-classifier's train entry point on the bundled data."""
    from mlops_kit.pipeline.dataset import bundled_dataset_csv

    root = tmp_path_factory.mktemp("training")
    for channel in ("train", "validation"):
        (root / channel).mkdir()
        (root / channel / "data.csv").write_bytes(bundled_dataset_csv())
    model_dir = root / "model"
    env = {
        **os.environ,
        "SM_CHANNEL_TRAIN": str(root / "train"),
        "SM_CHANNEL_VALIDATION": str(root / "validation"),
        "SM_MODEL_DIR": str(model_dir),
        "SM_OUTPUT_DIR": str(root / "output"),
    }
    subprocess.run(
        [sys.executable, str(REPO / "models/tumor-classifier/train.py"), "--n_estimators", "20"],
        env=env,
        check=True,
        capture_output=True,
    )
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
    return archive.getvalue()


def wait_in_service(sagemaker: object, endpoint: str, timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, object] = sagemaker.describe_endpoint(EndpointName=endpoint)  # type: ignore[attr-defined]
        if described["EndpointStatus"] == "InService" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)


@pytest.fixture
def served_model(served_model_config: ServedModel) -> ServedModel:
    """The served model, with dev's endpoint on its configuration: a test of another module on this
    worker (e.g. tests/promotion) may have moved dev's endpoint since the session fixture did."""

    sagemaker = admin_clients(served_model_config.env).client("sagemaker")
    endpoint = served_model_config.endpoint
    if (
        sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        != served_model_config.config_name
    ):
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=served_model_config.config_name)
        wait_in_service(sagemaker, endpoint)
    return served_model_config


@pytest.fixture(scope="session")
def served_model_config(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment], trained_model_archive: bytes
) -> ServedModel:
    """dev's endpoint moved (UpdateEndpoint) from the bootstrap model to the trained model, keeping
    the bootstrap configuration's data capture, now sampling every request."""

    env = environments["dev"]
    names = ResourceNames(env)
    clients = admin_clients(env)
    sagemaker = clients.client("sagemaker")
    endpoint = names.endpoint(MODEL)
    run = uuid.uuid4().hex[:8]
    key = f"serving-tests/{run}/model.tar.gz"
    clients.client("s3").put_object(Bucket=names.artifact_bucket, Key=key, Body=trained_model_archive)
    current = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    )
    bootstrap_model = sagemaker.describe_model(ModelName=current["ProductionVariants"][0]["ModelName"])
    name = f"{endpoint}-t{run}"
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=bootstrap_model["ExecutionRoleArn"],
        PrimaryContainer={
            "Image": bootstrap_model["PrimaryContainer"]["Image"],
            "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}",
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            },
        },
    )
    capture = {**current["DataCaptureConfig"], "EnableCapture": True, "InitialSamplingPercentage": 100}
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": name,
                "InstanceType": env.serving.instance_type,
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 1.0,
            }
        ],
        DataCaptureConfig=capture,
    )
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=name)
    described = wait_in_service(sagemaker, endpoint)
    assert described["EndpointConfigName"] == name, described
    return ServedModel(
        env=env, endpoint=endpoint, config_name=name, capture_prefix=capture["DestinationS3Uri"]
    )
