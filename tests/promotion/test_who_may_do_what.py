"""Who may do what, decided by IAM in the emulator against the deployed stacks: each call is sent by
the identity that would try it, and AWS's answer (the emulator's, with IAM evaluated) is the verdict.
The kit's own client is not involved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_aws.accounts import PLATFORM_PROFILE
from mlops_kit.config import Environment, ResourceNames
from tests.conftest import Emulator, assumed_session

pytestmark = pytest.mark.emulator

DENIED = ("AccessDenied", "AccessDeniedException")
MODEL = "tumor-classifier"


@dataclass(frozen=True)
class World:
    emulator: Emulator
    envs: dict[str, Environment]

    def names(self, env: str) -> ResourceNames:
        return ResourceNames(self.envs[env])

    def profile(self, name: str) -> boto3.session.Session:
        return boto3.session.Session(profile_name=name, region_name="us-east-1")

    def engineer(self) -> boto3.session.Session:
        return self.profile("mlkit-engineer")

    def assume(self, base: boto3.session.Session, role_arn: str) -> boto3.session.Session:
        return assumed_session(
            base.client("sts", endpoint_url=self.emulator.endpoint_url), role_arn, "who-may"
        )

    def as_service(self, service: str, role_arn: str) -> boto3.session.Session:
        """A session of `role_arn` as the AWS service `service` assumes it (a job's or pipeline's role)."""
        from local_aws.iam.service_identity import service_client

        sts = service_client(
            service,
            "sts",
            endpoint_url=self.emulator.endpoint_url,
            region="us-east-1",
            source_account=role_arn.split(":")[4],
        )
        return assumed_session(sts, role_arn, "who-may")

    def identity(self, who: str) -> boto3.session.Session:
        if who == "engineer":
            return self.engineer()
        if who == "prod approver":
            return self.profile("mlkit-prod-approver")
        if who == "release workflow":
            return self.profile("mlkit-release-prod")
        if who.endswith(" promotion role"):
            env = who.split()[0]
            base = self.profile("mlkit-release-prod") if env == "prod" else self.engineer()
            return self.assume(base, self.names(env).promotion_role_arn)
        if who == "prod job role":  # what a drift or training job's container runs as
            return self.as_service("sagemaker.amazonaws.com", self.role_arn("prod", "sagemaker-execution"))
        if who == "unknown principal":
            return boto3.session.Session(
                aws_access_key_id="AKIAUNKNOWNPRINCIPAL", aws_secret_access_key="x", region_name="us-east-1"
            )
        raise KeyError(who)

    def role_arn(self, env: str, purpose: str) -> str:
        return f"arn:aws:iam::{self.envs[env].account_id}:role/{self.names(env).role(purpose)}"

    def client(self, who: str, service: str) -> Any:
        return self.identity(who).client(service, endpoint_url=self.emulator.endpoint_url)


Call = Callable[[World], Any]


def _assume(role: Callable[[World], str]) -> Callable[[World, str], Any]:
    return lambda w, who: w.client(who, "sts").assume_role(RoleArn=role(w), RoleSessionName="who-may")


# (who, what they try, the call): every one of these AWS must refuse.
MUST_BE_DENIED: list[tuple[str, str, Callable[[World, str], Any]]] = [
    ("engineer", "assume prod's deploy role", _assume(lambda w: w.names("prod").deploy_role_arn)),
    ("engineer", "assume staging's reviewer role", _assume(lambda w: w.names("staging").reviewer_role_arn)),
    (
        "engineer",
        "write into prod's artifact bucket directly",
        lambda w, who: w.client(who, "s3").put_object(
            Bucket=w.names("prod").artifact_bucket, Key="models/forged.tar.gz", Body=b"x"
        ),
    ),
    (
        "staging promotion role",
        "delete its own endpoint",
        lambda w, who: w.client(who, "sagemaker").delete_endpoint(
            EndpointName=w.names("staging").endpoint(MODEL)
        ),
    ),
    (
        "staging promotion role",
        "create an IAM user",
        lambda w, who: w.client(who, "iam").create_user(UserName="backdoor"),
    ),
    (
        "staging promotion role",
        "replace the audit bucket's policy",
        lambda w, who: w.client(who, "s3").put_bucket_policy(
            Bucket=w.names("staging").audit_bucket, Policy='{"Version": "2012-10-17", "Statement": []}'
        ),
    ),
    (
        "staging promotion role",
        "delete an audit record",
        lambda w, who: w.client(who, "s3").delete_object(
            Bucket=w.names("staging").audit_bucket, Key=f"records/{MODEL}/00000001.json"
        ),
    ),
    (
        "staging promotion role",
        "delete an object outside models/",
        lambda w, who: w.client(who, "s3").delete_object(
            Bucket=w.names("staging").artifact_bucket, Key=f"drift-baselines/{MODEL}/baseline.json"
        ),
    ),
    (
        "staging promotion role",
        "assume prod's promotion role",
        _assume(lambda w: w.names("prod").promotion_role_arn),
    ),
    ("prod approver", "assume prod's promotion role", _assume(lambda w: w.names("prod").promotion_role_arn)),
    (
        "prod approver",
        "write an artifact into prod's bucket",
        lambda w, who: w.client(who, "s3").put_object(
            Bucket=w.names("prod").artifact_bucket, Key="models/forged.tar.gz", Body=b"x"
        ),
    ),
    (
        "release workflow",
        "deploy an endpoint configuration itself",
        lambda w, who: w.client(who, "sagemaker").update_endpoint(
            EndpointName=w.names("prod").endpoint(MODEL), EndpointConfigName="forged"
        ),
    ),
    ("release workflow", "assume prod's deploy role", _assume(lambda w: w.names("prod").deploy_role_arn)),
    (
        "prod job role",
        "approve a model package",
        lambda w, who: w.client(who, "sagemaker").update_model_package(
            ModelPackageArn=(
                f"arn:aws:sagemaker:us-east-1:{w.envs['prod'].account_id}:model-package/"
                f"{w.names('prod').model_package_group(MODEL)}/1"
            ),
            ModelApprovalStatus="Approved",
        ),
    ),
    (
        "prod job role",
        "add an audit record",
        lambda w, who: w.client(who, "s3").put_object(
            Bucket=w.names("prod").audit_bucket, Key=f"records/{MODEL}/99999999.json", Body=b"{}"
        ),
    ),
]

# (who, what the normal path needs, the call): every one of these AWS must allow.
MUST_BE_ALLOWED: list[tuple[str, str, Callable[[World, str], Any]]] = [
    ("engineer", "assume staging's promotion role", _assume(lambda w: w.names("staging").promotion_role_arn)),
    (
        "release workflow",
        "assume prod's promotion role",
        _assume(lambda w: w.names("prod").promotion_role_arn),
    ),
    (
        "prod approver",
        "assume staging's reviewer role",
        _assume(lambda w: w.names("staging").reviewer_role_arn),
    ),
    (
        "staging promotion role",
        "read its endpoint",
        lambda w, who: w.client(who, "sagemaker").describe_endpoint(
            EndpointName=w.names("staging").endpoint(MODEL)
        ),
    ),
    (
        "staging promotion role",
        "list its model versions",
        lambda w, who: w.client(who, "sagemaker").list_model_packages(
            ModelPackageGroupName=w.names("staging").model_package_group(MODEL)
        ),
    ),
    (
        "staging promotion role",
        "assume dev's reviewer role (to read the candidate)",
        _assume(lambda w: w.names("dev").reviewer_role_arn),
    ),
]


@pytest.fixture(scope="module")
def world(
    platform: dict[str, dict[str, object]], emulator: Emulator, environments: dict[str, Environment]
) -> World:
    return World(emulator, environments)


@pytest.mark.parametrize(
    ("who", "what", "call"), MUST_BE_DENIED, ids=[f"{w}: {t}" for w, t, _ in MUST_BE_DENIED]
)
def test_aws_refuses(world: World, who: str, what: str, call: Callable[[World, str], Any]) -> None:
    with pytest.raises(ClientError) as raised:
        call(world, who)
    error = raised.value.response["Error"]
    assert error["Code"] in DENIED, f"{who} may {what}: {error}"
    assert "is not authorized to perform" in error["Message"]


def test_an_unknown_principal_is_refused_everything(world: World) -> None:
    for service, call in (
        ("s3", "list_buckets"),
        ("sagemaker", "list_endpoints"),
        ("sts", "get_caller_identity"),
    ):
        with pytest.raises(ClientError) as raised:
            getattr(world.client("unknown principal", service), call)()
        assert raised.value.response["Error"]["Code"] in (
            "InvalidClientTokenId",
            "InvalidAccessKeyId",
            *DENIED,
        )


@pytest.mark.parametrize(
    ("who", "what", "call"), MUST_BE_ALLOWED, ids=[f"{w}: {t}" for w, t, _ in MUST_BE_ALLOWED]
)
def test_aws_allows(world: World, who: str, what: str, call: Callable[[World, str], Any]) -> None:
    call(world, who)


def test_the_platform_deploys_through_the_deploy_roles_only(world: World) -> None:
    platform = world.profile(PLATFORM_PROFILE).client("sts", endpoint_url=world.emulator.endpoint_url)
    for env in world.envs:
        platform.assume_role(RoleArn=world.names(env).deploy_role_arn, RoleSessionName="who-may")
