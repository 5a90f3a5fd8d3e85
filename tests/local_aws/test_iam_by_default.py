"""The emulator every test and `kit local up` start evaluates IAM: who may do what is decided by the
stacks' policies and the account-vending identities (local_aws.accounts), as in AWS."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_aws.accounts import PLATFORM_PROFILE
from mlops_kit.config import Environment, ResourceNames
from tests.conftest import Emulator, assumed_session, free_port

pytestmark = pytest.mark.emulator


def _as(profile: str, service: str, emulator: Emulator) -> Any:
    return boto3.session.Session(profile_name=profile).client(service, endpoint_url=emulator.endpoint_url)


def _assume(sts: Any, role_arn: str, emulator: Emulator) -> boto3.session.Session:
    return assumed_session(sts, role_arn, "iam-test")


def _denied(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    assert error["Code"] in ("AccessDenied", "AccessDeniedException"), error
    return str(error["Message"])


def test_kit_local_status_says_iam_is_evaluated(emulator: Emulator) -> None:
    import contextlib
    import io

    from cli.main import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["local", "status", "--port", str(emulator.port), "--json"])
    assert code == 0
    assert json.loads(buffer.getvalue())["iam"] is True


def test_a_role_that_does_not_exist_cannot_be_assumed(emulator: Emulator) -> None:
    sts = _as(PLATFORM_PROFILE, "sts", emulator)
    message = _denied(
        sts.assume_role, RoleArn="arn:aws:iam::333333333333:role/no-such-role", RoleSessionName="probe"
    )
    assert "sts:AssumeRole" in message


def test_the_engineers_act_as_themselves_and_cannot_become_the_platform(
    emulator: Emulator, environments: dict[str, Environment]
) -> None:
    sts = boto3.session.Session().client("sts", endpoint_url=emulator.endpoint_url)
    assert os.environ["AWS_PROFILE"] == "mlkit-engineer"
    assert sts.get_caller_identity()["Arn"].startswith(
        "arn:aws:sts::111111111111:assumed-role/mlkit-ml-engineers/"
    )
    for env in environments.values():
        message = _denied(
            sts.assume_role, RoleArn=ResourceNames(env).deploy_role_arn, RoleSessionName="probe"
        )
        assert ResourceNames(env).deploy_role_arn in message


def test_the_promotion_role_cannot_delete_or_rewrite_what_it_does_not_own(
    platform: dict[str, dict[str, object]], emulator: Emulator, environments: dict[str, Environment]
) -> None:
    prod = environments["prod"]
    names = ResourceNames(prod)
    engineer = boto3.session.Session().client("sts", endpoint_url=emulator.endpoint_url)
    promotion = _assume(engineer, names.promotion_role_arn, emulator)
    sagemaker = promotion.client("sagemaker", endpoint_url=emulator.endpoint_url)
    s3 = promotion.client("s3", endpoint_url=emulator.endpoint_url)
    iam = promotion.client("iam", endpoint_url=emulator.endpoint_url)
    endpoint = names.endpoint(prod.models[0])
    _denied(sagemaker.delete_endpoint, EndpointName=endpoint)
    _denied(iam.create_user, UserName="backdoor")
    _denied(s3.delete_bucket, Bucket=names.audit_bucket)
    # ... while what promotion needs is allowed.
    assert sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointName"] == endpoint


def test_an_approver_reads_the_source_through_the_reviewer_role_and_cannot_promote(
    platform: dict[str, dict[str, object]], emulator: Emulator, environments: dict[str, Environment]
) -> None:
    staging = ResourceNames(environments["staging"])
    sts = _as("mlkit-prod-approver", "sts", emulator)
    _denied(sts.assume_role, RoleArn=staging.promotion_role_arn, RoleSessionName="probe")
    reviewer = _assume(sts, staging.reviewer_role_arn, emulator).client(
        "sagemaker", endpoint_url=emulator.endpoint_url
    )
    group = staging.model_package_group(environments["staging"].models[0])
    reviewer.list_model_packages(ModelPackageGroupName=group)  # reading is what it is for
    _denied(
        reviewer.update_model_package,
        ModelPackageArn=f"arn:aws:sagemaker:us-east-1:222222222222:model-package/{group}/1",
        ModelApprovalStatus="Approved",
    )
    # The engineers are not among the reviewers.
    engineer = boto3.session.Session().client("sts", endpoint_url=emulator.endpoint_url)
    _denied(engineer.assume_role, RoleArn=staging.reviewer_role_arn, RoleSessionName="probe")


@pytest.fixture
def emulator_without_iam(tmp_path: Any) -> Iterator[str]:
    from local_aws.server import endpoint_url, start_emulator, stop_emulator

    previous = os.environ.get("KIT_STATE_DIR")
    os.environ["KIT_STATE_DIR"] = str(tmp_path)
    port = free_port()
    try:
        start_emulator(port, iam=False)
        yield endpoint_url(port)
    finally:
        stop_emulator(port)
        if previous is None:
            os.environ.pop("KIT_STATE_DIR", None)
        else:
            os.environ["KIT_STATE_DIR"] = previous


def test_no_iam_is_a_debugging_mode_in_which_anything_goes(emulator_without_iam: str) -> None:
    sts = boto3.client(
        "sts",
        endpoint_url=emulator_without_iam,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sts.assume_role(RoleArn="arn:aws:iam::333333333333:role/no-such-role", RoleSessionName="probe")
