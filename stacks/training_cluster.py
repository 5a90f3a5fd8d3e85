"""The training cluster: a private EKS control plane with encrypted secrets and full control-plane
logging, a system node group, and one managed node group per configured GPU pool."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup, EksNodeGroupTaint
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.cluster_names import POOL_LABEL
from mlops_kit.config.models import GpuNodePool as GpuNodePoolSpec
from mlops_kit.config.models import Scaling
from stacks.encryption import EnvironmentKey
from stacks.identity import Identity
from stacks.network import LOG_RETENTION_DAYS, Network

# Every GPU node carries this taint so that only pods which tolerate it (GPU jobs) land there.
NVIDIA_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}


def pool_taints(pool: GpuNodePoolSpec) -> list[dict[str, str]]:
    """The GPU taint plus the pool's own taints (as the node group declares them)."""
    return [NVIDIA_TAINT] + [t.model_dump() for t in pool.taints if t.key != NVIDIA_TAINT["key"]]


def autoscaler_tags(cluster: str, labels: dict[str, str], taints: list[dict[str, str]]) -> dict[str, str]:
    """Cluster autoscaler auto-discovery and node-template tags, so a group at zero nodes still
    advertises its labels and taints (the autoscaler also reads them from eks:DescribeNodegroup)."""
    effects = {
        "NO_SCHEDULE": "NoSchedule",
        "NO_EXECUTE": "NoExecute",
        "PREFER_NO_SCHEDULE": "PreferNoSchedule",
    }
    template = "k8s.io/cluster-autoscaler/node-template"
    return {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster}": "owned",
        **{f"{template}/label/{k}": v for k, v in labels.items()},
        **{f"{template}/taint/{t['key']}": f"{t['value']}:{effects[t['effect']]}" for t in taints},
    }


def _scaling(scaling: Scaling) -> dict[str, int]:
    return {"min_size": scaling.min_size, "desired_size": scaling.desired_size, "max_size": scaling.max_size}


class GpuNodePool(Construct):
    """One managed node group of GPU instances: NVIDIA AMI, GPU taint, labels, scales to zero."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        pool: GpuNodePoolSpec,
        cluster: EksCluster,
        node_role_arn: str,
        subnet_ids: list[str],
    ) -> None:
        super().__init__(scope, id_)
        labels = {POOL_LABEL: pool.name, "nvidia.com/gpu.present": "true", **pool.labels}
        taints = pool_taints(pool)
        self.node_group = EksNodeGroup(
            self,
            "node-group",
            cluster_name=cluster.name,
            node_group_name=ResourceNames(env).node_group(pool.name),
            node_role_arn=node_role_arn,
            subnet_ids=subnet_ids,
            ami_type=pool.ami_type,
            capacity_type=pool.capacity_type,
            instance_types=list(pool.instance_types),
            disk_size=pool.disk_size_gib,
            scaling_config=_scaling(pool.scaling),
            update_config={"max_unavailable": 1},
            labels=labels,
            taint=[EksNodeGroupTaint(**t) for t in taints],
            tags=autoscaler_tags(ResourceNames(env).eks_cluster, labels, taints),
        )


class TrainingCluster(Construct):
    """EKS cluster (private endpoint only), its system node group and its GPU node pools."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        key: EnvironmentKey,
        network: Network,
        identity: Identity,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        spec = env.training_cluster
        # EKS writes control-plane logs to this group; creating it first sets retention and encryption.
        self.log_group = CloudwatchLogGroup(
            self,
            "control-plane-logs",
            name=f"/aws/eks/{names.eks_cluster}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=key.key.arn,
        )
        self.cluster = EksCluster(
            self,
            "cluster",
            name=names.eks_cluster,
            version=spec.kubernetes_version,
            role_arn=identity.eks_cluster.arn,
            vpc_config={
                "subnet_ids": network.subnet_ids,
                "security_group_ids": [network.workload_security_group.id],
                "endpoint_private_access": True,
                "endpoint_public_access": False,
            },
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": key.key.arn}},
            enabled_cluster_log_types=list(spec.log_types),
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": False,
            },
            depends_on=[self.log_group],
        )
        system = spec.system_node_group
        self.system_node_group = EksNodeGroup(
            self,
            "system-node-group",
            cluster_name=self.cluster.name,
            node_group_name=names.node_group("system"),
            node_role_arn=identity.eks_nodes.arn,
            subnet_ids=network.subnet_ids,
            ami_type=system.ami_type,
            capacity_type="ON_DEMAND",
            instance_types=list(system.instance_types),
            disk_size=system.disk_size_gib,
            scaling_config=_scaling(system.scaling),
            update_config={"max_unavailable": 1},
            labels={POOL_LABEL: "system"},
        )
        self.gpu_pools = [
            GpuNodePool(
                self,
                f"gpu-{pool.name}",
                env=env,
                pool=pool,
                cluster=self.cluster,
                node_role_arn=identity.eks_nodes.arn,
                subnet_ids=network.subnet_ids,
            )
            for pool in spec.gpu_node_pools
        ]
