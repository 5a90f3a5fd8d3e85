"""Terraform and the kit agree on an endpoint: what the kit changes on it (the configuration it
serves, the deployment policy of its last rollout, the instance count autoscaling sets) never shows
up as a change in `terraform plan`. The promotion, rollback and canary paths plan after themselves
in their own tests; this module covers what happens to an endpoint outside a promotion."""

from __future__ import annotations

import time
from typing import Any

import pytest
from promotion_support import MODEL

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.promote import promote_model_version
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def test_autoscaling_a_promoted_endpoint_leaves_the_plan_empty(
    promotion_platform: dict[str, Environment], register_dev_version: Any, assert_plans_empty: Any
) -> None:

    staging = promotion_platform["staging"]
    promote_model_version(MODEL, "staging", version=register_dev_version().version)
    sagemaker = admin_clients(staging).client("sagemaker")
    endpoint = ResourceNames(staging).endpoint(MODEL)
    # What Application Auto Scaling does when the invocations target is exceeded.
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=endpoint,
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 2}],
    )
    deadline = time.monotonic() + 30
    while sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "the endpoint did not return to InService"
        time.sleep(0.2)
    variants = sagemaker.describe_endpoint(EndpointName=endpoint)["ProductionVariants"]
    assert variants[0]["CurrentInstanceCount"] == 2

    assert_plans_empty("staging")


def test_describe_endpoint_reports_the_deployment_policy_of_the_last_rollout(
    promotion_platform: dict[str, Environment], register_dev_version: Any
) -> None:
    """What SageMaker returns after UpdateEndpoint, and the provider reads into `deployment_config`
    (the attribute Terraform must ignore)."""

    staging = promotion_platform["staging"]
    promote_model_version(MODEL, "staging", version=register_dev_version().version)
    names = ResourceNames(staging)
    described = (
        admin_clients(staging).client("sagemaker").describe_endpoint(EndpointName=names.endpoint(MODEL))
    )
    policy = described["LastDeploymentConfig"]
    routing = policy["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY"
    canary = staging.serving.rollout.canary_percent
    assert routing["CanarySize"] == {"Type": "CAPACITY_PERCENT", "Value": canary}
    alarms = {a["AlarmName"] for a in policy["AutoRollbackConfiguration"]["Alarms"]}
    assert alarms == set(names.rollback_alarms(MODEL).values())
