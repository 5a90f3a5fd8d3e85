"""Prediction drift end to end: train.py records the model's validation answers in its artifact;
`kit drift run --env` compares what the served variant answered (data capture) with them, reports
it, publishes `PredictionDrift` and the prediction drift alarm fires."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main as kit
from mlops_kit.aws import AwsClients
from mlops_kit.config import ResourceNames
from mlops_kit.drift import build_baseline
from mlops_kit.drift.predictions import PREDICTIONS_FILE
from mlops_kit.drift.publication import DRIFT_NAMESPACE, PREDICTION_DRIFT_METRIC
from tests.conftest import admin_clients
from tests.serving.conftest import MODEL, ServedModel


def test_the_trained_artifact_records_its_answers_on_the_validation_data(
    trained_model_archive: bytes, dataset_rows: list[list[float]]
) -> None:
    with tarfile.open(fileobj=io.BytesIO(trained_model_archive), mode="r:gz") as archive:
        member = archive.extractfile(PREDICTIONS_FILE)
        assert member is not None
        answers = pd.read_csv(member)
    assert list(answers.columns) == ["label", "probability"]  # inference.py's fields, in its order
    assert len(answers) == len(dataset_rows)  # the fixture validates on the whole data set
    assert set(answers["label"]) == {0, 1}
    assert answers["probability"].between(0, 1).all()


def report_keys(clients: AwsClients, served: ServedModel) -> set[str]:
    bucket, _, prefix = (
        ResourceNames(served.env).drift_report_prefix(MODEL).removeprefix("s3://").partition("/")
    )
    listed = clients.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return {o["Key"] for o in listed.get("Contents", [])}


@pytest.fixture
def clients(served_model: ServedModel) -> Iterator[AwsClients]:
    """dev's clients; the drift reports written meanwhile are removed afterwards (they would become
    dev's latest drift check, which promotion's drift gate reads)."""
    clients = admin_clients(served_model.env)
    before = report_keys(clients, served_model)
    yield clients
    bucket = ResourceNames(served_model.env).artifact_bucket
    for key in report_keys(clients, served_model) - before:
        clients.client("s3").delete_object(Bucket=bucket, Key=key)


def invoke(clients: AwsClients, served: ServedModel, rows: list[list[float]], per_request: int = 100) -> None:
    runtime = clients.client("sagemaker-runtime")
    for start in range(0, len(rows), per_request):
        body = "\n".join(
            ",".join(repr(float(v)) for v in row[1:]) for row in rows[start : start + per_request]
        )
        runtime.invoke_endpoint(EndpointName=served.endpoint, ContentType="text/csv", Body=body)


def drift_run(baseline: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    # The window ends at the check's second: answers of that same second would fall after it.
    time.sleep(1.1)
    code = kit(["drift", "run", "--env", "dev", "--since", "15m", "--baseline", str(baseline), "--json"])
    return code, json.loads(capsys.readouterr().out)


def primary_of(document: dict[str, object]) -> dict[str, object]:
    variants = document["prediction_drift"]["variants"]  # type: ignore[index]
    (primary,) = [v for v in variants if v["variant"] == "primary"]
    return primary  # type: ignore[no-any-return]


@pytest.mark.emulator
def test_drift_run_finds_the_served_answers_moved_from_the_recorded_ones(
    served_model: ServedModel,
    clients: AwsClients,
    dataset_rows: list[list[float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    features = pd.DataFrame([row[1:] for row in dataset_rows])
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        build_baseline(features.set_axis([str(c) for c in features.columns], axis=1)).to_json()
    )
    names = ResourceNames(served_model.env)
    # Positional CSV requests: the baseline's columns are named by position like the capture rows.
    invoke(clients, served_model, dataset_rows)

    _, document = drift_run(baseline, capsys)
    primary = primary_of(document)
    assert primary["model_name"] == served_model.config_name
    assert primary["unavailable"] is None
    assert primary["drifted"] is False
    assert primary["report"]["rows_current"] >= len(dataset_rows)  # type: ignore[index]

    # Then only malignant tumours arrive: the model answers label 0 far more often than it did.
    malignant = [row for row in dataset_rows if int(row[0]) == 0]
    invoke(clients, served_model, malignant * 3)
    code, document = drift_run(baseline, capsys)
    primary = primary_of(document)
    assert code == 3, json.dumps({k: v for k, v in document.items() if k != "features"})[:4000]
    assert primary["drifted"] is True
    assert "label" in primary["report"]["drifted_features"]  # type: ignore[index]
    assert document["prediction_drift"]["drifted"] is True  # type: ignore[index]

    cloudwatch = clients.client("cloudwatch")
    end = datetime.now(UTC) + timedelta(minutes=5)
    points = cloudwatch.get_metric_statistics(
        Namespace=DRIFT_NAMESPACE,
        MetricName=PREDICTION_DRIFT_METRIC,
        Dimensions=[{"Name": "Environment", "Value": "dev"}, {"Name": "Model", "Value": MODEL}],
        StartTime=end - timedelta(hours=1),
        EndTime=end,
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert max(p["Maximum"] for p in points) == 1.0
    alarm = cloudwatch.describe_alarms(AlarmNames=[names.prediction_drift_alarm(MODEL)])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["AlarmActions"] == [names.alerts_topic_arn]
