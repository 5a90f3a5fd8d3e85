"""Policy grammar, wildcards, explicit Deny, and how identity and resource policies combine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_aws.iam.decision import ResourcePolicy, decide
from local_aws.iam.matching import Unsupported, action_matches, arn_like
from local_aws.iam.policy import Caller, Match, evaluate

ROLE = Caller(
    arn="arn:aws:sts::111122223333:assumed-role/engineers/alice",
    account="111122223333",
    kind="role-session",
    role_arn="arn:aws:iam::111122223333:role/engineers",
)
OTHER = Caller(
    arn="arn:aws:sts::444455556666:assumed-role/ci/run",
    account="444455556666",
    kind="role-session",
    role_arn="arn:aws:iam::444455556666:role/ci",
)
ROOT = Caller(arn="arn:aws:iam::111122223333:root", account="111122223333", kind="root")
BUCKET = "arn:aws:s3:::kit-artifacts"
OBJECT = f"{BUCKET}/models/a.tar.gz"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def identity_allows(document: str, action: str, resource: str, context: dict[str, Any] | None = None) -> bool:
    outcome = evaluate([document], action, resource, context or {})
    return not outcome.denied and outcome.allowed is Match.DIRECT


def test_action_wildcards_match_case_insensitively() -> None:
    assert action_matches("s3:get*", "s3:GetObject")
    assert action_matches("sagemaker:Describe?ndpoint", "sagemaker:DescribeEndpoint")
    assert not action_matches("s3:Get*", "s3:PutObject")


def test_resource_wildcards_stay_inside_their_arn_component_and_are_case_sensitive() -> None:
    assert arn_like("arn:aws:s3:::kit-*/models/*", OBJECT)
    assert not arn_like("arn:aws:s3:::Kit-*/*", OBJECT)
    assert not arn_like(
        "arn:aws:sagemaker:*:111122223333:endpoint/*", "arn:aws:sagemaker:us-east-1:999:endpoint/x"
    )
    assert arn_like(
        "arn:aws:logs:*:*:log-group:/aws/sagemaker/*",
        "arn:aws:logs:r:1:log-group:/aws/sagemaker/x:log-stream:y",
    )


def test_an_allowed_action_on_another_resource_is_not_allowed() -> None:
    assert not identity_allows(policy(allow("s3:GetObject", f"{BUCKET}/data/*")), "s3:GetObject", OBJECT)


def test_not_action_allows_everything_else() -> None:
    document = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert identity_allows(document, "s3:GetObject", OBJECT)
    assert not identity_allows(document, "iam:CreateRole", "*")


def test_not_resource_allows_everything_but_the_named_resources() -> None:
    document = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/audit/*"})
    assert identity_allows(document, "s3:PutObject", OBJECT)
    assert not identity_allows(document, "s3:PutObject", f"{BUCKET}/audit/1.json")


def test_an_explicit_deny_wins_over_any_allow() -> None:
    document = policy(allow("s3:*"), deny("s3:DeleteObject", f"{BUCKET}/*"))
    assert evaluate([document], "s3:DeleteObject", OBJECT, {}).denied


def test_a_condition_that_fails_makes_the_allow_not_apply() -> None:
    statement = allow(
        "s3:PutObject",
        f"{BUCKET}/*",
        Condition={"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    )
    assert not identity_allows(policy(statement), "s3:PutObject", OBJECT)
    assert identity_allows(
        policy(statement), "s3:PutObject", OBJECT, {"s3:x-amz-server-side-encryption": "aws:kms"}
    )


def test_an_unsupported_operator_in_an_applicable_statement_is_refused() -> None:
    statement = deny("s3:*", "*", Condition={"StringMatches": {"aws:SourceIp": "x"}})
    with pytest.raises(Unsupported):
        evaluate([policy(statement)], "s3:GetObject", OBJECT, {})


def test_no_identity_policy_means_implicit_deny_worded_as_aws() -> None:
    decision = decide(ROLE, [], "s3:GetObject", OBJECT, {}, None)
    assert not decision.allowed
    assert decision.reason == "because no identity-based policy allows the s3:GetObject action"


def test_root_is_allowed_in_its_own_account() -> None:
    assert decide(ROOT, None, "sagemaker:DeleteEndpoint", "*", {}, None).allowed


def test_a_bucket_policy_deny_applies_even_to_root() -> None:
    bucket = ResourcePolicy(
        [policy(deny("s3:*", f"{BUCKET}/*", Principal="*"))], "111122223333", required=False
    )
    decision = decide(ROOT, None, "s3:GetObject", OBJECT, {}, bucket)
    assert decision.reason == "with an explicit deny in a resource-based policy"


def test_same_account_bucket_policy_naming_the_role_suffices() -> None:
    statement = allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ROLE.role_arn})
    bucket = ResourcePolicy([policy(statement)], "111122223333", required=False)
    assert decide(ROLE, [], "s3:GetObject", OBJECT, {}, bucket).allowed


def test_cross_account_needs_both_the_bucket_policy_and_the_identity_policy() -> None:
    statement = allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": "arn:aws:iam::444455556666:root"})
    bucket = ResourcePolicy([policy(statement)], "111122223333", required=False)
    assert not decide(OTHER, [], "s3:GetObject", OBJECT, {}, bucket).allowed
    assert decide(OTHER, [policy(allow("s3:GetObject"))], "s3:GetObject", OBJECT, {}, bucket).allowed


def test_a_key_policy_that_does_not_grant_refuses_even_with_an_identity_allow() -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/k"
    statement = allow("kms:*", "*", Principal={"AWS": "arn:aws:iam::111122223333:role/admins"})
    key_policy = ResourcePolicy([policy(statement)], "111122223333", required=True)
    decision = decide(ROLE, [policy(allow("kms:Decrypt"))], "kms:Decrypt", key, {}, key_policy)
    assert decision.reason == "because no resource-based policy allows the kms:Decrypt action"


def test_a_key_policy_granting_the_account_root_delegates_to_identity_policies() -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/k"
    statement = allow("kms:*", "*", Principal={"AWS": "arn:aws:iam::111122223333:root"})
    key_policy = ResourcePolicy([policy(statement)], "111122223333", required=True)
    assert not decide(ROLE, [], "kms:Decrypt", key, {}, key_policy).allowed
    assert decide(ROLE, [policy(allow("kms:Decrypt"))], "kms:Decrypt", key, {}, key_policy).allowed


def test_a_service_principal_is_matched_by_its_service_name() -> None:
    service = Caller(
        arn="sagemaker.amazonaws.com",
        account="111122223333",
        kind="service",
        service="sagemaker.amazonaws.com",
    )
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    }
    role = "arn:aws:iam::111122223333:role/exec"
    trust_policy = ResourcePolicy([policy(trust)], "111122223333", required=True)
    assert decide(
        service, None, "sts:AssumeRole", role, {"aws:sourceaccount": "111122223333"}, trust_policy
    ).allowed
    assert not decide(
        service, None, "sts:AssumeRole", role, {"aws:sourceaccount": "999999999999"}, trust_policy
    ).allowed


def test_policies_are_parsed_once_per_text() -> None:
    from local_aws.iam.policy import compile_policy

    document = policy(allow("s3:GetObject"))
    assert compile_policy(document) is compile_policy(document)
