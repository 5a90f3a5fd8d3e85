"""GitHub Actions identities in the synthesized stacks: who may assume them (OIDC trust) and what
they may do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from stacks.github_actions import creates_oidc_provider
from tests.stacks.terraform_json import decoded

ENVS = ["dev", "staging", "prod"]
REPOSITORY = "example-org/mlops-kit"
ISSUER = "token.actions.githubusercontent.com"


def _roles(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in stack["resource"]["aws_iam_role"].values()}


def _address_of(stack: dict[str, Any], rtype: str, name: str) -> str:
    [key] = [k for k, r in stack["resource"][rtype].items() if r.get("name") == name]
    return f"{rtype}.{key}"


def _trust(role: dict[str, Any]) -> list[dict[str, Any]]:
    return list(decoded(role["assume_role_policy"])["Statement"])


def _policies_of(stack: dict[str, Any], role_address: str) -> list[dict[str, Any]]:
    found = [
        s
        for p in stack["resource"]["aws_iam_role_policy"].values()
        if p["role"] == f"${{{role_address}.id}}"
        for s in decoded(p["policy"])["Statement"]
    ]
    assert found, f"no policy on {role_address}"
    return found


def _synth(environments: dict[str, Environment], tmp_path: Path) -> dict[str, dict[str, Any]]:
    from stacks.app import build_app

    build_app(environments, outdir=str(tmp_path), emulator=False, state_dir=str(tmp_path / "s")).synth()
    return {
        name: json.loads((tmp_path / "stacks" / name / "cdk.tf.json").read_text()) for name in environments
    }


@pytest.mark.parametrize("env", ENVS)
def test_plan_role_trusts_only_pull_requests_of_the_repository(synthesized: Any, env: str) -> None:
    stack = synthesized.stack(env)
    [trust] = _trust(_roles(stack)[f"mlkit-{env}-github-plan"])
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": f"repo:{REPOSITORY}:pull_request",
        }
    }
    assert trust["Principal"]["Federated"].startswith("${aws_iam_openid_connect_provider.")


@pytest.mark.parametrize("env", ENVS)
def test_plan_role_changes_nothing_but_the_state_lock_file(synthesized: Any, env: str) -> None:
    stack = synthesized.stack(env)
    statements = _policies_of(stack, _address_of(stack, "aws_iam_role", f"mlkit-{env}-github-plan"))
    for statement in statements:
        assert statement["Effect"] == "Allow"
        verbs = {a.split(":", 1)[1] for a in statement["Action"]}
        if statement["Sid"] == "LockState":
            assert [r.rsplit("/", 2)[1:] for r in statement["Resource"]] == [
                [env, "terraform.tfstate.tflock"]
            ]
            continue
        writes = [v for v in verbs if not v.startswith(("Describe", "List", "Get"))]
        assert not writes, f"{statement['Sid']}: {writes}"
    read_state = next(s for s in statements if s["Sid"] == "ReadState")
    assert read_state["Resource"] == [
        f"arn:aws:s3:::mlkit-tfstate-{stack_account(env)}/mlops-kit/{env}/terraform.tfstate"
    ]


def stack_account(env: str) -> str:
    return {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}[env]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_release_role_trusts_only_the_repositorys_github_environment(synthesized: Any, env: str) -> None:
    [trust] = _trust(_roles(synthesized.stack(env))[f"mlkit-{env}-github-release"])
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {
        f"{ISSUER}:aud": "sts.amazonaws.com",
        f"{ISSUER}:sub": f"repo:{REPOSITORY}:environment:{env}",
    }


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_release_role_may_only_assume_its_environments_promotion_role(
    synthesized: Any, environments: dict[str, Environment], env: str
) -> None:
    stack = synthesized.stack(env)
    [statement] = _policies_of(stack, _address_of(stack, "aws_iam_role", f"mlkit-{env}-github-release"))
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Resource"] == [ResourceNames(environments[env]).promotion_role_arn]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_promotion_role_trusts_the_release_role(
    synthesized: Any, environments: dict[str, Environment], env: str
) -> None:
    stack = synthesized.stack(env)
    release = _address_of(stack, "aws_iam_role", f"mlkit-{env}-github-release")
    [trust] = _trust(_roles(stack)[ResourceNames(environments[env]).promotion_role])
    assert f"${{{release}.arn}}" in trust["Principal"]["AWS"]


def test_dev_has_no_release_role(synthesized: Any) -> None:
    assert "mlkit-dev-github-release" not in _roles(synthesized.stack("dev"))


@pytest.mark.parametrize("env", ENVS)
def test_each_account_of_its_own_creates_the_github_oidc_provider(synthesized: Any, env: str) -> None:
    [provider] = synthesized.stack(env)["resource"]["aws_iam_openid_connect_provider"].values()
    assert provider["url"] == f"https://{ISSUER}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_in_a_shared_account_only_the_first_environment_creates_the_provider(
    environments: dict[str, Environment],
) -> None:
    shared = {
        name: env.model_copy(update={"account_id": "111111111111"}) if name != "prod" else env
        for name, env in environments.items()
    }
    assert creates_oidc_provider(shared["dev"], shared)
    assert not creates_oidc_provider(shared["staging"], shared)
    assert creates_oidc_provider(shared["prod"], shared)


def test_an_environment_sharing_an_account_references_the_providers_arn(
    environments: dict[str, Environment], tmp_path: Path
) -> None:
    shared = {
        "dev": environments["dev"],
        "staging": environments["staging"].model_copy(update={"account_id": "111111111111"}),
    }
    staging = _synth(shared, tmp_path)["staging"]
    assert "aws_iam_openid_connect_provider" not in staging["resource"]
    [trust] = _trust(_roles(staging)["mlkit-staging-github-plan"])
    assert trust["Principal"]["Federated"] == f"arn:aws:iam::111111111111:oidc-provider/{ISSUER}"


def test_without_identity_github_no_github_identities(
    environments: dict[str, Environment], tmp_path: Path
) -> None:
    env = environments["staging"]
    bare = env.model_copy(update={"identity": env.identity.model_copy(update={"github": None})})
    stack = _synth({"staging": bare}, tmp_path)["staging"]
    assert "aws_iam_openid_connect_provider" not in stack["resource"]
    assert not [name for name in _roles(stack) if "github" in name]
