"""A private emulator with IAM evaluation on, holding prod's audit bucket as the stacks declare it
(Object Lock from `audit`, the policy of stacks.audit_log) and prod's promotion role."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from werkzeug.serving import make_server

from mlops_kit.config import Environment, ResourceNames
from tests.conftest import free_port


@dataclass(frozen=True)
class AuditWorld:
    endpoint: str
    env: Environment
    bucket: str
    promotion_role_arn: str
    engineers_role_arn: str

    def client(self, service: str, key: str, secret: str = "testing", token: str | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.env.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )

    def root(self, service: str) -> Any:
        """The prod account's root (an access key that is the account id is its root)."""
        return self.client(service, self.env.account_id)

    def session_of(self, role_arn: str) -> boto3.Session:
        credentials = self.root("sts").assume_role(RoleArn=role_arn, RoleSessionName="audit-test")[
            "Credentials"
        ]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.env.region,
        )

    def as_role(self, service: str, role_arn: str) -> Any:
        return self.session_of(role_arn).client(service, endpoint_url=self.endpoint)


def _serve() -> Iterator[str]:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local_aws.iam import install

    install()
    port = free_port()
    server = make_server("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def iam_emulator() -> Iterator[str]:
    yield from _serve()


WorldFactory = Callable[[str], AuditWorld]
# prod's approver role, as environments/prod.yaml's approvals.rules names it.
APPROVER = "mlkit-prod-approver"


@pytest.fixture(scope="session")
def make_audit_world(iam_emulator: str, environments: dict[str, Environment]) -> WorldFactory:
    """`make_audit_world(prefix)`: prod (under `name_prefix` = prefix) with its audit bucket and
    promotion role, an engineers role and prod's approver role; their identity policies allow s3:*
    on the bucket."""

    def make(prefix: str) -> AuditWorld:
        from stacks.audit_log import audit_bucket_statements, audit_writers

        env = environments["prod"].model_copy(update={"name_prefix": prefix})
        names = ResourceNames(env)
        root = AuditWorld(iam_emulator, env, names.audit_bucket, names.promotion_role_arn, "")
        iam, s3 = root.root("iam"), root.root("s3")
        engineers = f"{prefix}-engineers"
        for name in (names.promotion_role, engineers, APPROVER):
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(env.account_id))
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{prefix}-bucket", PolicyDocument=_everything(names.audit_bucket)
            )
        s3.create_bucket(Bucket=names.audit_bucket, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(
            Bucket=names.audit_bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": env.audit.lock_mode, "Days": env.audit.retention_days}},
            },
        )
        statements = audit_bucket_statements(
            f"arn:aws:s3:::{names.audit_bucket}", writer_role_arns=audit_writers(env)
        )
        s3.put_bucket_policy(
            Bucket=names.audit_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )
        return AuditWorld(
            iam_emulator,
            env,
            names.audit_bucket,
            names.promotion_role_arn,
            f"arn:aws:iam::{env.account_id}:role/{engineers}",
        )

    return make


def _trust(account_id: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _everything(bucket: str) -> str:
    statement = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
