"""Clients that act as an AWS service (SageMaker running a pipeline, EventBridge starting one), for
the emulator's own stand-ins: their AssumeRole is judged by the role's service trust, as in AWS."""

from __future__ import annotations

from typing import Any

from local_aws.iam.authorization import SOURCE_ARN_HEADER
from local_aws.iam.principals import ROOT_SECRET, SERVICE_KEY_PREFIX


def service_client(
    service_principal: str,
    client_service: str,
    *,
    endpoint_url: str,
    region: str,
    source_arn: str | None = None,
    source_account: str | None = None,
) -> Any:
    """A boto3 client signing as `service_principal` (e.g. `sagemaker.amazonaws.com`).

    aws:SourceAccount is `source_account` (sent as moto's `x-moto-account-id`), else, for AssumeRole,
    the role's account; aws:SourceArn is `source_arn` when given."""
    import boto3

    session: Any = boto3.session.Session()
    client = session.client(
        client_service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=f"{SERVICE_KEY_PREFIX}{service_principal}",
        aws_secret_access_key=ROOT_SECRET,
    )
    headers = {SOURCE_ARN_HEADER: source_arn or "", "x-moto-account-id": source_account or ""}

    def add_headers(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            if value:
                request.headers[name] = value

    client.meta.events.register("before-sign.*.*", add_headers)
    return client
