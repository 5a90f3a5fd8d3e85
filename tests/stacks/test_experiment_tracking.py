"""The experiment tracker in the synthesized stacks: a managed MLflow server where the environment
trains, its artifacts under the environment bucket's prefix, reachable by the jobs and the engineers."""

from __future__ import annotations

from typing import Any

from mlops_kit.config import Environment, ResourceNames
from tests.conftest import Synthesized
from tests.stacks.terraform_json import decoded


def _policies(stack: dict[str, Any], role_name: str) -> list[dict[str, Any]]:
    [key] = [k for k, r in stack["resource"]["aws_iam_role"].items() if r["name"] == role_name]
    return [
        s
        for p in stack["resource"]["aws_iam_role_policy"].values()
        if p["role"] == f"${{aws_iam_role.{key}.id}}"
        for s in decoded(p["policy"])["Statement"]
    ]


def _server_arn(env: Environment) -> str:
    names = ResourceNames(env)
    return f"arn:aws:sagemaker:{env.region}:{env.account_id}:mlflow-tracking-server/{names.tracking_server}"


def test_dev_has_a_managed_mlflow_server_storing_artifacts_under_its_bucket_prefix(
    synthesized: Synthesized, environments: dict[str, Environment]
) -> None:
    dev = environments["dev"]
    [server] = synthesized.stack("dev")["resource"]["aws_sagemaker_mlflow_tracking_server"].values()
    assert server["tracking_server_name"] == ResourceNames(dev).tracking_server
    assert server["artifact_store_uri"].endswith("/mlflow") and server["artifact_store_uri"].startswith(
        "s3://"
    )
    assert server["tracking_server_size"] == "Small"


def test_environments_without_tracking_config_have_no_tracking_server(synthesized: Synthesized) -> None:
    for name in ("staging", "prod"):
        assert "aws_sagemaker_mlflow_tracking_server" not in synthesized.stack(name)["resource"]


def test_the_server_role_reaches_only_its_artifact_prefix(
    synthesized: Synthesized, environments: dict[str, Environment]
) -> None:
    names = ResourceNames(environments["dev"])
    statements = _policies(synthesized.stack("dev"), names.role("mlflow-server"))
    objects = next(s for s in statements if s["Sid"] == "ArtifactPrefixReadWrite")
    assert [r.split("}", 1)[-1] for r in objects["Resource"]] == ["/mlflow/*"]
    listing = next(s for s in statements if s["Sid"] == "ArtifactPrefixList")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/*", "mlflow"]}}


def test_only_the_jobs_role_and_the_engineers_role_may_use_the_server(
    synthesized: Synthesized, environments: dict[str, Environment]
) -> None:
    dev = environments["dev"]
    names = ResourceNames(dev)
    stack = synthesized.stack("dev")
    users: set[str] = set()
    for policy in stack["resource"]["aws_iam_role_policy"].values():
        for statement in decoded(policy["policy"])["Statement"]:
            if any(a.startswith("sagemaker-mlflow:") for a in statement["Action"]):
                assert statement["Resource"] == [_server_arn(dev)]
                users.add(policy["role"])
    role_keys = {f"${{aws_iam_role.{k}.id}}": r["name"] for k, r in stack["resource"]["aws_iam_role"].items()}
    assert {role_keys[u] for u in users} == {names.role("sagemaker-execution"), names.role("experimenters")}
    [experimenters] = [
        r for r in stack["resource"]["aws_iam_role"].values() if r["name"] == names.role("experimenters")
    ]
    [trust] = decoded(experimenters["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"AWS": list(dev.training.tracking.engineer_principals)}  # type: ignore[union-attr]
