"""What runs inside the training cluster that AWS resources can express: the EKS Pod Identity agent
add-on, the training pods' role (read the data prefix, write the artifacts prefix, nothing else) and
the cluster autoscaler's role, each bound to its service account by a pod identity association.

The NVIDIA device plugin and the cluster autoscaler themselves are Kubernetes manifests
(`mlops_kit/cluster/addon_manifests.py`), pinned, validated offline and applied once the cluster
exists: the offline provider mirror has no Kubernetes or Helm provider.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster
from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.cluster_names import (
    ARTIFACTS_PREFIX,
    AUTOSCALER_NAMESPACE,
    AUTOSCALER_ROLE,
    AUTOSCALER_SERVICE_ACCOUNT,
    DATA_PREFIX,
    TRAINING_POD_ROLE,
    TRAINING_SERVICE_ACCOUNT,
)
from stacks.encryption import EnvironmentKey
from stacks.policy import Statement, document, statement

# Pinned: the agent that hands pods their role's credentials (EKS Pod Identity).
POD_IDENTITY_AGENT_VERSION = "v1.3.4-eksbuild.1"


# What the autoscaler reads that has no resource-level permissions (so `Resource: "*"`).
AUTOSCALER_DESCRIBE = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)


def pod_identity_trust(account_id: str) -> str:
    """Trust for EKS Pod Identity: the pods service assumes the role and tags the session."""
    return document(
        [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def training_pod_statements(bucket_arn: str, key_arn: str) -> list[Statement]:
    """Read `datasets/`, write `eks-training/` of the artifact bucket, with the environment's key."""
    return [
        statement(
            "ListOwnPrefixes",
            ["s3:ListBucket"],
            [bucket_arn],
            condition={"StringLike": {"s3:prefix": [f"{DATA_PREFIX}*", f"{ARTIFACTS_PREFIX}*"]}},
        ),
        statement("ReadData", ["s3:GetObject"], [f"{bucket_arn}/{DATA_PREFIX}*"]),
        statement(
            "WriteArtifacts",
            ["s3:PutObject", "s3:AbortMultipartUpload"],
            [f"{bucket_arn}/{ARTIFACTS_PREFIX}*"],
        ),
        statement("UseKeyForData", ["kms:Decrypt", "kms:GenerateDataKey"], [key_arn]),
    ]


def autoscaler_statements(env: Environment, cluster_name: str) -> list[Statement]:
    """What the cluster autoscaler calls: describe groups and node groups (for scale from zero, the
    labels, taints and GPU count of a group with no node), and resize only this cluster's groups."""
    return [
        statement("Describe", AUTOSCALER_DESCRIBE, ["*"]),
        statement(
            "DescribeNodegroups",
            ["eks:DescribeNodegroup"],
            [f"arn:aws:eks:{env.region}:{env.account_id}:nodegroup/{cluster_name}/*/*"],
        ),
        statement(
            "ResizeOwnGroups",
            ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            [f"arn:aws:autoscaling:{env.region}:{env.account_id}:autoScalingGroup:*:autoScalingGroupName/*"],
            condition={
                "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
            },
        ),
    ]


class ClusterAddons(Construct):
    """Pod Identity agent add-on; training-pod and autoscaler roles bound to their service accounts."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        cluster: EksCluster,
        key: EnvironmentKey,
        artifact_bucket_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        agent = EksAddon(
            self,
            "pod-identity-agent",
            cluster_name=cluster.name,
            addon_name="eks-pod-identity-agent",
            addon_version=POD_IDENTITY_AGENT_VERSION,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
        )
        self.training_pods = self._bound_role(
            TRAINING_POD_ROLE,
            "training pods of the EKS cluster: read datasets/, write eks-training/",
            training_pod_statements(artifact_bucket_arn, key.key.arn),
            env=env,
            cluster=cluster,
            namespace=env.training_cluster.namespace,
            service_account=TRAINING_SERVICE_ACCOUNT,
            after=agent,
        )
        self.autoscaler = self._bound_role(
            AUTOSCALER_ROLE,
            "cluster autoscaler of the EKS training cluster",
            autoscaler_statements(env, names.eks_cluster),
            env=env,
            cluster=cluster,
            namespace=AUTOSCALER_NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT,
            after=agent,
        )

    def _bound_role(
        self,
        purpose: str,
        description: str,
        statements: list[Statement],
        *,
        env: Environment,
        cluster: EksCluster,
        namespace: str,
        service_account: str,
        after: EksAddon,
    ) -> IamRole:
        role = IamRole(
            self,
            purpose,
            name=ResourceNames(env).role(purpose),
            assume_role_policy=pod_identity_trust(env.account_id),
            description=description,
            max_session_duration=3600,
        )
        IamRolePolicy(self, f"{purpose}-policy", role=role.id, name=purpose, policy=document(statements))
        EksPodIdentityAssociation(
            self,
            f"{purpose}-association",
            cluster_name=cluster.name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            depends_on=[after],
        )
        return role
