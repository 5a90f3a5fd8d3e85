"""Model quality with ground truth on the emulator: answers captured with the inference id `kit
endpoint invoke` gives each request, labels uploaded for them by `kit labels upload` (bad rows
counted), `kit quality run` joining the two and publishing accuracy and AUC of the serving variant."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as kit
from mlops_kit.aws import AwsClients
from mlops_kit.config import ResourceNames
from mlops_kit.quality.publication import AUC_METRIC, QUALITY_NAMESPACE
from tests.conftest import admin_clients
from tests.serving.conftest import MODEL, ServedModel

pytestmark = pytest.mark.emulator


def keys_under(clients: AwsClients, uri: str) -> set[str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    listed = clients.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return {o["Key"] for o in listed.get("Contents", [])}


@pytest.fixture
def clients(served_model: ServedModel) -> Iterator[AwsClients]:
    """dev's clients; labels and quality reports written meanwhile are removed afterwards."""
    clients = admin_clients(served_model.env)
    names = ResourceNames(served_model.env)
    prefixes = (names.labels_prefix(MODEL), names.quality_report_prefix(MODEL))
    before = {p: keys_under(clients, p) for p in prefixes}
    yield clients
    for prefix in prefixes:
        for key in keys_under(clients, prefix) - before[prefix]:
            clients.client("s3").delete_object(Bucket=names.artifact_bucket, Key=key)


def run_kit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = kit(args)
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else {}), captured.err


def test_labels_joined_with_captured_answers_give_accuracy_and_auc_per_variant(
    served_model: ServedModel,
    clients: AwsClients,
    dataset_rows: list[list[float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = dataset_rows[::8]  # 72 requests of one row: `kit endpoint invoke` gives each an id
    requests = tmp_path / "rows.csv"
    requests.write_text("\n".join(",".join(repr(float(v)) for v in row[1:]) for row in rows) + "\n")
    code, invoked, err = run_kit(
        ["endpoint", "invoke", "--env", "dev", "--data", str(requests), "--json"], capsys
    )
    assert code == 0, err
    ids = [result["inference_id"] for result in invoked]  # type: ignore[attr-defined]
    assert len(set(ids)) == len(rows) and all(ids)
    labels = tmp_path / "labels.csv"
    lines = ["inference_id,label"] + [f"{i},{int(row[0])}" for i, row in zip(ids, rows, strict=True)]
    lines += [f"{ids[0]},{int(rows[0][0])}", "never-served,1", f"{ids[1]},benign", ",0"]
    labels.write_text("\n".join(lines) + "\n")

    code, uploaded, err = run_kit(["labels", "upload", str(labels), "--env", "dev", "--json"], capsys)
    assert code == 0, err
    # ids[1] stays (its bad row is dropped, its good one kept); "never-served" is a label like any
    assert uploaded["labels"] == len(rows) + 1
    assert uploaded["rejected"] == {"missing_id": 1, "wrong_type": 1, "duplicated": 1}
    code, again, _ = run_kit(["labels", "upload", str(labels), "--env", "dev", "--json"], capsys)
    assert (code, again["uri"], again["already_uploaded"]) == (0, uploaded["uri"], True)

    time.sleep(1.1)  # the window ends at the check's second: answers of that second fall after it
    code, report, err = run_kit(["quality", "run", "--env", "dev", "--since", "15m", "--json"], capsys)
    assert code == 0, err
    (primary,) = report["variants"]  # type: ignore[misc]
    assert primary["variant"] == "primary" and primary["model_name"] == served_model.config_name
    assert primary["labelled"] == len(rows)  # every answer joined; "never-served" is unknown
    assert primary["accuracy"] >= 0.9 and primary["auc"] >= 0.95  # a real model on its own data
    assert report["skipped"]["unknown_ids"] == 1  # type: ignore[index]

    end = datetime.now(UTC) + timedelta(minutes=5)
    points = clients.client("cloudwatch").get_metric_statistics(
        Namespace=QUALITY_NAMESPACE,
        MetricName=AUC_METRIC,
        Dimensions=[{"Name": "Environment", "Value": "dev"}, {"Name": "Model", "Value": MODEL}],
        StartTime=end - timedelta(hours=1),
        EndTime=end,
        Period=3600,
        Statistics=["Minimum"],
    )["Datapoints"]
    assert points and min(p["Minimum"] for p in points) == pytest.approx(primary["auc"])
    alarm = clients.client("cloudwatch").describe_alarms(
        AlarmNames=[ResourceNames(served_model.env).quality_alarm(MODEL)]
    )["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"  # above dev's AUC floor
    assert alarm["MetricName"] == AUC_METRIC


def test_the_scheduled_quality_job_writes_the_same_quality_as_the_command(
    served_model: ServedModel,
    clients: AwsClients,
    dataset_rows: list[list[float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The stack's quality pipeline (what its schedule starts), run by the emulator's runner."""
    rows = dataset_rows[3::16]
    requests = tmp_path / "rows.csv"
    requests.write_text("\n".join(",".join(repr(float(v)) for v in row[1:]) for row in rows) + "\n")
    code, invoked, err = run_kit(
        ["endpoint", "invoke", "--env", "dev", "--data", str(requests), "--json"], capsys
    )
    assert code == 0, err
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "inference_id,label\n"
        + "".join(f"{r['inference_id']},{int(row[0])}\n" for r, row in zip(invoked, rows, strict=True))
    )
    assert run_kit(["labels", "upload", str(labels), "--env", "dev", "--json"], capsys)[0] == 0
    names = ResourceNames(served_model.env)
    before = keys_under(clients, names.quality_report_prefix(MODEL))
    time.sleep(1.1)  # the window ends at the execution's start, to the second
    sagemaker = clients.client("sagemaker")
    arn = sagemaker.start_pipeline_execution(PipelineName=names.quality_pipeline(MODEL))[
        "PipelineExecutionArn"
    ]
    deadline = time.monotonic() + 300
    while (status := sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn))[
        "PipelineExecutionStatus"
    ] not in ("Succeeded", "Failed", "Stopped"):
        assert time.monotonic() < deadline, "the quality pipeline did not finish in 5 minutes"
        time.sleep(0.5)
    assert status["PipelineExecutionStatus"] == "Succeeded", status.get("FailureReason")
    (new,) = keys_under(clients, names.quality_report_prefix(MODEL)) - before
    report = json.loads(clients.client("s3").get_object(Bucket=names.artifact_bucket, Key=new)["Body"].read())
    assert report["usable"] is True
    (primary,) = report["variants"]
    assert primary["model_name"] == served_model.config_name
    assert primary["labelled"] >= len(rows)  # with the labels the other test uploaded, if it ran first
    assert primary["accuracy"] >= 0.9


def test_quality_run_without_labels_is_refused_naming_what_to_do(
    served_model: ServedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_kit(["quality", "run", "--env", "staging"], capsys)
    assert code == 2
    assert "no usable label" in err and "kit labels upload" in err and "Traceback" not in err
