"""A refusal names the ARN AWS would name, for each service the kit calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_aws.iam.world import ACCOUNT, World

REGION_ACCOUNT = f"us-east-1:{ACCOUNT}"
RESOURCE_OF_CALL: list[tuple[str, str, Callable[[Any], Any], str]] = [
    (
        "sagemaker-runtime",
        "sagemaker:InvokeEndpoint",
        lambda c: c.invoke_endpoint(EndpointName="Prod-Model", Body=b"{}"),
        f"arn:aws:sagemaker:{REGION_ACCOUNT}:endpoint/prod-model",
    ),
    (
        "eks",
        "eks:DescribeCluster",
        lambda c: c.describe_cluster(name="kit"),
        f"arn:aws:eks:{REGION_ACCOUNT}:cluster/kit",
    ),
    (
        "dynamodb",
        "dynamodb:PutItem",
        lambda c: c.put_item(TableName="audit", Item={"id": {"S": "1"}}),
        f"arn:aws:dynamodb:{REGION_ACCOUNT}:table/audit",
    ),
    (
        "logs",
        "logs:CreateLogStream",
        lambda c: c.create_log_stream(logGroupName="/aws/sagemaker/x", logStreamName="s"),
        f"arn:aws:logs:{REGION_ACCOUNT}:log-group:/aws/sagemaker/x:log-stream:s",
    ),
    (
        "ecr",
        "ecr:ListImages",
        lambda c: c.list_images(repositoryName="serve"),
        f"arn:aws:ecr:{REGION_ACCOUNT}:repository/serve",
    ),
    (
        "events",
        "events:PutEvents",
        lambda c: c.put_events(Entries=[{"Source": "kit", "DetailType": "d", "Detail": "{}"}]),
        f"arn:aws:events:{REGION_ACCOUNT}:event-bus/default",
    ),
    (
        "scheduler",
        "scheduler:GetSchedule",
        lambda c: c.get_schedule(Name="drift", GroupName="kit"),
        f"arn:aws:scheduler:{REGION_ACCOUNT}:schedule/kit/drift",
    ),
    (
        "iam",
        "iam:GetRole",
        lambda c: c.get_role(RoleName="engineers"),
        f"arn:aws:iam::{ACCOUNT}:role/engineers",
    ),
]


@pytest.mark.parametrize(
    ("service", "action", "call", "resource"), RESOURCE_OF_CALL, ids=[r[1] for r in RESOURCE_OF_CALL]
)
def test_a_refusal_names_the_resource_arn_of_the_call(
    world: World, service: str, action: str, call: Callable[[Any], Any], resource: str
) -> None:
    with pytest.raises(ClientError) as raised:
        call(world.as_engineers(service))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"perform: {action} on resource: {resource} because" in raised.value.response["Error"]["Message"]
