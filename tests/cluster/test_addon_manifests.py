"""`kit cluster addons`: the pinned in-cluster add-ons validate and wire up to the stacks' names."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from mlops_kit.cluster.addon_manifests import addon_manifests
from mlops_kit.config import Environment, ResourceNames
from tests.cli.test_env_commands import kit


def _kind(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_addons_validate_against_the_clusters_kubernetes_version(
    env: str, environments: dict[str, Environment]
) -> None:
    result = kit("cluster", "addons", "--env", env)
    assert result.returncode == 0, result.stderr
    version = f"{environments[env].training_cluster.kubernetes_version}.0"
    for document in yaml.safe_load_all(result.stdout):
        kubernetes_validate.validate(document, version, strict=True)


def test_device_plugin_runs_only_on_gpu_nodes_and_tolerates_their_taint() -> None:
    from mlops_kit.config import load_environment

    plugin = _kind(addon_manifests(load_environment("dev")), "DaemonSet", "nvidia-device-plugin")
    spec = plugin["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert spec["containers"][0]["image"].rsplit(":", 1)[1].startswith("v")


def test_autoscaler_discovers_exactly_this_clusters_node_groups(environments: dict[str, Environment]) -> None:
    env = environments["prod"]
    deployment = _kind(addon_manifests(env), "Deployment", "cluster-autoscaler")
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    cluster = ResourceNames(env).eks_cluster
    assert (
        f"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}"
        in command
    )
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "cluster-autoscaler"
