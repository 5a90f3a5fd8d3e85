"""`kit train --on eks`: manifests that validate against the cluster's Kubernetes version and land
only on the pool's GPU nodes; bad requests refused before anything is rendered."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from mlops_kit.cluster.training_job import job_manifests, plan_training_job
from mlops_kit.config import Environment
from mlops_kit.errors import BadInput
from tests.cli.test_env_commands import kit


def _job(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == "Job")


def _pod(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return _job(manifests)["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_dry_run_prints_manifests_that_validate_against_the_clusters_kubernetes_version(
    environments: dict[str, Environment],
) -> None:
    result = kit("train", "--on", "eks", "--env", "dev", "--dry-run")
    assert result.returncode == 0, result.stderr
    version = f"{environments['dev'].training_cluster.kubernetes_version}.0"
    documents = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in documents] == ["Service", "Job"]
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_job_requests_the_gpus_asked_for_and_one_pod_per_node(environments: dict[str, Environment]) -> None:
    job = plan_training_job(environments["prod"], run_id="r1", pool="h100", gpus=8, nodes=1)
    manifests = job_manifests(job)
    container = _pod(manifests)["containers"][0]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "8"}
    assert _job(manifests)["spec"]["completionMode"] == "Indexed"


def test_job_tolerates_the_pools_taints_and_selects_its_nodes(environments: dict[str, Environment]) -> None:
    pod = _pod(job_manifests(plan_training_job(environments["prod"], run_id="r1", pool="h100")))
    assert pod["nodeSelector"] == {"mlops-kit/pool": "h100"}
    assert {(t["key"], t["effect"]) for t in pod["tolerations"]} == {
        ("nvidia.com/gpu", "NoSchedule"),
        ("dedicated", "NoSchedule"),
    }


def test_job_runs_as_the_service_account_bound_to_the_training_role(
    environments: dict[str, Environment],
) -> None:
    pod = _pod(job_manifests(plan_training_job(environments["dev"], run_id="r1")))
    assert pod["serviceAccountName"] == "training-job"


def test_workers_find_the_rendezvous_through_the_headless_service(
    environments: dict[str, Environment],
) -> None:
    manifests = job_manifests(plan_training_job(environments["dev"], run_id="r1", nodes=2))
    service, job = manifests
    env = {e["name"]: e.get("value") for e in _pod(manifests)["containers"][0]["env"]}
    assert service["spec"]["clusterIP"] == "None"
    assert env["MASTER_ADDR"].startswith(f"{job['metadata']['name']}-0.{service['metadata']['name']}.")
    assert env["WORLD_SIZE"] == "2"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--pool", "v100"], "--pool: v100"),
        (["--pool", "h100", "--gpus", "9"], "--gpus: 9"),
        (["--pool", "h100", "--nodes", "2"], "--nodes: 2"),
    ],
)
def test_bad_request_exits_2_naming_the_value(arguments: list[str], named: str) -> None:
    result = kit("train", "--on", "eks", "--env", "prod", "--dry-run", *arguments)
    assert result.returncode == 2
    assert named in result.stderr
    assert "apiVersion" not in result.stdout


def test_more_gpus_than_the_smallest_instance_type_of_a_mixed_pool_is_refused(
    environments: dict[str, Environment],
) -> None:
    with pytest.raises(BadInput, match="has 1 per node"):
        plan_training_job(environments["dev"], run_id="r1", gpus=2)
