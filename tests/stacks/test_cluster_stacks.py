"""The synthesized stacks make the training cluster reachable and usable without NAT: endpoints,
access entries, Pod Identity with least privilege, and scale-from-zero tags on the GPU pools."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from tests.stacks.terraform_json import decoded
from tests.stacks.test_synthesized_stacks import one, resources

ENVS = ["dev", "staging", "prod"]


@pytest.fixture(params=ENVS)
def env_stack(
    request: pytest.FixtureRequest, synthesized: Any, environments: dict[str, Environment]
) -> tuple[Environment, dict[str, Any]]:
    return environments[request.param], synthesized.stack(request.param)


def test_nodes_reach_every_service_they_need_through_interface_endpoints(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    services = {e["service_name"] for e in resources(stack, "aws_vpc_endpoint")}
    needed = {"ec2", "eks", "eks-auth", "sts", "ecr.api", "ecr.dkr", "logs", "autoscaling"}
    assert {f"com.amazonaws.{env.region}.{s}" for s in needed} <= services


def test_cluster_grants_no_creator_admin(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    _, stack = env_stack
    cluster = one(stack, "aws_eks_cluster")
    assert cluster["access_config"]["bootstrap_cluster_creator_admin_permissions"] is False


def test_deploy_role_is_cluster_admin_by_access_entry(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    policy = one(stack, "aws_eks_access_policy_association", principal_arn=ResourceNames(env).deploy_role_arn)
    assert policy["policy_arn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert policy["access_scope"] == {"type": "cluster"}


def test_training_submitter_may_edit_only_the_training_namespace(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    scoped = [
        p
        for p in resources(stack, "aws_eks_access_policy_association")
        if p["access_scope"]["type"] == "namespace"
    ]
    assert [(p["policy_arn"].rsplit("/", 1)[1], p["access_scope"]["namespaces"]) for p in scoped] == [
        ("AmazonEKSEditPolicy", [env.training_cluster.namespace])
    ]


def test_training_pods_read_datasets_and_write_artifacts_only(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    _, stack = env_stack
    policy = decoded(one(stack, "aws_iam_role_policy", name="training-pods")["policy"])
    s3 = {
        a: [r.split("}", 1)[-1] for r in s["Resource"]]
        for s in policy["Statement"]
        for a in s["Action"]
        if a.startswith("s3:")
    }
    assert s3 == {
        "s3:ListBucket": [""],
        "s3:GetObject": ["/datasets/*"],
        "s3:PutObject": ["/eks-training/*"],
        "s3:AbortMultipartUpload": ["/eks-training/*"],
    }


def test_training_service_account_is_bound_to_the_training_pod_role(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    association = one(stack, "aws_eks_pod_identity_association", service_account="training-job")
    assert association["namespace"] == env.training_cluster.namespace
    assert "training-pods" in association["role_arn"]


def test_gpu_pools_advertise_taints_and_labels_to_the_autoscaler_at_zero_nodes(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    cluster = ResourceNames(env).eks_cluster
    for pool in env.training_cluster.gpu_node_pools:
        group = one(stack, "aws_eks_node_group", node_group_name=ResourceNames(env).node_group(pool.name))
        tags = group["tags"]
        assert tags[f"k8s.io/cluster-autoscaler/{cluster}"] == "owned"
        assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
        assert tags["k8s.io/cluster-autoscaler/node-template/label/mlops-kit/pool"] == pool.name


def test_pod_identity_agent_add_on_is_pinned(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    _, stack = env_stack
    addon = one(stack, "aws_eks_addon", addon_name="eks-pod-identity-agent")
    assert addon["addon_version"].startswith("v")
