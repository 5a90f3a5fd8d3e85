"""What an endpoint serves: its state as SageMaker describes it, and which model version its endpoint
configuration holds.

Promotion names every endpoint configuration it creates after the version it serves
(`<endpoint>-v<N>`), so what an endpoint serves can be read back from its configuration's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames


@dataclass(frozen=True)
class ServingState:
    """What an endpoint serves now, and what it is moving to."""

    endpoint: str
    status: str
    config_name: str
    version: int | None  # None: the bootstrap model (nothing promoted yet)
    pending_config: str | None
    failure_reason: str

    @property
    def label(self) -> str:
        return f"v{self.version}" if self.version is not None else "the bootstrap model"


def config_name(env: Environment, model: str, version: int) -> str:
    """The endpoint configuration of `version` of `model` in `env`."""
    return f"{ResourceNames(env).endpoint(model)}-v{version}"


def version_of_config(env: Environment, model: str, name: str) -> int | None:
    """The version an endpoint configuration named by `config_name` serves; None for any other name."""
    match = re.fullmatch(re.escape(ResourceNames(env).endpoint(model)) + r"-v(\d+)", name)
    return int(match.group(1)) if match else None


def serving_state(clients: AwsClients, env: Environment, model: str) -> ServingState:
    """What the endpoint of `model` in `env` serves now, and what it is moving to."""
    endpoint = ResourceNames(env).endpoint(model)
    sagemaker = clients.client("sagemaker")
    described = clients.call(
        f"describe endpoint {endpoint}", sagemaker.describe_endpoint, EndpointName=endpoint
    )
    name = described["EndpointConfigName"]
    pending = (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    return ServingState(
        endpoint=endpoint,
        status=described["EndpointStatus"],
        config_name=name,
        version=version_of_config(env, model, name),
        pending_config=pending,
        failure_reason=described.get("FailureReason") or "",
    )
