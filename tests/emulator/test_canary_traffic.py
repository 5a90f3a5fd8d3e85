"""Blue/green UpdateEndpoint in the emulator splits traffic like SageMaker, invocations publish the
AWS/SageMaker metrics, and the stacks' 5xx alarm rolls a failing canary back from those alone.

Each test has an endpoint of its own in an emulated account of its own, with the two rollback
alarms of stacks/serving.py (same metric, dimensions, statistic, period and comparison).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from mlops_kit.serving.images import sklearn_image_uri
from tests.conftest import Emulator, account_root
from tests.emulator.conftest import policy_seconds
from tests.emulator.tagged_models import tagged_model_archive

pytestmark = [pytest.mark.emulator]

ACCOUNT = "555555555555"
REGION = "us-east-1"
MAX_5XX_ERRORS = 5


@dataclass
class CanaryEndpoint:
    """An endpoint serving the `blue` model, with configurations ready for `green` and `broken`."""

    name: str
    configs: dict[str, str]  # tag -> endpoint configuration name
    alarms: dict[str, str]  # purpose -> alarm name
    sagemaker: Any
    runtime: Any
    cloudwatch: Any

    def invoke(self) -> str:
        """The tag of the model that answered, or `error` for a ModelError."""
        try:
            answer = self.runtime.invoke_endpoint(
                EndpointName=self.name, ContentType="application/json", Body=b"[1]"
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError", exc.response
            return "error"
        return str(json.loads(answer["Body"].read())["model"])

    def update(self, tag: str, *, canary_percent: int, bake_seconds: float) -> None:
        self.sagemaker.update_endpoint(
            EndpointName=self.name,
            EndpointConfigName=self.configs[tag],
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": canary_percent},
                        "WaitIntervalInSeconds": policy_seconds(bake_seconds),
                    },
                    "TerminationWaitInSeconds": 0,
                },
                "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": a} for a in self.alarms.values()]},
            },
        )

    def described(self) -> dict[str, Any]:
        return self.sagemaker.describe_endpoint(EndpointName=self.name)  # type: ignore[no-any-return]

    def alarm(self, purpose: str) -> dict[str, Any]:
        return self.cloudwatch.describe_alarms(AlarmNames=[self.alarms[purpose]])["MetricAlarms"][0]  # type: ignore[no-any-return]


def account_session() -> boto3.session.Session:
    """The scratch account's root: this test works in an account of its own."""
    return account_root(ACCOUNT, REGION)


@pytest.fixture
def canary_endpoint(emulator: Emulator) -> Iterator[CanaryEndpoint]:
    session = account_session()
    sagemaker, s3, cloudwatch = (session.client(s) for s in ("sagemaker", "s3", "cloudwatch"))
    run = uuid.uuid4().hex[:8]
    name = f"canary-{run}"
    bucket = f"canary-models-{run}"
    s3.create_bucket(Bucket=bucket)
    configs = {}
    for tag in ("blue", "green", "broken"):
        s3.put_object(Bucket=bucket, Key=f"{tag}/model.tar.gz", Body=tagged_model_archive(tag))
        sagemaker.create_model(
            ModelName=f"{name}-{tag}",
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
            PrimaryContainer={
                "Image": sklearn_image_uri(REGION),
                "ModelDataUrl": f"s3://{bucket}/{tag}/model.tar.gz",
            },
        )
        configs[tag] = f"{name}-{tag}"
        sagemaker.create_endpoint_config(
            EndpointConfigName=configs[tag],
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": f"{name}-{tag}",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                    "InitialVariantWeight": 1.0,
                }
            ],
        )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=configs["blue"])
    dimensions = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "primary"}]
    alarms = {"errors": f"{name}-5xx", "latency": f"{name}-latency"}
    common = {"Namespace": "AWS/SageMaker", "Dimensions": dimensions, "Period": 60}
    common |= {"ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"}
    cloudwatch.put_metric_alarm(
        AlarmName=alarms["errors"],
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        EvaluationPeriods=1,
        Threshold=MAX_5XX_ERRORS,
        **common,
    )
    cloudwatch.put_metric_alarm(
        AlarmName=alarms["latency"],
        MetricName="ModelLatency",
        ExtendedStatistic="p99",
        EvaluationPeriods=3,
        Threshold=1_000_000,
        **common,
    )
    runtime = session.client("sagemaker-runtime")
    endpoint = CanaryEndpoint(name, configs, alarms, sagemaker, runtime, cloudwatch)
    assert endpoint.invoke() == "blue"
    yield endpoint
    sagemaker.delete_endpoint(EndpointName=name)


