"""Service Quotas in the twin: the EC2 and SageMaker quotas `kit preflight` reads."""

from __future__ import annotations


def install() -> None:
    """Apply the Service Quotas patches."""
    from local_aws.service_quotas import quotas

    quotas.install()
