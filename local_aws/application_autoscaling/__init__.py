"""Application Auto Scaling in the twin: what the serving stack needs of moto's."""

from __future__ import annotations


def install() -> None:
    """Apply the Application Auto Scaling patches."""
    from local_aws.application_autoscaling import tags

    tags.install()
