"""The training cluster's in-cluster add-ons, as Kubernetes manifests (plain data), pinned: the
training namespace and its service account, the NVIDIA device plugin (so pods can request
`nvidia.com/gpu`) and the cluster autoscaler (scales the GPU node groups from and to zero).

The offline provider mirror has no Kubernetes or Helm provider, so these are applied once the
cluster exists (`kit cluster addons --env ENV | kubectl apply -f -`, as the deploy role, which
has cluster admin through its access entry); their IAM sides (Pod Identity) are in the stacks.
"""

from __future__ import annotations

from typing import Any

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.cluster_names import (
    AUTOSCALER_NAMESPACE,
    AUTOSCALER_SERVICE_ACCOUNT,
    TRAINING_SERVICE_ACCOUNT,
)

NVIDIA_DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"
# The autoscaler's minor version follows the cluster's Kubernetes minor version.
CLUSTER_AUTOSCALER_IMAGES = {
    "1.30": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2",
    "1.31": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.1",
    "1.32": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0",
}
_RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": "mlops-kit"}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def training_namespace(env: Environment) -> list[dict[str, Any]]:
    namespace = env.training_cluster.namespace
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(namespace)},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(TRAINING_SERVICE_ACCOUNT, namespace),
        },
    ]


def nvidia_device_plugin() -> list[dict[str, Any]]:
    """The device plugin DaemonSet, on GPU nodes only (they carry the GPU taint and label)."""
    labels = {"app.kubernetes.io/name": "nvidia-device-plugin"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta("nvidia-device-plugin", "kube-system"),
            "spec": {
                "selector": {"matchLabels": labels},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "nodeSelector": {"nvidia.com/gpu.present": "true"},
                        "tolerations": [
                            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                        ],
                        "containers": [
                            {
                                "name": "nvidia-device-plugin",
                                "image": NVIDIA_DEVICE_PLUGIN_IMAGE,
                                "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
                                "securityContext": _RESTRICTED,
                                "volumeMounts": [
                                    {"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}
                        ],
                    },
                },
            },
        }
    ]


def _autoscaler_rbac() -> list[dict[str, Any]]:
    name, namespace = AUTOSCALER_SERVICE_ACCOUNT, AUTOSCALER_NAMESPACE
    read = ["get", "list", "watch"]
    rules = [
        {"apiGroups": [""], "resources": ["events", "endpoints"], "verbs": ["create", "patch"]},
        {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": [*read, "update"]},
        {
            "apiGroups": [""],
            "resources": [
                "namespaces",
                "pods",
                "services",
                "replicationcontrollers",
                "persistentvolumeclaims",
                "persistentvolumes",
            ],
            "verbs": read,
        },
        {"apiGroups": ["apps"], "resources": ["daemonsets", "replicasets", "statefulsets"], "verbs": read},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": read},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": read},
        {
            "apiGroups": ["storage.k8s.io"],
            "resources": [
                "storageclasses",
                "csinodes",
                "csidrivers",
                "csistoragecapacities",
                "volumeattachments",
            ],
            "verbs": read,
        },
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]},
    ]
    subject = [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, namespace)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(name),
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(name),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(name, namespace),
            # Its status ConfigMap, and nothing else of kube-system's ConfigMaps.
            "rules": [
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "list", "watch"]},
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": ["cluster-autoscaler-status"],
                    "verbs": ["delete", "get", "update"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(name, namespace),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": subject,
        },
    ]


def cluster_autoscaler(env: Environment) -> list[dict[str, Any]]:
    """The autoscaler, discovering this cluster's node groups by their tags; scale to zero when idle."""
    cluster = ResourceNames(env).eks_cluster
    version = env.training_cluster.kubernetes_version
    image = CLUSTER_AUTOSCALER_IMAGES.get(version, CLUSTER_AUTOSCALER_IMAGES[max(CLUSTER_AUTOSCALER_IMAGES)])
    labels = {"app.kubernetes.io/name": "cluster-autoscaler"}
    command = [
        "./cluster-autoscaler",
        "--cloud-provider=aws",
        f"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}",
        "--balance-similar-node-groups",
        "--skip-nodes-with-system-pods=false",
        "--scale-down-unneeded-time=10m",
        "--expander=least-waste",
    ]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("cluster-autoscaler", AUTOSCALER_NAMESPACE),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": AUTOSCALER_SERVICE_ACCOUNT,
                    "priorityClassName": "system-cluster-critical",
                    "nodeSelector": {"mlops-kit/pool": "system"},
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65534},
                    "containers": [
                        {
                            "name": "cluster-autoscaler",
                            "image": image,
                            "command": command,
                            "env": [{"name": "AWS_REGION", "value": env.region}],
                            "resources": {"requests": {"cpu": "100m", "memory": "600Mi"}},
                            "securityContext": {**_RESTRICTED, "readOnlyRootFilesystem": True},
                        }
                    ],
                },
            },
        },
    }
    return [*_autoscaler_rbac(), deployment]


def addon_manifests(env: Environment) -> list[dict[str, Any]]:
    """Everything, in apply order."""
    return [*training_namespace(env), *nvidia_device_plugin(), *cluster_autoscaler(env)]
