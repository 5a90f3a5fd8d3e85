"""DescribeClusterVersions, absent from moto 5.2.5's EKS: the Kubernetes versions EKS offers and
their support status, which `kit preflight` checks the configured version against."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.eks.responses import EKSResponse

ROUTE = "{0}/cluster-versions$"
# The twin's view of EKS versions: older ones in extended support (it costs more), newer in standard.
VERSIONS = {
    "1.30": "EXTENDED_SUPPORT",
    "1.31": "EXTENDED_SUPPORT",
    "1.32": "STANDARD_SUPPORT",
    "1.33": "STANDARD_SUPPORT",
    "1.34": "STANDARD_SUPPORT",
}


def describe_cluster_versions(self: Any) -> ActionResult:
    wanted = self._get_param("clusterVersions") or list(VERSIONS)
    versions = [
        {
            "clusterVersion": version,
            "clusterType": "eks",
            "defaultVersion": version == "1.33",
            "status": status,
            "versionStatus": status,
        }
        for version, status in VERSIONS.items()
        if version in wanted
    ]
    return ActionResult({"clusterVersions": versions})


def install() -> None:
    from moto.eks import urls

    urls.url_paths.setdefault(ROUTE, urls.response.dispatch)
    EKSResponse.describe_cluster_versions = describe_cluster_versions  # type: ignore[attr-defined]
