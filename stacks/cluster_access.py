"""Who may reach the training cluster's Kubernetes API: EKS access entries (API authentication mode)
instead of creator-admin, each with the narrowest access policy its work needs."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import EksAccessPolicyAssociation
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.cluster_names import SUBMITTER_ROLE
from stacks.policy import document, principal_trust, statement

ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy"
# Cluster admin: platform admins, and the deploy role, which applies the cluster's add-on manifests
# (a DaemonSet in kube-system, the autoscaler's ClusterRole), which only cluster-admin may create.
CLUSTER_ADMIN = f"{ACCESS_POLICY}/AmazonEKSClusterAdminPolicy"
# Edit within one namespace: create Jobs, Services, read pods and logs; no RBAC, nothing cluster-wide.
NAMESPACE_EDIT = f"{ACCESS_POLICY}/AmazonEKSEditPolicy"


def submitter_principals(env: Environment) -> list[str]:
    """Who may assume the training-submitter role: the configured submitters, else the ML engineers."""
    spec = env.training_cluster
    return list(spec.submitter_principals or env.identity.promotion_trusted_principals)


class ClusterAccess(Construct):
    """The training-submitter role and the access entries of admins, the deploy role and submitters."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment, cluster: EksCluster) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        spec = env.training_cluster
        self.submitter = IamRole(
            self,
            "submitter",
            name=names.role(SUBMITTER_ROLE),
            assume_role_policy=principal_trust(submitter_principals(env)),
            description=f"kit train: submits jobs to the {spec.namespace} namespace of the cluster",
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "submitter-describe-cluster",
            role=self.submitter.id,
            name="describe-training-cluster",
            # Enough to build a kubeconfig; what it may do inside comes from its access entry.
            policy=document([statement("DescribeCluster", ["eks:DescribeCluster"], [cluster.arn])]),
        )
        self._entry("deploy", cluster, names.deploy_role_arn, CLUSTER_ADMIN, namespaces=None)
        for index, admin in enumerate(spec.admin_principals):
            self._entry(f"admin-{index}", cluster, admin, CLUSTER_ADMIN, namespaces=None)
        self._entry("submitter", cluster, self.submitter.arn, NAMESPACE_EDIT, namespaces=[spec.namespace])

    def _entry(
        self,
        id_: str,
        cluster: EksCluster,
        principal: str,
        policy: str,
        *,
        namespaces: list[str] | None,
    ) -> None:
        entry = EksAccessEntry(
            self, f"{id_}-entry", cluster_name=cluster.name, principal_arn=principal, type="STANDARD"
        )
        scope: dict[str, object] = (
            {"type": "namespace", "namespaces": namespaces} if namespaces else {"type": "cluster"}
        )
        EksAccessPolicyAssociation(
            self,
            f"{id_}-policy",
            cluster_name=cluster.name,
            principal_arn=principal,
            policy_arn=policy,
            access_scope=scope,  # type: ignore[arg-type]
            depends_on=[entry],
        )