def wait_until(condition: Any, timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def statistic(endpoint: CanaryEndpoint, metric: str, stat: str) -> float:
    end = datetime.now(UTC) + timedelta(minutes=1)
    points = endpoint.cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint.name},
            {"Name": "VariantName", "Value": "primary"},
        ],
        StartTime=end - timedelta(minutes=10),
        EndTime=end,
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    return float(sum(p[stat] for p in points))


def test_invocations_publish_sagemaker_metrics_with_endpoint_and_variant(
    canary_endpoint: CanaryEndpoint,
) -> None:
    for _ in range(4):
        assert canary_endpoint.invoke() == "blue"  # 5 invocations with the fixture's

    assert wait_until(lambda: statistic(canary_endpoint, "Invocations", "Sum") == 5, timeout=5)
    listed = canary_endpoint.cloudwatch.list_metrics(
        Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName", "Value": canary_endpoint.name}]
    )["Metrics"]
    assert {m["MetricName"] for m in listed} == {
        "Invocations",
        "InvocationsPerInstance",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
        "ModelLatency",
        "OverheadLatency",
    }
    for metric in listed:
        assert sorted((d["Name"], d["Value"]) for d in metric["Dimensions"]) == [
            ("EndpointName", canary_endpoint.name),
            ("VariantName", "primary"),
        ]
    assert statistic(canary_endpoint, "Invocation5XXErrors", "Sum") == 0
    assert statistic(canary_endpoint, "Invocation4XXErrors", "Sum") == 0
    assert statistic(canary_endpoint, "ModelLatency", "SampleCount") == 5
    assert 0 < statistic(canary_endpoint, "ModelLatency", "Maximum") < 10_000_000  # microseconds
    assert statistic(canary_endpoint, "OverheadLatency", "SampleCount") == 5


def test_a_healthy_canary_gets_its_share_then_all_traffic(canary_endpoint: CanaryEndpoint) -> None:
    canary_endpoint.update("green", canary_percent=20, bake_seconds=6)

    # Until the green fleet is up, blue answers; the canary phase's 5th request is green's first.
    assert wait_until(lambda: canary_endpoint.invoke() == "green", timeout=20)
    canary = [canary_endpoint.invoke() for _ in range(20)]
    assert canary_endpoint.described()["EndpointStatus"] == "Updating"
    assert [i for i, tag in enumerate(canary, start=1) if tag == "green"] == [5, 10, 15, 20]
    assert set(canary) == {"blue", "green"}

    described = wait_until(
        lambda: (d := canary_endpoint.described())["EndpointStatus"] == "InService" and d, timeout=30
    )
    assert described["EndpointConfigName"] == canary_endpoint.configs["green"]
    assert [canary_endpoint.invoke() for _ in range(10)] == ["green"] * 10
    assert canary_endpoint.alarm("errors")["StateValue"] == "OK"


def test_a_failing_canary_trips_the_5xx_alarm_by_its_metrics_and_rolls_back(
    canary_endpoint: CanaryEndpoint,
) -> None:
    canary_endpoint.update("broken", canary_percent=20, bake_seconds=120)

    answers: list[str] = []
    deadline = time.monotonic() + 60
    while canary_endpoint.described()["EndpointStatus"] == "Updating" and time.monotonic() < deadline:
        answers.append(canary_endpoint.invoke())

    described = canary_endpoint.described()
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == canary_endpoint.configs["blue"]
    assert canary_endpoint.alarms["errors"] in described["FailureReason"]
    assert answers.count("error") > MAX_5XX_ERRORS
    assert set(answers) == {"blue", "error"}
    alarm = canary_endpoint.alarm("errors")
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed")  # evaluated, not set by hand
    assert canary_endpoint.alarm("latency")["StateValue"] == "OK"
    # All traffic is back on blue.
    assert [canary_endpoint.invoke() for _ in range(10)] == ["blue"] * 10
    errors = answers.count("error")
    assert wait_until(lambda: statistic(canary_endpoint, "Invocation5XXErrors", "Sum") == errors, timeout=5)


def test_an_alarm_set_by_hand_holds_until_its_next_evaluation(canary_endpoint: CanaryEndpoint) -> None:
    """As in CloudWatch, SetAlarmState lasts until the alarm is next evaluated: on new data for its
    metric, or on schedule a period later (its metric having data does not undo it at once)."""
    assert wait_until(
        lambda: statistic(canary_endpoint, "Invocation5XXErrors", "SampleCount") >= 1, timeout=5
    )
    canary_endpoint.cloudwatch.set_alarm_state(
        AlarmName=canary_endpoint.alarms["errors"], StateValue="ALARM", StateReason="test: by hand"
    )
    time.sleep(2.5)
    assert canary_endpoint.alarm("errors")["StateValue"] == "ALARM"
