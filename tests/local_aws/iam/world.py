"""The accounts, roles and policies the HTTP tests act in, set up by the default account's root."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# client_as(service, access_key, secret="testing", token=None) -> a boto3 client signing as those
Client = Callable[..., Any]

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
BUCKET = "kit-iam-artifacts"
PRIVATE_BUCKET = "kit-iam-private"
GITHUB = "token.actions.githubusercontent.com"
RELEASE_SUB = "repo:example/mlops-kit:environment:prod"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def trust(
    principal: dict[str, Any], condition: dict[str, Any] | None = None, action: str = "sts:AssumeRole"
) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return document(statement)


ENGINEERS_POLICY = document(
    {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:DeleteObject"],
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    },
    {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    },
    {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
    {
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "mlops-kit/drift"}},
    },
    {
        "Effect": "Allow",
        "Action": ["sagemaker:ListEndpoints", "sagemaker:CreateModel", "sts:AssumeRole"],
        "Resource": "*",
    },
)
# A Deny on a key the engine cannot supply: ignoring it would let GetObject through.
TAGGED_POLICY = document(
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {
        "Effect": "Deny",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "contractors"}},
    },
)
BUCKET_POLICY = document(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/audit/*",
    },
)


@dataclass
class World:
    client_as: Client
    endpoint: str
    engineers: dict[str, str]
    tagged: dict[str, str]
    closed_key: str
    delegated_key: str

    def as_engineers(self, service: str) -> Any:
        c = self.engineers
        return self.client_as(service, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def as_tagged(self, service: str) -> Any:
        c = self.tagged
        return self.client_as(service, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def as_root(self, service: str) -> Any:
        return self.client_as(service, "testing")


def _key(kms: Any, principal: str) -> str:
    policy = document(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "kms:*", "Resource": "*"}
    )
    return str(kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"])


def build_world(client_as: Client, iam_endpoint: str) -> World:
    """Roles, policies, buckets, keys and an OIDC provider, set up by the default account's root."""
    iam, s3, kms = (client_as(s, "testing") for s in ("iam", "s3", "kms"))
    root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    iam.create_role(RoleName="engineers", AssumeRolePolicyDocument=trust(root))
    iam.put_role_policy(RoleName="engineers", PolicyName="work", PolicyDocument=ENGINEERS_POLICY)
    partner_condition = {"StringEquals": {"sts:ExternalId": "expected-id"}}
    iam.create_role(
        RoleName="partner", AssumeRolePolicyDocument=trust({"AWS": role_arn("engineers")}, partner_condition)
    )
    iam.create_role(RoleName="restricted", AssumeRolePolicyDocument=trust({"AWS": role_arn("someone-else")}))
    iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    federated = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"}
    release_condition = {"StringEquals": {f"{GITHUB}:sub": RELEASE_SUB, f"{GITHUB}:aud": "sts.amazonaws.com"}}
    iam.create_role(
        RoleName="release",
        AssumeRolePolicyDocument=trust(federated, release_condition, "sts:AssumeRoleWithWebIdentity"),
    )
    sagemaker_trust = trust(
        {"Service": "sagemaker.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    )
    iam.create_role(RoleName="execution", AssumeRolePolicyDocument=sagemaker_trust)
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust(root))
    iam.put_role_policy(RoleName="tagged", PolicyName="read", PolicyDocument=TAGGED_POLICY)
    names_tagged = trust({"AWS": role_arn("tagged")})
    iam.create_role(RoleName="names-tagged", AssumeRolePolicyDocument=names_tagged)
    both = trust({"AWS": [role_arn("tagged"), role_arn("engineers")]})
    client_as("iam", OTHER_ACCOUNT).create_role(RoleName="cross", AssumeRolePolicyDocument=both)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=BUCKET_POLICY)
    s3.put_object(Bucket=BUCKET, Key="models/a.tar.gz", Body=b"model")
    s3.put_object(Bucket=BUCKET, Key="audit/1.json", Body=b"{}")
    s3.create_bucket(Bucket=PRIVATE_BUCKET)
    s3.put_object(Bucket=PRIVATE_BUCKET, Key="secret.json", Body=b"{}")
    sts = client_as("sts", "testing")
    engineers = sts.assume_role(RoleArn=role_arn("engineers"), RoleSessionName="alice")
    tagged = sts.assume_role(RoleArn=role_arn("tagged"), RoleSessionName="bob")
    return World(
        client_as=client_as,
        endpoint=iam_endpoint,
        engineers=engineers["Credentials"],
        tagged=tagged["Credentials"],
        closed_key=_key(kms, role_arn("admins")),
        delegated_key=_key(kms, f"arn:aws:iam::{ACCOUNT}:root"),
    )
