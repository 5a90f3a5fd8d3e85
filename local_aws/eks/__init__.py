"""EKS in the twin: what the training cluster's stack needs of moto's EKS."""

from __future__ import annotations


def install() -> None:
    """Apply the EKS patches."""
    from local_aws.eks import access, clusters, versions

    clusters.install()
    access.install()
    versions.install()
