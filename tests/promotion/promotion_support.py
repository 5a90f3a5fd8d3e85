"""Helpers shared by the promotion tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlops_kit.config import Environment, ResourceNames

MODEL = "tumor-classifier"
GOOD_METRICS = {"auc": 0.985, "accuracy": 0.96, "f1": 0.95}
CLEAN_REPORT_KEY = "2026-01-01T00-00-00Z.json"
PROD_APPROVER_ROLE = "arn:aws:iam::333333333333:role/mlkit-prod-approver"


def put_drift_report(env: Environment, key: str, *, drifted: bool) -> str:
    from mlops_kit.aws import clients_for
    from mlops_kit.promotion.drift_status import split_s3_uri

    bucket, prefix = split_s3_uri(ResourceNames(env).drift_report_prefix(MODEL) + "/")
    body = json.dumps({"drifted": drifted, "generated_at": key.removesuffix(".json")})
    clients_for(env).client("s3").put_object(Bucket=bucket, Key=prefix + key, Body=body.encode())
    return prefix + key


def delete_drift_report(env: Environment, key: str) -> None:
    from mlops_kit.aws import clients_for

    bucket = ResourceNames(env).artifact_bucket
    clients_for(env).client("s3").delete_object(Bucket=bucket, Key=key)


@dataclass(frozen=True)
class DevVersion:
    version: int
    arn: str
    artifact_uri: str
    baseline_uri: str = ""
    baseline: bytes = b""  # the drift baseline document's bytes


@contextmanager
def identity(role_arn: str, session_name: str) -> Iterator[str]:
    """Act as another identity (assumed role) inside the block; yields its ARN."""
    import boto3

    credentials = (
        boto3.session.Session()
        .client("sts")
        .assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    )
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    previous = {k: os.environ.get(k) for k in keys}
    os.environ["AWS_ACCESS_KEY_ID"] = credentials["AccessKeyId"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = credentials["SecretAccessKey"]
    os.environ["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    try:
        yield boto3.session.Session().client("sts").get_caller_identity()["Arn"]
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
