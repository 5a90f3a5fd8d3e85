"""Alarms in the emulator evaluate new metric data and their state changes reach EventBridge rules."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import boto3
import pytest

from tests.conftest import Emulator, account_root

ACCOUNT = "444444444444"


def account_session() -> boto3.session.Session:
    """The scratch account's root: this test works in an account of its own."""
    return account_root(ACCOUNT, "us-east-1")


@pytest.mark.emulator
def test_drift_metric_fires_the_alarm_and_the_rule_starts_the_pipeline(emulator: Emulator) -> None:
    session = account_session()
    cloudwatch, events, sagemaker = (session.client(s) for s in ("cloudwatch", "events", "sagemaker"))
    role = f"arn:aws:iam::{ACCOUNT}:role/pipeline"
    # The role EventBridge starts the pipeline as (and SageMaker runs it as), judged by IAM.
    iam = session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "sagemaker.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="pipeline", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="pipeline",
        PolicyName="start",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sagemaker:StartPipelineExecution",
                        "Resource": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/retrain",
                    }
                ],
            }
        ),
    )
    definition: dict[str, Any] = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "TriggeredBy", "Type": "String", "DefaultValue": "manual"}],
        "Steps": [],
    }
    sagemaker.create_pipeline(PipelineName="retrain", PipelineDefinition=json.dumps(definition), RoleArn=role)
    cloudwatch.put_metric_alarm(
        AlarmName="drift",
        Namespace="mlops-kit/drift",
        MetricName="DatasetDrift",
        Dimensions=[{"Name": "Model", "Value": "m"}],
        Statistic="Maximum",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    alarm_arn = cloudwatch.describe_alarms(AlarmNames=["drift"])["MetricAlarms"][0]["AlarmArn"]
    events.put_rule(
        Name="retrain",
        EventPattern=json.dumps(
            {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "resources": [alarm_arn],
                "detail": {"state": {"value": ["ALARM"]}},
            }
        ),
    )
    events.put_targets(
        Rule="retrain",
        Targets=[
            {
                "Id": "pipeline",
                "Arn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/retrain",
                "RoleArn": role,
                "SageMakerPipelineParameters": {
                    "PipelineParameterList": [{"Name": "TriggeredBy", "Value": "drift-alarm"}]
                },
            }
        ],
    )

    def executions() -> list[dict[str, Any]]:
        return sagemaker.list_pipeline_executions(PipelineName="retrain")["PipelineExecutionSummaries"]

    cloudwatch.put_metric_data(
        Namespace="mlops-kit/drift",
        MetricData=[
            {"MetricName": "DatasetDrift", "Dimensions": [{"Name": "Model", "Value": "m"}], "Value": 0}
        ],
    )
    assert cloudwatch.describe_alarms(AlarmNames=["drift"])["MetricAlarms"][0]["StateValue"] == "OK"
    time.sleep(0.5)
    assert executions() == []

    cloudwatch.put_metric_data(
        Namespace="mlops-kit/drift",
        MetricData=[
            {"MetricName": "DatasetDrift", "Dimensions": [{"Name": "Model", "Value": "other"}], "Value": 1}
        ],
    )
    assert cloudwatch.describe_alarms(AlarmNames=["drift"])["MetricAlarms"][0]["StateValue"] == "OK"

    cloudwatch.put_metric_data(
        Namespace="mlops-kit/drift",
        MetricData=[
            {"MetricName": "DatasetDrift", "Dimensions": [{"Name": "Model", "Value": "m"}], "Value": 1}
        ],
    )
    assert cloudwatch.describe_alarms(AlarmNames=["drift"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    deadline = time.monotonic() + 20
    while not executions() and time.monotonic() < deadline:
        time.sleep(0.2)
    started = executions()
    assert len(started) == 1
    described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=started[0]["PipelineExecutionArn"])
    assert "EventBridge" in described.get("PipelineExecutionDescription", "")
