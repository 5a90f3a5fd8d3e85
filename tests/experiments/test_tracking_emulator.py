"""A pipeline run on the emulator is an MLflow run on the local tracking server, and the version it
registers points at that run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cli.main import main as kit
from mlops_kit.config import Environment
from mlops_kit.registry.lineage import Lineage
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def run_kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = kit(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def mlflow_run(tracked: dict[str, str]) -> object:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracked["tracking_uri"])
    experiment = client.get_experiment_by_name("tumor-classifier")
    assert experiment is not None
    execution_id = tracked["execution_arn"].rsplit("/", 1)[-1]
    runs = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`kit.run_key` = '{execution_id}'"
    )
    assert len(runs) == 1
    return runs[0]


def test_pipeline_run_logs_parameters_metrics_and_lineage_to_one_mlflow_run(
    tracked: dict[str, str], dev_env: Environment
) -> None:
    run = mlflow_run(tracked)
    described = (
        admin_clients(dev_env)
        .client("sagemaker")
        .describe_model_package(ModelPackageName=tracked["version_arn"])
    )
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    assert run.data.params["n_estimators"] == "100" and run.data.params["learning_rate"] == "0.1"
    assert run.data.metrics["evaluate.auc"] == pytest.approx(lineage.metrics["auc"], abs=1e-6)
    assert 0.5 < run.data.metrics["train.validation_auc"] <= 1.0
    assert run.data.tags["git_commit"] == lineage.git_commit
    assert run.data.tags["data_sha256"] == lineage.data_sha256
    assert run.data.tags["artifact_sha256"] == lineage.artifact_sha256
    assert run.data.tags["model_data_uri"].endswith("/output/model.tar.gz")


def test_training_logs_the_validation_auc_of_every_boosting_stage(tracked: dict[str, str]) -> None:
    from mlflow import MlflowClient

    run = mlflow_run(tracked)
    history = MlflowClient(tracking_uri=tracked["tracking_uri"]).get_metric_history(
        run.info.run_id, "train.validation_auc_by_stage"
    )
    assert [m.step for m in history] == list(range(100))


def test_evaluation_report_is_a_run_artifact_stored_in_the_emulated_s3(tracked: dict[str, str]) -> None:
    import mlflow

    run = mlflow_run(tracked)
    mlflow.set_tracking_uri(tracked["tracking_uri"])
    report = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/evaluate/evaluation.json")
    assert "binary_classification_metrics" in json.loads(report)
    s3 = clients_for_default()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="kit-local-mlflow").get("Contents", [])]
    assert any(k.endswith(f"{run.info.run_id}/artifacts/evaluate/evaluation.json") for k in keys)


def clients_for_default() -> Any:
    """The operator account, where the local tracking server keeps its artifacts."""
    from tests.conftest import platform_session

    return platform_session().client("s3")


def test_registered_version_carries_the_run_id_and_models_show_links_it(
    tracked: dict[str, str], dev_env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    run = mlflow_run(tracked)
    described = (
        admin_clients(dev_env)
        .client("sagemaker")
        .describe_model_package(ModelPackageName=tracked["version_arn"])
    )
    metadata = described["CustomerMetadataProperties"]
    assert metadata["mlflow_run_id"] == run.info.run_id
    link = f"{tracked['tracking_uri']}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    assert metadata["mlflow_run_url"] == link
    version = described["ModelPackageVersion"]
    code, out, _ = run_kit(capsys, "models", "show", "tumor-classifier", str(version), "--env", "dev")
    assert code == 0
    assert f"MLflow run: {run.info.run_id} ({link})" in out
