"""End to end on the emulator: the training pipeline runs on the local runner inside it, against the
deployed dev platform, through the same SageMaker calls as in the cloud."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cli.main import main as kit
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.pipeline.dataset import bundled_dataset_csv
from mlops_kit.registry.lineage import Lineage
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

KIT = Path(sys.executable).parent / "kit"


@pytest.fixture(scope="module")
def deployed_dev(platform: dict[str, dict[str, object]], dev_env: Environment) -> Environment:
    return dev_env


def packages(env: Environment) -> list[dict[str, Any]]:
    sagemaker = admin_clients(env).client("sagemaker")
    group = ResourceNames(env).model_package_group("tumor-classifier")
    return list(sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])


def executions(env: Environment) -> int:
    sagemaker = admin_clients(env).client("sagemaker")
    name = ResourceNames(env).training_pipeline("tumor-classifier")
    listed = sagemaker.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]
    if not listed:
        return 0
    return len(sagemaker.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"])


def run_kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = kit(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_registers_one_version_with_metrics_and_lineage(
    deployed_dev: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p["ModelPackageArn"] for p in packages(deployed_dev)}
    code, out, err = run_kit(capsys, "pipeline", "run", "--env", "dev", "--json")
    assert code == 0, err
    run = json.loads(out)
    assert run["status"] == "Succeeded"
    assert [s["name"] for s in run["steps"]] == [
        "Preprocess",
        "Train",
        "Evaluate",
        "GateAuc",
        "GateAccuracy",
        "RegisterModel",
    ]
    new = [p for p in packages(deployed_dev) if p["ModelPackageArn"] not in before]
    assert len(new) == 1
    sagemaker = admin_clients(deployed_dev).client("sagemaker")
    described = sagemaker.describe_model_package(ModelPackageName=new[0]["ModelPackageArn"])
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    assert lineage.execution_arn == run["arn"]
    assert lineage.metrics["auc"] >= 0.9 and set(lineage.metrics) == {
        "auc",
        "accuracy",
        "f1",
        "precision",
        "recall",
    }
    assert lineage.data_uri.endswith("datasets/tumor-classifier/breast-cancer-wisconsin.csv")
    assert len(lineage.data_sha256) == 64 and lineage.git_commit
    assert lineage.hyperparameters["n_estimators"] == "100"
    assert "sagemaker-scikit-learn" in lineage.image_uris["inference"]
    model_url = described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_url.endswith("/output/model.tar.gz")
    s3 = admin_clients(deployed_dev).client("s3")
    metrics_uri = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, key = metrics_uri[5:].split("/", 1)
    report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report["binary_classification_metrics"]["auc"]["value"] == pytest.approx(
        lineage.metrics["auc"], abs=1e-6
    )
    bucket, key = lineage.drift_baseline_uri[5:].split("/", 1)
    baseline = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert baseline["format"] == "mlops-kit/drift-baseline" and len(baseline["features"]) == 30

    code, out, _ = run_kit(capsys, "pipeline", "status", "--env", "dev", "--json")
    assert code == 0 and json.loads(out)["arn"] == run["arn"]
    code, out, _ = run_kit(capsys, "pipeline", "list", "--env", "dev", "--json")
    assert code == 0 and json.loads(out)[0]["arn"] == run["arn"]


def test_unreachable_threshold_registers_nothing_and_reports_the_gate(
    deployed_dev: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(packages(deployed_dev))
    # As a CI job runs it: the real `kit` process, its output going to a log instead of a terminal.
    completed = subprocess.run(
        [str(KIT), "pipeline", "run", "--env", "dev", "--param", "MinAuc=1.01"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert completed.returncode == 1
    # One line per step change, then the table; on stderr the reason alone, no SDK logs or warnings.
    assert "step Preprocess: Executing" in completed.stdout
    assert "step AucBelowThreshold: Failed" in completed.stdout
    assert completed.stderr.startswith("error: ") and completed.stderr.count("\n") == 1, completed.stderr
    assert "gate failed: auc" in completed.stderr and "below the threshold 1.01" in completed.stderr
    assert len(packages(deployed_dev)) == before
    code, out, _ = run_kit(capsys, "pipeline", "status", "--env", "dev", "--json")
    status = json.loads(out)
    assert code == 1 and status["status"] == "Failed"
    assert status["steps"][-1]["name"] == "AucBelowThreshold"
    assert "RegisterModel" not in [s["name"] for s in status["steps"]]


def test_input_missing_a_column_fails_in_preprocess_naming_it(
    deployed_dev: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(io.BytesIO(bundled_dataset_csv())).drop(columns=["mean_radius"])
    bucket = ResourceNames(deployed_dev).artifact_bucket
    admin_clients(deployed_dev).client("s3").put_object(
        Bucket=bucket, Key="datasets/tumor-classifier/corrupted.csv", Body=frame.to_csv(index=False).encode()
    )
    code, _, err = run_kit(
        capsys,
        "pipeline",
        "run",
        "--env",
        "dev",
        "--param",
        f"DataUri=s3://{bucket}/datasets/tumor-classifier/corrupted.csv",
    )
    assert code == 1
    assert "Preprocess" in err and "missing column 'mean_radius'" in err
    code, out, _ = run_kit(capsys, "pipeline", "status", "--env", "dev", "--json")
    steps = json.loads(out)["steps"]
    assert [(s["name"], s["status"]) for s in steps] == [("Preprocess", "Failed")]
    log = steps[0]["failure_reason"].rsplit("logs: ", 1)[-1]
    assert "mean_radius" in Path(log).read_text()


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("Nonsense=1", "--param Nonsense: unknown parameter"),
        ("DataUri=s3://no-such-bucket-kit/x.csv", "--param DataUri=s3://no-such-bucket-kit/x.csv"),
        ("MinAuc=0.5", "below dev's gate threshold"),
    ],
)
def test_bad_input_fails_before_any_execution_starts(
    deployed_dev: Environment, capsys: pytest.CaptureFixture[str], param: str, message: str
) -> None:
    before = executions(deployed_dev)
    code, _, err = run_kit(capsys, "pipeline", "run", "--env", "dev", "--param", param)
    assert code == 2
    assert message in err
    assert executions(deployed_dev) == before


def test_show_and_definition_describe_the_same_pipeline(
    deployed_dev: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_kit(capsys, "pipeline", "definition", "--env", "dev")
    assert code == 0
    definition = json.loads(out)
    code, out, _ = run_kit(capsys, "pipeline", "show", "--env", "dev", "--json")
    graph = json.loads(out)
    assert code == 0
    assert [s["name"] for s in graph["steps"]][:3] == [s["Name"] for s in definition["Steps"]][:3]
    assert {"name": "Train", "type": "Training", "after": ["Preprocess"], "branch": ""} in graph["steps"]
