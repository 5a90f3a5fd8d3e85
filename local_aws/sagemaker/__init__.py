"""SageMaker in the twin: what the platform stacks need of moto's SageMaker, pipelines that run (on the
local runner), blue/green endpoint updates, and endpoints that answer with their own model."""

from __future__ import annotations


def install() -> None:
    """Apply the SageMaker patches."""
    from local_aws.sagemaker import endpoints, pipelines, platform, serving, shadow, tracking_servers

    platform.install()
    pipelines.install()
    endpoints.install()
    serving.install()
    shadow.install()
    tracking_servers.install()
