"""What a pipeline definition needs from the deployed platform: roles, key, network, bucket.

Names and ARNs derive from the environment (`ResourceNames`); only the subnet and security group ids,
which AWS assigns, are looked up, so the definition builder itself stays a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import NotFound


@dataclass(frozen=True)
class PlatformFacts:
    """The deployed resources an environment's jobs run with."""

    artifact_bucket: str
    execution_role_arn: str
    pipeline_role_arn: str
    kms_key_id: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


def role_arn(env: Environment, purpose: str) -> str:
    return f"arn:aws:iam::{env.account_id}:role/{ResourceNames(env).role(purpose)}"


def derived_facts(
    env: Environment, subnet_ids: tuple[str, ...], security_group_ids: tuple[str, ...]
) -> PlatformFacts:
    """Facts from the environment's names plus the given network ids."""
    names = ResourceNames(env)
    return PlatformFacts(
        artifact_bucket=names.artifact_bucket,
        execution_role_arn=role_arn(env, "sagemaker-execution"),
        pipeline_role_arn=role_arn(env, "pipeline"),
        # SageMaker takes an alias ARN for volume and output keys, so no lookup is needed.
        kms_key_id=f"arn:aws:kms:{env.region}:{env.account_id}:{names.kms_alias}",
        subnet_ids=subnet_ids,
        security_group_ids=security_group_ids,
    )


def resolve_platform(clients: AwsClients, env: Environment) -> PlatformFacts:
    """Look up the environment's private subnets and workload security group (by their names)."""
    names = ResourceNames(env)
    ec2 = clients.client("ec2")
    subnet_names = [f"{names.vpc}-private-{index}" for index in range(env.network.az_count)]
    subnets = clients.call(
        f"find the subnets of {names.vpc}",
        ec2.describe_subnets,
        Filters=[{"Name": "tag:Name", "Values": subnet_names}],
    )["Subnets"]
    by_name = {
        next((t["Value"] for t in s.get("Tags", []) if t["Key"] == "Name"), ""): s["SubnetId"]
        for s in subnets
    }
    missing = [n for n in subnet_names if n not in by_name]
    groups = clients.call(
        f"find the security group {names.base}-workloads",
        ec2.describe_security_groups,
        Filters=[{"Name": "group-name", "Values": [f"{names.base}-workloads"]}],
    )["SecurityGroups"]
    if missing or not groups:
        absent = ", ".join(missing + ([] if groups else [f"{names.base}-workloads"]))
        raise NotFound(
            f"{env.name}: the platform is not deployed ({absent} not found)",
            hint=f"deploy the {env.name} stack first",
        )
    return derived_facts(env, tuple(by_name[n] for n in subnet_names), (groups[0]["GroupId"],))
