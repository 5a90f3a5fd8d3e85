"""Resource names derive from the environment in one place and fit AWS limits."""

from __future__ import annotations

from mlops_kit.config import Environment, ResourceNames


def test_names_are_derived_from_prefix_environment_and_account(environments: dict[str, Environment]) -> None:
    names = ResourceNames(environments["staging"])
    assert names.artifact_bucket == "mlkit-staging-artifacts-222222222222"
    assert names.model_package_group("tumor-classifier") == "mlkit-staging-tumor-classifier"
    assert names.endpoint("tumor-classifier") == "mlkit-staging-tumor-classifier"
    assert names.promotion_role_arn == "arn:aws:iam::222222222222:role/mlkit-staging-promotion"


def test_shipped_environments_have_no_name_over_aws_limits(environments: dict[str, Environment]) -> None:
    for env in environments.values():
        assert ResourceNames(env).limit_violations() == []


def test_subnets_are_carved_per_zone(environments: dict[str, Environment]) -> None:
    prod = environments["prod"]
    assert prod.network.subnet_cidrs() == ["10.30.0.0/20", "10.30.16.0/20", "10.30.32.0/20"]
    assert prod.availability_zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
