"""Calls sent over HTTP to a moto server with IAM evaluation installed: what must be refused, what
must go through, and how a refusal is worded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_aws.iam.service_identity import service_client
from local_aws.iam.web_identity import sign_token
from tests.local_aws.iam.world import (
    ACCOUNT,
    BUCKET,
    GITHUB,
    OTHER_ACCOUNT,
    PRIVATE_BUCKET,
    RELEASE_SUB,
    World,
    role_arn,
    trust,
)


def _web_identity(world: World, sub: str, issuer: str = GITHUB, token: str | None = None) -> Any:
    token = token or sign_token({"iss": f"https://{issuer}", "sub": sub, "aud": "sts.amazonaws.com"})
    return world.client_as("sts", "anonymous").assume_role_with_web_identity(
        RoleArn=role_arn("release"), RoleSessionName="release", WebIdentityToken=token
    )


def _as_sagemaker(world: World, source_account: str | None = None) -> Any:
    sts = service_client(
        "sagemaker.amazonaws.com",
        "sts",
        endpoint_url=world.endpoint,
        region="us-east-1",
        source_account=source_account,
    )
    return sts.assume_role(RoleArn=role_arn("execution"), RoleSessionName="SageMaker")


def _pass_role(world: World) -> Any:
    return world.as_engineers("sagemaker").create_model(
        ModelName="m", ExecutionRoleArn=role_arn("execution"), PrimaryContainer={"Image": "x"}
    )


Call = Callable[[World], Any]
DENIED: list[tuple[str, Call, str]] = [
    (
        "unknown principal",
        lambda w: w.client_as("s3", "AKIAUNKNOWNKEY000000").list_buckets(),
        "InvalidClientTokenId",
    ),
    (
        "a known key signed with the wrong secret",
        lambda w: w.client_as("s3", "testing", "not-the-secret").list_buckets(),
        "SignatureDoesNotMatch",
    ),
    (
        "role that does not exist",
        lambda w: w.as_root("sts").assume_role(RoleArn=role_arn("no-such-role"), RoleSessionName="x1"),
        "AccessDenied",
    ),
    (
        "trust that excludes the caller",
        lambda w: w.as_engineers("sts").assume_role(RoleArn=role_arn("restricted"), RoleSessionName="x1"),
        "AccessDenied",
    ),
    (
        "cross-account trust without an identity policy allowing sts:AssumeRole",
        lambda w: w.as_tagged("sts").assume_role(
            RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/cross", RoleSessionName="x1"
        ),
        "AccessDenied",
    ),
    (
        "ExternalId mismatch",
        lambda w: w.as_engineers("sts").assume_role(
            RoleArn=role_arn("partner"), RoleSessionName="x1", ExternalId="wrong-id"
        ),
        "AccessDenied",
    ),
    (
        "PutObject without the SSE the condition requires",
        lambda w: w.as_engineers("s3").put_object(Bucket=BUCKET, Key="models/b", Body=b"x"),
        "AccessDenied",
    ),
    (
        "bucket policy Deny",
        lambda w: w.as_engineers("s3").delete_object(Bucket=BUCKET, Key="audit/1.json"),
        "AccessDenied",
    ),
    (
        "bucket policy Deny through a multi-object delete",
        lambda w: w.as_root("s3").delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": "models/x"}, {"Key": "audit/1.json"}]}
        ),
        "AccessDenied",
    ),
    (
        "copying an object the caller may not read",
        lambda w: w.as_engineers("s3").copy_object(
            Bucket=BUCKET,
            Key="models/copy",
            CopySource={"Bucket": PRIVATE_BUCKET, "Key": "secret.json"},
            ServerSideEncryption="aws:kms",
        ),
        "AccessDenied",
    ),
    (
        "a metric outside the namespace the condition names",
        lambda w: w.as_engineers("cloudwatch").put_metric_data(
            Namespace="other", MetricData=[{"MetricName": "m", "Value": 1.0}]
        ),
        "AccessDenied",
    ),
    (
        "bucket policy Deny applies to root too",
        lambda w: w.as_root("s3").delete_object(Bucket=BUCKET, Key="audit/1.json"),
        "AccessDenied",
    ),
    (
        "KMS key policy that does not grant",
        lambda w: w.as_engineers("kms").encrypt(KeyId=w.closed_key, Plaintext=b"x"),
        "AccessDeniedException",
    ),
    (
        "OIDC web identity with the wrong sub",
        lambda w: _web_identity(w, "repo:example/mlops-kit:ref:refs/heads/dev"),
        "AccessDenied",
    ),
    (
        "OIDC token not signed by the emulator's key",
        lambda w: _web_identity(w, RELEASE_SUB, token=sign_token({"iss": f"https://{GITHUB}"})[:-4] + "AAAA"),
        "InvalidIdentityToken",
    ),
    (
        "OIDC issuer without a provider in the account",
        lambda w: _web_identity(w, RELEASE_SUB, issuer="gitlab.example.com"),
        "InvalidIdentityToken",
    ),
    (
        "a service acting for another account (aws:SourceAccount)",
        lambda w: _as_sagemaker(w, source_account="999999999999"),
        "AccessDenied",
    ),
    (
        "action no identity policy allows",
        lambda w: w.as_engineers("sagemaker").delete_endpoint(EndpointName="prod"),
        "AccessDeniedException",
    ),
]
ALLOWED: list[tuple[str, Call]] = [
    (
        "root assumes a role trusting its account",
        lambda w: w.as_root("sts").assume_role(RoleArn=role_arn("engineers"), RoleSessionName="x2"),
    ),
    (
        "same-account trust naming the caller's role, without an identity policy",
        lambda w: w.as_tagged("sts").assume_role(RoleArn=role_arn("names-tagged"), RoleSessionName="x2"),
    ),
    (
        "cross-account trust and an identity policy allowing sts:AssumeRole",
        lambda w: w.as_engineers("sts").assume_role(
            RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/cross", RoleSessionName="x2"
        ),
    ),
    (
        "the matching ExternalId",
        lambda w: w.as_engineers("sts").assume_role(
            RoleArn=role_arn("partner"), RoleSessionName="x2", ExternalId="expected-id"
        ),
    ),
    (
        "PutObject with the required SSE",
        lambda w: w.as_engineers("s3").put_object(
            Bucket=BUCKET, Key="models/c", Body=b"x", ServerSideEncryption="aws:kms"
        ),
    ),
    (
        "GetObject under the allowed prefix",
        lambda w: w.as_engineers("s3").get_object(Bucket=BUCKET, Key="models/a.tar.gz"),
    ),
    (
        "KMS key delegating to IAM",
        lambda w: w.as_engineers("kms").encrypt(KeyId=w.delegated_key, Plaintext=b"x"),
    ),
    ("OIDC web identity with the pinned sub", lambda w: _web_identity(w, RELEASE_SUB)),
    ("a service assumes the role that trusts it", lambda w: _as_sagemaker(w)),
    ("an allowed SageMaker call", lambda w: w.as_engineers("sagemaker").list_endpoints()),
    (
        "a multi-object delete of keys the policies allow",
        lambda w: w.as_engineers("s3").delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": "models/old"}]}
        ),
    ),
    (
        "a metric in the namespace the condition names",
        lambda w: w.as_engineers("cloudwatch").put_metric_data(
            Namespace="mlops-kit/drift", MetricData=[{"MetricName": "m", "Value": 1.0}]
        ),
    ),
    (
        "copying an object the caller may read",
        lambda w: w.as_engineers("s3").copy_object(
            Bucket=BUCKET,
            Key="models/copy",
            CopySource={"Bucket": BUCKET, "Key": "models/a.tar.gz"},
            ServerSideEncryption="aws:kms",
        ),
    ),
    ("GetCallerIdentity, always", lambda w: w.as_engineers("sts").get_caller_identity()),
]


@pytest.mark.parametrize(("name", "call", "code"), DENIED, ids=[d[0] for d in DENIED])
def test_call_is_refused(world: World, name: str, call: Call, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        call(world)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)


@pytest.mark.parametrize(("name", "call"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_call_goes_through(world: World, name: str, call: Call) -> None:
    call(world)


def test_a_refusal_names_the_caller_action_and_resource_with_status_403(world: World) -> None:
    with pytest.raises(ClientError) as raised:
        world.as_engineers("sagemaker").delete_endpoint(EndpointName="prod")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/engineers/alice is not authorized to perform: "
        f"sagemaker:DeleteEndpoint on resource: arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/prod "
        "because no identity-based policy allows the sagemaker:DeleteEndpoint action"
    )


def test_an_explicit_deny_is_worded_as_such(world: World) -> None:
    with pytest.raises(ClientError) as raised:
        world.as_engineers("s3").delete_object(Bucket=BUCKET, Key="audit/1.json")
    assert raised.value.response["Error"]["Message"].endswith(
        "with an explicit deny in a resource-based policy"
    )


def test_passing_a_role_to_sagemaker_needs_iam_pass_role(world: World) -> None:
    with pytest.raises(ClientError) as raised:
        _pass_role(world)
    assert raised.value.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/engineers/alice is not authorized to perform: "
        f"iam:PassRole on resource: {role_arn('execution')} "
        "because no identity-based policy allows the iam:PassRole action"
    )


def test_the_default_credentials_are_the_default_accounts_root(world: World) -> None:
    identity = world.as_root("sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")


def test_an_account_id_as_access_key_is_that_accounts_root(world: World) -> None:
    identity = world.client_as("sts", "444455556666").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::444455556666:root"


def test_an_accounts_root_creates_resources_in_its_own_account(world: World) -> None:
    role = world.client_as("iam", "444455556666").create_role(
        RoleName="in-other-account", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::444455556666:root"})
    )
    assert role["Role"]["Arn"] == "arn:aws:iam::444455556666:role/in-other-account"


def test_an_unsupported_condition_key_denies_and_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    sts = world.as_root("sts")
    credentials = sts.assume_role(RoleArn=role_arn("tagged"), RoleSessionName="bob")["Credentials"]
    s3 = world.client_as(
        "s3", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    with caplog.at_level("WARNING", logger="local_aws.iam"), pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="models/a.tar.gz")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert "unsupported condition key aws:PrincipalTag/team" in caplog.text
