"""The twin performs an alarm's SNS actions as CloudWatch does, and SNS delivers them: to SQS, to an
HTTP endpoint on this machine, and never off it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from tests.conftest import Emulator

pytestmark = pytest.mark.emulator


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP endpoint on 127.0.0.1 recording what is posted to it."""
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Recorder.received
    finally:
        server.shutdown()


def client(emulator: Emulator, service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=emulator.endpoint_url)


def wait_for(found: Any, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


def test_a_firing_alarm_notifies_its_topics_subscribers_on_and_off_this_machine(
    emulator: Emulator, loopback_endpoint: tuple[str, list[dict[str, Any]]]
) -> None:
    sns, sqs, cloudwatch = (client(emulator, s) for s in ("sns", "sqs", "cloudwatch"))
    topic = sns.create_topic(Name="notified")["TopicArn"]
    queue = sqs.create_queue(QueueName="notified")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    url, posted = loopback_endpoint
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    # Off this machine: logged as not delivered, and it must not slow or fail the alarm.
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://alerts.example.invalid/hook")
    cloudwatch.put_metric_alarm(
        AlarmName="errors",
        AlarmDescription="too many errors",
        Namespace="Test",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic, "arn:aws:sns:us-east-1:123456789012:no-such-topic"],
    )

    started = time.monotonic()
    cloudwatch.put_metric_data(Namespace="Test", MetricData=[{"MetricName": "Errors", "Value": 5}])
    assert time.monotonic() - started < 5
    assert cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] == "ALARM"

    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Subject"] == 'ALARM: "errors" in US East (N. Virginia)'
    notification = json.loads(envelope["Message"])
    assert notification["AlarmName"] == "errors" and notification["AlarmDescription"] == "too many errors"
    assert (notification["OldStateValue"], notification["NewStateValue"]) == ("OK", "ALARM")
    assert notification["Trigger"]["MetricName"] == "Errors" and notification["Trigger"]["Statistic"] == "SUM"

    assert wait_for(lambda: posted)
    assert json.loads(posted[0]["Message"])["AlarmName"] == "errors"

    # No OK actions: the recovery notifies nobody.
    cloudwatch.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="over")
    time.sleep(1)
    assert not sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")
