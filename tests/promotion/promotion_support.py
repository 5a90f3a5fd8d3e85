"""Helpers shared by the promotion tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from mlops_kit.config import Environment, ResourceNames
from tests.conftest import admin_clients

MODEL = "tumor-classifier"
GOOD_METRICS = {"auc": 0.985, "accuracy": 0.96, "f1": 0.95}
CLEAN_REPORT_KEY = "2026-01-01T00-00-00Z.json"
PROD_APPROVER_ROLE = "arn:aws:iam::333333333333:role/mlkit-prod-approver"


@contextmanager
def release_identity(env: str = "prod") -> Iterator[str]:
    """Act as `env`'s release workflow (its GitHub OIDC role; the profile `kit local up` writes,
    local_aws.accounts) inside the block: the only identity that promotes into prod. Yields its ARN."""
    from local_aws.server import acting_as

    with acting_as(f"mlkit-release-{env}") as arn:
        yield arn


def put_drift_report(env: Environment, key: str, *, drifted: bool) -> str:
    from mlops_kit.promotion.drift_status import split_s3_uri

    bucket, prefix = split_s3_uri(ResourceNames(env).drift_report_prefix(MODEL) + "/")
    body = json.dumps({"drifted": drifted, "generated_at": key.removesuffix(".json")})
    admin_clients(env).client("s3").put_object(Bucket=bucket, Key=prefix + key, Body=body.encode())
    return prefix + key


def delete_drift_report(env: Environment, key: str) -> None:

    bucket = ResourceNames(env).artifact_bucket
    admin_clients(env).client("s3").delete_object(Bucket=bucket, Key=key)


@dataclass(frozen=True)
class DevVersion:
    version: int
    arn: str
    artifact_uri: str
    baseline_uri: str = ""
    baseline: bytes = b""  # the drift baseline document's bytes


@contextmanager
def identity(role_arn: str, session_name: str) -> Iterator[str]:
    """Act as another identity (a role assumed from the operator account, as an identity provider's
    session would be: local_aws.accounts) inside the block; yields its ARN."""
    import boto3

    from local_aws.accounts import PLATFORM_PROFILE

    credentials = (
        boto3.session.Session(profile_name=PLATFORM_PROFILE)
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


def model_archive(model: bytes, run: str) -> bytes:
    """`model.tar.gz` of one training run: the model and the run's id (so each run's bytes differ)."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("model.joblib", model), ("run.txt", run.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


def register_version(
    dev: Environment,
    trained_model: bytes,
    training_features: Any,
    metrics: dict[str, float] | None = None,
    recorded_sha256: str | None = None,
    *,
    baseline: bool = True,
    archive: bytes | None = None,
) -> DevVersion:
    """Register a dev version like the training pipeline: artifact and drift baseline (each run's
    its own) in the dev bucket, metrics and lineage in the package metadata, PendingManualApproval.
    `recorded_sha256` lets a test lie; `baseline=False` registers a version without a baseline;
    `archive` replaces the model.tar.gz (one that serves requests, say)."""
    from mlops_kit.drift import build_baseline
    from mlops_kit.registry.lineage import Lineage
    from mlops_kit.serving.images import sklearn_image_uri

    clients = admin_clients(dev)
    names = ResourceNames(dev)
    run = uuid.uuid4().hex[:12]
    key = f"pipelines/{MODEL}/{run}/model.tar.gz"
    model_artifact = archive or model_archive(trained_model, run)
    clients.client("s3").put_object(Bucket=names.artifact_bucket, Key=key, Body=model_artifact)
    sha = hashlib.sha256(model_artifact).hexdigest()
    baseline_uri, baseline_document = "", b""
    if baseline:
        baseline_key = f"pipelines/{MODEL}/{run}/preprocess/baseline/baseline.json"
        document = build_baseline(training_features, metadata={"training_run": run}).to_json()
        baseline_document = document.encode()
        clients.client("s3").put_object(
            Bucket=names.artifact_bucket, Key=baseline_key, Body=baseline_document
        )
        baseline_uri = f"s3://{names.artifact_bucket}/{baseline_key}"
    lineage = Lineage(
        git_commit=run,
        data_uri=f"s3://{names.artifact_bucket}/data/{run}/",
        data_sha256="0" * 64,
        hyperparameters={"C": "1.0"},
        image_uris={"inference": sklearn_image_uri(dev.region)},
        metrics=metrics or GOOD_METRICS,
        execution_arn=f"arn:aws:sagemaker:us-east-1:{dev.account_id}:pipeline/x/execution/{run}",
        artifact_sha256=recorded_sha256 or sha,
        drift_baseline_uri=baseline_uri,
    )
    response = clients.client("sagemaker").create_model_package(
        ModelPackageGroupName=names.model_package_group(MODEL),
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": lineage.image_uris["inference"],
                    "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties=lineage.to_metadata(),
    )
    arn = response["ModelPackageArn"]
    return DevVersion(
        int(arn.rsplit("/", 1)[-1]),
        arn,
        f"s3://{names.artifact_bucket}/{key}",
        baseline_uri,
        baseline_document,
    )


class Traffic:
    """Requests to an endpoint, one after another on a thread; each answer is the serving model's
    tag, or `error` for a ModelError."""

    def __init__(self, env: Environment, row: str) -> None:

        self.runtime = admin_clients(env).client("sagemaker-runtime")
        self.endpoint = ResourceNames(env).endpoint(MODEL)
        self.row = row.encode()
        self.answers: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def invoke(self) -> str:
        try:
            answer = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint, ContentType="text/csv", Body=self.row
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError", exc.response
            return "error"
        body = json.loads(answer["Body"].read())
        # Tagged models answer their tag; any other model's answer counts as "ok".
        return str(body["model"]) if isinstance(body, dict) and "model" in body else "ok"

    def _run(self) -> None:
        while not self._stop.is_set():
            self.answers.append(self.invoke())

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
