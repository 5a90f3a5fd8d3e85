"""DynamoDB writes that may lose a condition: losing is an answer (False), not an error."""

from __future__ import annotations

from typing import Any

from mlops_kit.aws import AwsClients, client_error


def write_if(clients: AwsClients, action: str, operation: str, **kwargs: Any) -> bool:
    """Run DynamoDB `operation` (put_item, update_item, delete_item) with its ConditionExpression;
    False when the condition did not hold, other failures raised as the kit's errors."""
    dynamodb = clients.client("dynamodb")
    with client_error(action):
        try:
            getattr(dynamodb, operation)(**kwargs)
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
    return True
