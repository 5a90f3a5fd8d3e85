"""Alerts on the deployed platform: each environment's alert topic, its subscriptions and every
endpoint's dashboard exist as declared; an alarm that fires publishes CloudWatch's notification to
the topic, and its recovery too; and Terraform then finds nothing to change."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from tests.conftest import admin_clients

pytestmark = pytest.mark.emulator
ENVS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def deployed(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment]
) -> dict[str, Environment]:
    return environments


def test_each_environment_has_its_encrypted_alert_topic_subscribed_as_its_file_says(
    deployed: dict[str, Environment], platform: dict[str, dict[str, object]]
) -> None:
    for name in ENVS:
        env = deployed[name]
        names = ResourceNames(env)
        sns = admin_clients(env).client("sns")
        assert platform[name]["alerts_topic_arn"] == names.alerts_topic_arn
        attributes = sns.get_topic_attributes(TopicArn=names.alerts_topic_arn)["Attributes"]
        assert attributes["KmsMasterKeyId"] == platform[name]["kms_key_arn"]
        statement = json.loads(attributes["Policy"])["Statement"]
        assert [s["Principal"] for s in statement] == [{"Service": "cloudwatch.amazonaws.com"}]
        subscribed = sns.list_subscriptions_by_topic(TopicArn=names.alerts_topic_arn)["Subscriptions"]
        assert sorted((s["Protocol"], s["Endpoint"]) for s in subscribed) == sorted(
            [("email", a) for a in env.alerts.email] + [("https", u) for u in env.alerts.https]
        )


def test_every_alarm_of_the_stacks_notifies_its_environments_topic(deployed: dict[str, Environment]) -> None:
    for name in ENVS:
        env = deployed[name]
        names = ResourceNames(env)
        alarms = admin_clients(env).client("cloudwatch").describe_alarms()["MetricAlarms"]
        ours = {a["AlarmName"]: a for a in alarms}
        for model in env.models:
            for alarm in (
                names.drift_alarm(model),
                names.prediction_drift_alarm(model),
                *names.rollback_alarms(model).values(),
            ):
                assert ours[alarm]["AlarmActions"] == [names.alerts_topic_arn], alarm
                assert ours[alarm]["OKActions"] == [names.alerts_topic_arn], alarm
                assert ours[alarm]["ActionsEnabled"] is True


def test_every_endpoint_has_its_dashboard(deployed: dict[str, Environment]) -> None:
    for name in ENVS:
        env = deployed[name]
        cloudwatch = admin_clients(env).client("cloudwatch")
        for model in env.models:
            dashboard = cloudwatch.get_dashboard(DashboardName=ResourceNames(env).dashboard(model))
            titles = {w["properties"].get("title") for w in json.loads(dashboard["DashboardBody"])["widgets"]}
            assert {"Invocations per variant", "Errors per variant (4xx, 5xx)", "Alarms"} <= titles


@pytest.fixture
def alert_queue(deployed: dict[str, Environment]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """An SQS queue of staging subscribed to staging's alert topic; yields a reader of the
    notifications it received (the SNS envelope's Message, decoded), removed afterwards."""
    env = deployed["staging"]
    clients = admin_clients(env)
    sqs, sns = clients.client("sqs"), clients.client("sns")
    url = sqs.create_queue(QueueName=f"alerts-test-{int(time.time())}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(
        TopicArn=ResourceNames(env).alerts_topic_arn, Protocol="sqs", Endpoint=queue_arn
    )["SubscriptionArn"]

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        envelopes = [json.loads(m["Body"]) for m in messages]
        return [{**json.loads(e["Message"]), "Subject": e.get("Subject")} for e in envelopes]

    try:
        yield received
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=url)


def notifications_until(
    read: Callable[[], list[dict[str, Any]]], count: int, *, seconds: float = 20
) -> list[dict[str, Any]]:
    """What the queue receives until `count` notifications arrived or `seconds` passed."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while len(found) < count and time.monotonic() < deadline:
        found += read()
    return found


def test_a_firing_5xx_alarm_and_its_recovery_reach_the_topics_subscribers(
    deployed: dict[str, Environment],
    alert_queue: Callable[[], list[dict[str, Any]]],
    assert_plans_empty: Callable[..., None],
) -> None:
    env = deployed["staging"]
    names = ResourceNames(env)
    model = env.models[0]
    alarm = names.rollback_alarms(model)["errors"]
    cloudwatch = admin_clients(env).client("cloudwatch")
    [described] = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert described["StateValue"] == "OK"
    # The datapoint is dated so that it leaves the alarm's window 20 s from now: the alarm fires at
    # once and recovers by itself, and promotions to staging after this test (which roll back while
    # this alarm is in ALARM) find it OK.
    window = timedelta(seconds=int(described["Period"]) * int(described["EvaluationPeriods"]))
    dated = datetime.now(UTC) - window + timedelta(seconds=20)

    # What SageMaker publishes when the serving variant answers 5xx above the environment's limit.
    cloudwatch.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocation5XXErrors",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": names.endpoint(model)},
                    {"Name": "VariantName", "Value": "primary"},
                ],
                "Timestamp": dated,
                "Value": env.serving.alarms.max_5xx_errors + 1,
            }
        ],
    )
    try:
        assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "ALARM"
        (fired,) = notifications_until(alert_queue, 1)
    finally:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "OK":
                break
            time.sleep(1)
        else:
            cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test over")
            pytest.fail(f"{alarm} did not recover when its datapoint left the window")
    assert fired["AlarmName"] == alarm
    assert fired["NewStateValue"] == "ALARM" and fired["OldStateValue"] == "OK"
    assert fired["AWSAccountId"] == env.account_id
    assert fired["AlarmArn"] == f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:{alarm}"
    assert fired["Trigger"]["MetricName"] == "Invocation5XXErrors"
    assert fired["Trigger"]["Threshold"] == env.serving.alarms.max_5xx_errors
    assert fired["Subject"].startswith(f'ALARM: "{alarm}"')

    (recovered,) = notifications_until(alert_queue, 1)
    assert (recovered["AlarmName"], recovered["NewStateValue"]) == (alarm, "OK")
    # Staging is what this test touched (a subscription added and removed, an alarm's state):
    # Terraform still agrees with it. (Other modules change dev's drift pipeline on purpose.)
    assert_plans_empty("staging")


def test_an_alarm_with_its_actions_disabled_notifies_nobody(
    deployed: dict[str, Environment], alert_queue: Callable[[], list[dict[str, Any]]]
) -> None:
    env = deployed["staging"]
    alarm = ResourceNames(env).rollback_alarms(env.models[0])["latency"]
    cloudwatch = admin_clients(env).client("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=[alarm])
    try:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="test")
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test over")
        assert notifications_until(alert_queue, 1, seconds=3) == []
    finally:
        cloudwatch.enable_alarm_actions(AlarmNames=[alarm])
