"""The drift job on the emulator: the drift pipeline run by the local runner over data capture in the
dev bucket, and `kit drift run --env`; reports land under the drift report prefix, metrics in CloudWatch."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from cli.main import main as kit
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.drift import build_baseline
from mlops_kit.pipeline.platform import resolve_platform
from mlops_kit.pipeline.service import upload_inputs, upsert_pipeline
from mlops_kit.promotion.drift_status import latest_drift_status
from tests.conftest import admin_clients
from tests.drift_job.conftest import SHIFTED_FEATURES, capture_line

pytestmark = pytest.mark.slow
VARIANT = "AllTraffic"
# Fields of a stored report that differ between two runs over the same data.
RUN_FIELDS = ("generated_at", "window", "execution_arn", "shards")


@pytest.fixture(scope="module")
def dev(platform: dict[str, dict[str, object]], environments: dict[str, Environment]) -> Environment:
    return environments["dev"]


@pytest.fixture(scope="module")
def clients(dev: Environment) -> AwsClients:
    return admin_clients(dev)


@pytest.fixture(scope="module", autouse=True)
def reports_removed_afterwards(clients: AwsClients, dev: Environment) -> Iterator[None]:
    """The drifted reports written here must not become dev's latest drift check for later tests
    (promotion's drift gate reads it)."""
    before = {model: report_keys(clients, dev, model) for model in dev.models}
    yield
    bucket = ResourceNames(dev).artifact_bucket
    for model in dev.models:
        for key in report_keys(clients, dev, model) - before[model]:
            clients.client("s3").delete_object(Bucket=bucket, Key=key)


def put_capture(
    clients: AwsClients,
    env: Environment,
    model: str,
    frame: pd.DataFrame,
    at: datetime,
    objects: int,
    *,
    corrupt: bool = True,
) -> int:
    """Write `frame` as `objects` capture objects of the endpoint at hour `at`; the number of lines."""
    names = ResourceNames(env)
    bucket, _, prefix = names.data_capture_prefix(model).removeprefix("s3://").partition("/")
    s3 = clients.client("s3")
    for index in range(objects):
        part = frame.iloc[index::objects]
        lines = [capture_line(list(row), at) for row in part.itertuples(index=False)]
        if corrupt and index == 0:
            lines.append("{not json")  # a corrupt line: skipped and counted
        key = f"{prefix}/{names.endpoint(model)}/{VARIANT}/{at:%Y/%m/%d/%H}/{index:02d}-{uuid.uuid4()}.jsonl"
        s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    return len(frame)


@pytest.fixture(scope="module")
def capture_of_this_module_only(clients: AwsClients, dev: Environment) -> Iterator[None]:
    """The endpoint's capture folder holds only what this module writes: capture already there (e.g.
    the serving tests' requests, inside the window too) is set aside meanwhile and put back after,
    and this module's own capture is removed, so row counts do not depend on test order."""
    bucket, _, prefix = (
        ResourceNames(dev).data_capture_prefix(dev.models[0]).removeprefix("s3://").partition("/")
    )
    s3 = clients.client("s3")

    def keys() -> set[str]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    set_aside = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys()}
    for key in set_aside:
        s3.delete_object(Bucket=bucket, Key=key)
    yield
    for key in keys():
        s3.delete_object(Bucket=bucket, Key=key)
    for key, body in set_aside.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture(scope="module")
def captured(
    clients: AwsClients, dev: Environment, breast_cancer: pd.DataFrame, capture_of_this_module_only: None
) -> dict[str, Any]:
    """A baseline of the whole data set in the dev bucket, and an hour of shifted capture (five
    objects) plus an object two days old that the window leaves out, alone in the capture folder."""
    model = dev.models[0]
    names = ResourceNames(dev)
    baseline_key = f"drift-baselines/{model}/test-baseline.json"
    clients.client("s3").put_object(
        Bucket=names.artifact_bucket, Key=baseline_key, Body=build_baseline(breast_cancer).to_json().encode()
    )
    shifted = breast_cancer.sample(n=400, random_state=3)
    for column in SHIFTED_FEATURES:
        shifted[column] = shifted[column] + breast_cancer[column].std()
    now = datetime.now(UTC)
    rows = put_capture(clients, dev, model, shifted, now - timedelta(hours=1), objects=5)
    put_capture(
        clients, dev, model, breast_cancer.head(50), now - timedelta(days=2), objects=1, corrupt=False
    )
    return {"model": model, "baseline_uri": f"s3://{names.artifact_bucket}/{baseline_key}", "rows": rows}


def report_keys(clients: AwsClients, env: Environment, model: str) -> set[str]:
    bucket, _, prefix = ResourceNames(env).drift_report_prefix(model).removeprefix("s3://").partition("/")
    listed = clients.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return {
        o["Key"]
        for o in listed.get("Contents", [])
        if o["Key"].endswith(".json") and "/html/" not in o["Key"]
    }


