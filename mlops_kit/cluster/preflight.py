"""`kit preflight`: what a deploy and a run of an environment would hit, read from AWS before either.

Service quotas (EC2 GPU vCPUs on demand and spot for the node pools; SageMaker per-instance-type
quotas for training, processing and endpoints), instance type offerings in the configured zones, EKS
support of the configured Kubernetes version, and the bootstrap's deploy role and state bucket.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mlops_kit.aws.clients import AwsClients
from mlops_kit.cluster.gpu_instances import gpu_instance, quota_family
from mlops_kit.config import Environment
from mlops_kit.errors import KitError, NotFound

Status = Literal["pass", "warn", "fail"]

# EC2 vCPU quotas of GPU instances (Service Quotas codes, service `ec2`).
EC2_GPU_QUOTAS = {
    ("G", "ON_DEMAND"): ("L-DB2E81BA", "Running On-Demand G and VT instances"),
    ("P", "ON_DEMAND"): ("L-417A185B", "Running On-Demand P instances"),
    ("G", "SPOT"): ("L-3819A6DF", "All G and VT Spot Instance Requests"),
    ("P", "SPOT"): ("L-7212CCBC", "All P Spot Instance Requests"),
}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class QuotaNeed:
    """How much of one quota the environment needs at most, and why."""

    service: str
    code: str | None  # None: looked up by name (SageMaker's codes differ per instance type)
    name: str
    needed: float
    why: str
    comfortable: float | None = None  # below this (but above `needed`): warn


def ec2_quota_needs(env: Environment) -> list[QuotaNeed]:
    """vCPUs each GPU quota must allow when every pool is at its max size."""
    needed: dict[tuple[str, str], float] = defaultdict(float)
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pool in env.training_cluster.gpu_node_pools:
        by_family: dict[str, int] = defaultdict(int)
        for instance_type in pool.instance_types:
            family = quota_family(instance_type)
            by_family[family] = max(by_family[family], gpu_instance(instance_type).vcpus)
        for family, vcpus in by_family.items():
            key = (family, pool.capacity_type)
            needed[key] += pool.scaling.max_size * vcpus
            why[key].append(f"pool {pool.name}: {pool.scaling.max_size} x {vcpus} vCPU")
    return [
        QuotaNeed("ec2", EC2_GPU_QUOTAS[key][0], EC2_GPU_QUOTAS[key][1], needed[key], "; ".join(why[key]))
        for key in sorted(needed)
    ]


def sagemaker_quota_needs(env: Environment) -> list[QuotaNeed]:
    """Instances of each SageMaker quota the pipeline, the drift job and the endpoint use at most."""
    serving = env.serving
    endpoint_max = serving.autoscaling.max_capacity
    return [
        QuotaNeed(
            "sagemaker",
            None,
            f"{env.training.training_instance_type} for training job usage",
            1,
            "training step",
        ),
        QuotaNeed(
            "sagemaker",
            None,
            f"{env.training.processing_instance_type} for processing job usage",
            max(1, env.drift.instance_count),
            "processing steps and drift shards",
        ),
        QuotaNeed(
            "sagemaker",
            None,
            f"{serving.instance_type} for endpoint usage",
            endpoint_max,
            f"endpoint autoscaling max {endpoint_max}",
            # A blue/green rollout runs the new fleet beside the old one.
            comfortable=endpoint_max + serving.initial_instance_count,
        ),
    ]


def _quota_check(need: QuotaNeed, value: float | None) -> Check:
    label = f"quota {need.service}: {need.name}" + (f" ({need.code})" if need.code else "")
    if value is None:
        return Check(label, "fail", f"no such quota in the region ({need.why})")
    detail = f"needs {need.needed:g}, quota {value:g} ({need.why})"
    if value < need.needed:
        return Check(label, "fail", detail)
    if need.comfortable is not None and value < need.comfortable:
        return Check(label, "warn", f"{detail}; a blue/green rollout needs {need.comfortable:g}")
    return Check(label, "pass", detail)


def _sagemaker_quotas(clients: AwsClients) -> dict[str, float]:
    quotas = clients.client("service-quotas")
    values: dict[str, float] = {}
    for page in quotas.get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker"):
        values.update({q["QuotaName"]: float(q["Value"]) for q in page["Quotas"]})
    return values


def quota_checks(env: Environment, clients: AwsClients) -> list[Check]:
    quotas = clients.client("service-quotas")
    checks = []
    for need in ec2_quota_needs(env):
        try:
            quota = clients.call(
                f"read quota {need.code}", quotas.get_service_quota, ServiceCode="ec2", QuotaCode=need.code
            )
            value: float | None = float(quota["Quota"]["Value"])
        except NotFound:
            value = None
        checks.append(_quota_check(need, value))
    sagemaker = clients.call("list SageMaker quotas", _sagemaker_quotas, clients=clients)
    checks += [_quota_check(need, sagemaker.get(need.name)) for need in sagemaker_quota_needs(env)]
    return checks


def offering_checks(env: Environment, clients: AwsClients) -> list[Check]:
    ec2 = clients.client("ec2")
    zones = env.availability_zones
    spec = env.training_cluster
    types = sorted(
        {*spec.system_node_group.instance_types, *(t for p in spec.gpu_node_pools for t in p.instance_types)}
    )
    checks = []
    for instance_type in types:
        found = clients.call(
            f"describe offerings of {instance_type}",
            ec2.describe_instance_type_offerings,
            LocationType="availability-zone",
            Filters=[
                {"Name": "instance-type", "Values": [instance_type]},
                {"Name": "location", "Values": zones},
            ],
        )
        offered = sorted({o["Location"] for o in found["InstanceTypeOfferings"]})
        missing = [z for z in zones if z not in offered]
        label = f"offering {instance_type}"
        if not offered:
            checks.append(Check(label, "fail", f"offered in none of {', '.join(zones)}"))
        elif missing:
            checks.append(
                Check(label, "warn", f"not offered in {', '.join(missing)}; nodes launch elsewhere")
            )
        else:
            checks.append(Check(label, "pass", f"offered in {', '.join(zones)}"))
    return checks


def eks_version_check(env: Environment, clients: AwsClients) -> Check:
    version = env.training_cluster.kubernetes_version
    eks = clients.client("eks")
    found = clients.call("describe EKS versions", eks.describe_cluster_versions, clusterVersions=[version])
    statuses = [v.get("versionStatus") or v.get("status") for v in found.get("clusterVersions", [])]
    label = f"eks version {version}"
    if "STANDARD_SUPPORT" in statuses:
        return Check(label, "pass", "in standard support")
    if "EXTENDED_SUPPORT" in statuses:
        return Check(label, "warn", "in extended support (billed extra): plan an upgrade")
    return Check(label, "fail", "not offered by EKS")


def _present(label: str, probe: Callable[[], object]) -> Check:
    try:
        probe()
    except KitError as exc:
        return Check(label, "fail", str(exc))
    return Check(label, "pass", "present")


def bootstrap_checks(env: Environment, clients: AwsClients) -> list[Check]:
    role = env.identity.deploy_role_name
    iam = clients.client("iam")
    checks = [
        _present(f"deploy role {role}", lambda: clients.call(f"get role {role}", iam.get_role, RoleName=role))
    ]
    if env.state is not None:
        bucket = env.state.bucket
        s3 = clients.client("s3")
        checks.append(
            _present(
                f"state bucket {bucket}",
                lambda: clients.call(f"find bucket {bucket}", s3.head_bucket, Bucket=bucket),
            )
        )
    return checks


def run_preflight(env: Environment, clients: AwsClients) -> list[Check]:
    """Every check, in a stable order."""
    return [
        *quota_checks(env, clients),
        *offering_checks(env, clients),
        eks_version_check(env, clients),
        *bootstrap_checks(env, clients),
    ]
