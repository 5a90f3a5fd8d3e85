"""EKS gaps the training cluster's stack hits: what `terraform apply` and `plan` need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap


def _eks_access_config() -> None:
    """moto ignores CreateCluster's accessConfig and never returns it, so every plan shows a diff."""
    from moto.eks.responses import EKSResponse

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_cluster(self: Any) -> Any:
            access = self._get_param("accessConfig") or {}
            result = original(self)
            cluster = self.eks_backend.clusters[self._get_param("name")]
            # Like AWS, describe only the mode (CONFIG_MAP when none was asked for).
            cluster.access_config = {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP")}
            return result

        return create_cluster

    _wrap(EKSResponse, "create_cluster", make)


def _eks_nodegroup_remote_access() -> None:
    """moto invents an SSH key (`eksKeypair`) for node groups created without remote access."""
    from moto.eks.models import Nodegroup

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if not kwargs.get("remote_access"):
                self.remote_access = None

        return __init__

    _wrap(Nodegroup, "__init__", make)


def _eks_nodegroup_update_config() -> None:
    """moto's CreateNodegroup drops `updateConfig`, so the first plan after apply wants to update it."""
    from moto.eks.responses import EKSResponse

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_nodegroup(self: Any) -> Any:
            result = original(self)
            update_config = self._get_param("updateConfig")
            if update_config:
                cluster = self.eks_backend.clusters[self._get_param("name")]
                cluster.nodegroups[self._get_param("nodegroupName")].update_config = update_config
            return result

        return create_nodegroup

    _wrap(EKSResponse, "create_nodegroup", make)


def install() -> None:
    """Apply this module's patches."""
    _eks_access_config()
    _eks_nodegroup_remote_access()
    _eks_nodegroup_update_config()
