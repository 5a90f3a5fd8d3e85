"""The quality job's step on the Python of the image it runs in (3.9): with the shipped code, it joins
labels and capture read from (emulated) S3, names the version each variant serves, writes the report
and publishes the metrics the quality alarm watches."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.quality.publication import AUC_METRIC, QUALITY_NAMESPACE
from pipelines.quality_definition import quality_code_objects
from tests.conftest import Emulator, platform_session
from tests.drift_job.image_python import IMAGE_PYTHON, ImagePythonUnavailable, image_python

pytestmark = [pytest.mark.slow, pytest.mark.emulator]
BUCKET, MODEL, ENDPOINT = "quality-image-python", "quality-check", "quality-image-endpoint"


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return image_python()
    except ImagePythonUnavailable as error:
        pytest.skip(f"cannot run code on the job image's Python {IMAGE_PYTHON}: {error}")


def client(emulator: Emulator, service: str) -> Any:

    # The operator account, as the scripts' own environment (emulator.aws_env) acts.
    return platform_session().client(service, endpoint_url=emulator.endpoint_url)


def capture_line(inference_id: str, label: int, probability: float) -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointOutput": {
                    "observedContentType": "application/json",
                    "mode": "OUTPUT",
                    "data": json.dumps({"predictions": [{"label": label, "probability": probability}]}),
                    "encoding": "JSON",
                }
            },
            "eventMetadata": {
                "eventId": inference_id,
                "inferenceId": inference_id,
                "inferenceTime": "2026-11-25T08:30:00.000Z",
            },
            "eventVersion": "0",
        }
    )


def test_the_quality_step_on_the_image_python_joins_reports_and_publishes(
    python: Path, emulator: Emulator, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    for name, body in quality_code_objects().items():
        (shipped / name).parent.mkdir(parents=True, exist_ok=True)
        (shipped / name).write_bytes(body)
    s3, sagemaker = client(emulator, "s3"), client(emulator, "sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    # Ten answers: the 0.5 cut gets eight of ten right; one pair of 25 is ranked wrong (AUC 0.96).
    truths = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    probabilities = [0.9, 0.8, 0.7, 0.6, 0.45, 0.55, 0.4, 0.3, 0.2, 0.1]
    lines = [capture_line(f"id-{i}", int(p >= 0.5), p) for i, p in enumerate(probabilities)]
    lines.append("{cut mid-li")
    s3.put_object(
        Bucket=BUCKET,
        Key=f"data-capture/{MODEL}/{ENDPOINT}/primary/2026/11/25/08/00-00-000-x.jsonl",
        Body=("\n".join(lines) + "\n").encode(),
    )
    labels = [json.dumps({"inference_id": f"id-{i}", "label": t}) for i, t in enumerate(truths)]
    labels.append(json.dumps({"inference_id": "never-answered", "label": 1}))
    s3.put_object(Bucket=BUCKET, Key=f"labels/{MODEL}/a.jsonl", Body="\n".join(labels).encode())
    sagemaker.create_model(
        ModelName=f"{ENDPOINT}-v3",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": "image", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{ENDPOINT}-v3",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": f"{ENDPOINT}-v3",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-v3")
    reports = tmp_path / "report"

    completed = subprocess.run(
        [
            str(python), str(shipped / "quality_check.py"),
            "--lib-dir", str(shipped / "lib"), "--report-dir", str(reports),
            "--labels-prefix", f"s3://{BUCKET}/labels/{MODEL}",
            "--capture-prefix", f"s3://{BUCKET}/data-capture/{MODEL}",
            "--endpoint", ENDPOINT, "--environment", "dev", "--model", MODEL, "--region", "us-east-1",
            "--window-end", "2026-11-25T09:00:00Z", "--window-hours", "24",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **emulator.aws_env},
        timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr

    report = json.loads((reports / "2026-11-25T09-00-00Z.json").read_text())
    assert report["usable"] is True and report["labels"] == 11
    (primary,) = report["variants"]
    assert (primary["variant"], primary["model_name"], primary["version"]) == ("primary", f"{ENDPOINT}-v3", 3)
    assert (primary["labelled"], primary["accuracy"], primary["auc"]) == (10, 0.8, 0.96)
    assert report["skipped"] == {"corrupt": 1, "unknown_ids": 1}
    published = client(emulator, "cloudwatch").list_metrics(
        Namespace=QUALITY_NAMESPACE, Dimensions=[{"Name": "Model", "Value": MODEL}]
    )["Metrics"]
    assert AUC_METRIC in {m["MetricName"] for m in published}
