"""Fixtures of the pipeline tests: the dev environment and its training pipeline, built offline."""

from __future__ import annotations

import pytest

from mlops_kit.config import Environment
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.platform import PlatformFacts, derived_facts

SUBNETS = ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
SECURITY_GROUPS = ("sg-0a1b2c3d4e5f60001",)


@pytest.fixture(scope="session")
def dev_env(environments: dict[str, Environment]) -> Environment:
    return environments["dev"]


@pytest.fixture(scope="session")
def dev_platform(dev_env: Environment) -> PlatformFacts:
    """Platform facts as resolved from a deployed dev (fixed network ids)."""
    return derived_facts(dev_env, SUBNETS, SECURITY_GROUPS)


@pytest.fixture(scope="session")
def dev_pipeline(dev_env: Environment, dev_platform: PlatformFacts) -> BuiltPipeline:
    from pipelines.training import build_training_pipeline

    return build_training_pipeline(dev_env, dev_platform)
