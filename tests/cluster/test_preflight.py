"""`kit preflight` against the emulator: prod passes once bootstrapped, and a lowered quota fails it
by name."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops_kit.cluster.preflight import EC2_GPU_QUOTAS
from mlops_kit.config import Environment
from tests.conftest import Emulator, account_root

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.emulator


def _in_account(emulator: Emulator, env: Environment) -> boto3.Session:
    """The environment account's root (what its administrator bootstraps with)."""
    return account_root(env.account_id, env.region)


@pytest.fixture(scope="module")
def bootstrapped_prod(emulator: Emulator, environments: dict[str, Environment]) -> Iterator[boto3.Session]:
    """prod's account with what the bootstrap creates outside the kit: deploy role and state bucket."""
    prod = environments["prod"]
    session = _in_account(emulator, prod)
    iam = session.client("iam", endpoint_url=emulator.endpoint_url)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    existing = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    if prod.identity.deploy_role_name not in existing:
        iam.create_role(RoleName=prod.identity.deploy_role_name, AssumeRolePolicyDocument=json.dumps(trust))
    assert prod.state is not None
    session.client("s3", endpoint_url=emulator.endpoint_url).create_bucket(Bucket=prod.state.bucket)
    yield session


def preflight(env: str, emulator: Emulator) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "preflight", "--env", env, "--json"],
        cwd=REPO,
        env={**__import__("os").environ, **emulator.aws_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_preflight_of_bootstrapped_prod_passes_with_one_row_per_check(
    emulator: Emulator, bootstrapped_prod: Any
) -> None:
    result = preflight("prod", emulator)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert not [r for r in rows if r["status"] == "fail"]
    names = [r["check"] for r in rows]
    assert "quota ec2: Running On-Demand P instances (L-417A185B)" in names
    assert "quota sagemaker: ml.g5.xlarge for endpoint usage" in names
    assert "offering p5.48xlarge" in names
    assert "eks version 1.31" in names


def test_preflight_fails_naming_a_lowered_gpu_quota(
    emulator: Emulator, bootstrapped_prod: Any, environments: dict[str, Environment]
) -> None:
    code, name = EC2_GPU_QUOTAS[("P", "ON_DEMAND")]
    quotas = bootstrapped_prod.client("service-quotas", endpoint_url=emulator.endpoint_url)
    before = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"]
    quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode=code, DesiredValue=96.0)
    try:
        result = preflight("prod", emulator)
    finally:
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode=code, DesiredValue=before)
    assert result.returncode == 1
    failed = [r for r in json.loads(result.stdout) if r["status"] == "fail"]
    assert [(r["check"], r["detail"].split(" (")[0]) for r in failed] == [
        (f"quota ec2: {name} ({code})", "needs 192, quota 96")
    ]
    assert name in result.stderr


def test_preflight_fails_when_the_deploy_role_is_missing(
    emulator: Emulator, environments: dict[str, Environment]
) -> None:
    # staging's account without its deploy role (account vending normally creates it).
    from local_aws.accounts import bootstrap_accounts

    staging = environments["staging"]
    iam = _in_account(emulator, staging).client("iam", endpoint_url=emulator.endpoint_url)
    role = staging.identity.deploy_role_name
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=role)
    try:
        result = preflight("staging", emulator)
    finally:
        bootstrap_accounts(emulator.endpoint_url, environments)
    assert result.returncode == 1
    failed = [r["check"] for r in json.loads(result.stdout) if r["status"] == "fail"]
    assert f"deploy role {environments['staging'].identity.deploy_role_name}" in failed