def run_drift_pipeline(
    clients: AwsClients, env: Environment, captured: dict[str, Any], instances: int
) -> dict[str, Any]:
    """Upsert the drift pipeline with `instances` shard instances, run it, return the new report."""
    from pipelines.drift import build_drift_pipeline

    model = captured["model"]
    variant = env.model_copy(update={"drift": env.drift.model_copy(update={"instance_count": instances})})
    built = build_drift_pipeline(variant, resolve_platform(clients, env), model)
    # A pipeline of its own beside the stack's, so the deployed drift job stays as Terraform declared
    # it (later tests plan dev and expect no change); the code objects are the stack's, by content.
    built = dataclasses.replace(built, name=f"{built.name}-test-x{instances}")
    s3, sagemaker = clients.client("s3"), clients.client("sagemaker")
    upload_inputs(clients, built, dataset_bucket=built.code.bucket)
    upsert_pipeline(clients, built)
    before = report_keys(clients, env, model)
    time.sleep(1.1)  # reports are named by the second the run started
    arn = sagemaker.start_pipeline_execution(
        PipelineName=built.name,
        PipelineParameters=[{"Name": "BaselineUri", "Value": captured["baseline_uri"]}],
    )["PipelineExecutionArn"]
    deadline = time.monotonic() + 300
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] in ("Succeeded", "Failed", "Stopped"):
            break
        assert time.monotonic() < deadline, "the drift pipeline did not finish in 5 minutes"
        time.sleep(0.5)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    new = sorted(report_keys(clients, env, model) - before)
    assert len(new) == 1, new
    bucket = ResourceNames(env).artifact_bucket
    document: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=new[0])["Body"].read())
    document["key"] = new[0]
    return document


@pytest.fixture(scope="module")
def unsharded_report(clients: AwsClients, dev: Environment, captured: dict[str, Any]) -> dict[str, Any]:
    return run_drift_pipeline(clients, dev, captured, instances=1)


def test_pipeline_writes_the_report_the_drift_gate_reads(
    clients: AwsClients, dev: Environment, captured: dict[str, Any], unsharded_report: dict[str, Any]
) -> None:
    model = captured["model"]
    assert unsharded_report["drifted"] is True
    assert unsharded_report["rows_current"] == captured["rows"]  # the two-day-old object is outside
    assert unsharded_report["rows_skipped"] == 1
    assert (
        unsharded_report["key"].rsplit("/", 1)[-1]
        == unsharded_report["generated_at"].replace(":", "-") + ".json"
    )
    # Prediction drift: the capture's variant folder is not one the endpoint serves, so the job
    # says so rather than comparing its answers with another version's.
    (variant,) = unsharded_report["prediction_drift"]["variants"]
    assert (variant["variant"], variant["drifted"]) == (VARIANT, False)
    assert variant["unavailable"] == "the endpoint no longer serves this variant"
    status = latest_drift_status(clients, dev, model)
    assert status is not None and status.drifted is True
    assert status.generated_at == unsharded_report["generated_at"]


def test_pipeline_publishes_dataset_and_feature_metrics(
    clients: AwsClients, dev: Environment, captured: dict[str, Any], unsharded_report: dict[str, Any]
) -> None:
    cloudwatch = clients.client("cloudwatch")
    dimensions = [{"Name": "Environment", "Value": dev.name}, {"Name": "Model", "Value": captured["model"]}]
    end = datetime.now(UTC) + timedelta(minutes=5)
    statistics = cloudwatch.get_metric_statistics(
        Namespace="mlops-kit/drift",
        MetricName="DatasetDrift",
        Dimensions=dimensions,
        StartTime=end - timedelta(hours=2),
        EndTime=end,
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert max(point["Maximum"] for point in statistics) == 1.0
    features = cloudwatch.list_metrics(Namespace="mlops-kit/drift", MetricName="FeatureDrift")["Metrics"]
    named = {d["Value"] for metric in features for d in metric["Dimensions"] if d["Name"] == "Feature"}
    assert set(SHIFTED_FEATURES) <= named


def test_two_shards_give_the_report_of_one(
    clients: AwsClients, dev: Environment, captured: dict[str, Any], unsharded_report: dict[str, Any]
) -> None:
    sharded = run_drift_pipeline(clients, dev, captured, instances=2)
    assert sharded["shards"] == 2 and unsharded_report["shards"] == 1
    same = {k: v for k, v in sharded.items() if k not in (*RUN_FIELDS, "key")}
    assert same == {k: v for k, v in unsharded_report.items() if k not in (*RUN_FIELDS, "key")}


def test_kit_drift_run_env_publishes_and_exits_3(
    dev: Environment, captured: dict[str, Any], capsys: pytest.CaptureFixture[str], clients: AwsClients
) -> None:
    before = report_keys(clients, dev, captured["model"])
    time.sleep(1.1)
    code = kit(
        ["drift", "run", "--env", "dev", "--since", "6h", "--baseline", captured["baseline_uri"], "--json"]
    )
    out = capsys.readouterr().out
    assert code == 3
    document = json.loads(out)
    assert document["drifted"] is True and document["rows_current"] == captured["rows"]
    assert len(report_keys(clients, dev, captured["model"]) - before) == 1


def test_kit_drift_run_env_without_a_serving_version_asks_for_a_baseline(
    dev: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    code = kit(["drift", "run", "--env", "dev"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--baseline" in err
