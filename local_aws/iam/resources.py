"""The IAM action, resource ARN and service condition keys of one request to moto.

Resource ARNs follow the Service Authorization Reference for the services the kit uses. An action
whose resource cannot be named is authorized against `*`, which only a statement with `Resource: *`
matches: AWS requires exactly that for actions without resource-level permissions, and for the
others it fails closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

# Signing names whose IAM prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch"}

# moto's S3 operation names -> IAM actions where they differ.
S3_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListBuckets": "ListAllMyBuckets",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "GetBucketOwnershipControls": "GetBucketOwnershipControls",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "DeleteObjects": "DeleteObject",
    "CopyObject": "PutObject",
    "HeadObject": "GetObject",
}

# SageMaker request fields naming the resource, in priority order, with the ARN resource type.
_SAGEMAKER_FIELDS = (
    ("PipelineExecutionArn", None),
    ("ModelPackageArn", None),
    ("ModelPackageName", "model-package"),
    ("ResourceArn", None),
    ("EndpointName", "endpoint"),
    ("EndpointConfigName", "endpoint-config"),
    ("ModelName", "model"),
    ("TrainingJobName", "training-job"),
    ("ProcessingJobName", "processing-job"),
    ("TransformJobName", "transform-job"),
    ("PipelineName", "pipeline"),
    ("ModelPackageGroupName", "model-package-group"),
    ("MonitoringScheduleName", "monitoring-schedule"),
    ("ModelCardName", "model-card"),
    ("HyperParameterTuningJobName", "hyper-parameter-tuning-job"),
    ("TrackingServerName", "mlflow-tracking-server"),
)


def request_params(response: Any) -> Mapping[str, Any]:
    """The request's parameters: moto's parsed ones, else the JSON body, else the query string."""
    params = getattr(response, "params", None)
    if isinstance(params, dict) and params:
        return params
    body = getattr(response, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.startswith("{"):
        try:
            loaded = json.loads(body)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    query = getattr(response, "querystring", {}) or {}
    return {k: v[0] if isinstance(v, list) and v else v for k, v in query.items()}


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) and value else None


def _sagemaker(params: Mapping[str, Any], path: str, region: str, account: str) -> str:
    if path.startswith("/endpoints/"):  # sagemaker-runtime: /endpoints/{name}/invocations
        name = unquote(path.split("/")[2])
        return f"arn:aws:sagemaker:{region}:{account}:endpoint/{name.lower()}"
    for field, kind in _SAGEMAKER_FIELDS:
        value = _text(params, field)
        if value is None:
            continue
        if value.startswith("arn:"):
            return value
        if kind == "model-package":
            return f"arn:aws:sagemaker:{region}:{account}:model-package/{value.lower()}"
        if kind is not None:
            return f"arn:aws:sagemaker:{region}:{account}:{kind}/{value.lower()}"
    return "*"


def _kms(params: Mapping[str, Any], region: str, account: str) -> str:
    key = _text(params, "KeyId") or _text(params, "TargetKeyId") or _text(params, "DestinationKeyId")
    if key is None:
        alias = _text(params, "AliasName")
        return f"arn:aws:kms:{region}:{account}:{alias}" if alias else "*"
    if key.startswith("arn:") and ":alias/" not in key:
        return key
    if key.startswith("alias/") or ":alias/" in key:
        from moto.kms.models import kms_backends

        alias_name = key.split(":", 5)[-1]
        key_id = kms_backends[account][region].get_key_id_from_alias(alias_name)
        return f"arn:aws:kms:{region}:{account}:key/{key_id}" if key_id else "*"
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def _events(action: str, params: Mapping[str, Any], region: str, account: str) -> str:
    if action == "PutEvents":
        entries = params.get("Entries") or [{}]
        bus = entries[0].get("EventBusName") or "default"
        return bus if bus.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    rule = _text(params, "Rule") or (_text(params, "Name") if "Rule" in action else None)
    bus = _text(params, "EventBusName")
    if rule:
        scope = f"{bus}/" if bus and bus != "default" else ""
        return f"arn:aws:events:{region}:{account}:rule/{scope}{rule}"
    if "EventBus" in action or action in ("PutPermission", "RemovePermission"):
        name = bus or _text(params, "Name") or "default"
        return f"arn:aws:events:{region}:{account}:event-bus/{name}"
    return _text(params, "ResourceARN") or "*"


def _iam(params: Mapping[str, Any], account: str) -> str:
    from local_aws.iam.principals import role_arn_for_name

    for field in ("PolicyArn", "OpenIDConnectProviderArn"):
        if value := _text(params, field):
            return value
    if value := _text(params, "RoleName"):
        return role_arn_for_name(account, value)
    if value := _text(params, "UserName"):
        return f"arn:aws:iam::{account}:user/{value}"
    if value := _text(params, "GroupName"):
        return f"arn:aws:iam::{account}:group/{value}"
    if value := _text(params, "InstanceProfileName"):
        return f"arn:aws:iam::{account}:instance-profile/{value}"
    if value := _text(params, "PolicyName"):
        return f"arn:aws:iam::{account}:policy/{value}"
    if value := _text(params, "Url"):
        return f"arn:aws:iam::{account}:oidc-provider/{value.split('://', 1)[-1]}"
    return "*"


def _rest_path(path: str, region: str, account: str, service: str, query: Mapping[str, Any]) -> str:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if service == "eks" and len(parts) >= 2 and parts[0] == "clusters":
        if len(parts) >= 4 and parts[2] == "node-groups":
            return f"arn:aws:eks:{region}:{account}:nodegroup/{parts[1]}/{parts[3]}/*"
        return f"arn:aws:eks:{region}:{account}:cluster/{parts[1]}"
    if service == "scheduler" and len(parts) >= 2 and parts[0] == "schedules":
        group = query.get("groupName") or "default"
        group = group[0] if isinstance(group, list) else group
        return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{parts[1]}"
    if service == "scheduler" and len(parts) >= 2 and parts[0] == "schedule-groups":
        return f"arn:aws:scheduler:{region}:{account}:schedule-group/{parts[1]}"
    return "*"


def resource_arn(service: str, action: str, params: Mapping[str, Any], response: Any, account: str) -> str:
    """The ARN a request acts on (services other than S3 and STS, whose resource moto supplies)."""
    region = response.region
    path = getattr(response, "path", "") or ""
    if service == "sagemaker":
        return _sagemaker(params, path, region, account)
    if service == "kms":
        return _kms(params, region, account)
    if service == "events":
        return _events(action, params, region, account)
    if service == "iam":
        return _iam(params, account)
    if service == "dynamodb":
        if value := _text(params, "TableName") or _text(params, "ResourceArn"):
            return value if value.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{value}"
        return "*"
    if service == "ecr":
        if value := _text(params, "repositoryName"):
            return f"arn:aws:ecr:{region}:{account}:repository/{value}"
        return "*"
    if service == "logs":
        group = _text(params, "logGroupName")
        if group is None:
            return "*"
        stream = _text(params, "logStreamName")
        suffix = f":log-stream:{stream}" if stream else ""
        return f"arn:aws:logs:{region}:{account}:log-group:{group}{suffix}"
    if service == "cloudwatch":
        if value := _text(params, "AlarmName"):
            return f"arn:aws:cloudwatch:{region}:{account}:alarm:{value}"
        if action in ("DescribeAlarms", "DescribeAlarmHistory"):
            # A request may list several alarms: the emulator authorizes it on the account's
            # alarms as a whole (`alarm:*`), so a grant on some alarm names does not cover it.
            return f"arn:aws:cloudwatch:{region}:{account}:alarm:*"
        return "*"
    if service in ("eks", "scheduler"):
        return _rest_path(path, region, account, service, getattr(response, "querystring", {}) or {})
    return "*"


def service_context(service: str, action: str, params: Mapping[str, Any], headers: Any) -> dict[str, Any]:
    """Service-specific condition keys the request carries (absent keys stay absent, as in AWS)."""
    context: dict[str, Any] = {}
    if service == "s3":
        if value := headers.get("x-amz-server-side-encryption"):
            context["s3:x-amz-server-side-encryption"] = value
        if value := headers.get("x-amz-server-side-encryption-aws-kms-key-id"):
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = value
        for name in ("prefix", "delimiter"):
            if (value := params.get(name)) is not None:
                context[f"s3:{name}"] = value
    elif service == "cloudwatch" and (value := _text(params, "Namespace")):
        context["cloudwatch:namespace"] = value
    elif service == "events" and action == "PutEvents":
        entries = params.get("Entries") or []
        context["events:source"] = [e.get("Source", "") for e in entries]
        context["events:detail-type"] = [e.get("DetailType", "") for e in entries]
    elif service == "kms":
        for name, value in (params.get("EncryptionContext") or {}).items():
            context[f"kms:encryptioncontext:{name.lower()}"] = value
    elif service == "sts":
        if value := _text(params, "ExternalId"):
            context["sts:externalid"] = value
        if value := _text(params, "RoleSessionName"):
            context["sts:rolesessionname"] = value
    return context
