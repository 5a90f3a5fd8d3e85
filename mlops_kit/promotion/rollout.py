"""Roll a registered version out to its endpoint: blue/green with a canary, automatic rollback on the
environment's CloudWatch alarms, and a wait that reports progress.

Every model and endpoint configuration promotion creates is named after the target version
(`<endpoint>-v<N>`), so a re-run finds what an interrupted run created instead of adding another,
and what an endpoint serves can be read back from its configuration's name. Hosting settings the
kit does not own here (execution role, network, data capture, encryption) are carried over from
what the endpoint serves now, which Terraform created.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.aws.concurrency import concurrently
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import NotFound, OperationFailed
from mlops_kit.registry.versions import ModelVersion
from mlops_kit.serving.artifact_digest import with_artifact_digest
from mlops_kit.serving.state import ServingState, config_name, serving_state

VARIANT_NAME = "primary"  # the autoscaling target and the alarms of stacks/serving.py point at it
MAX_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class RolloutProgress:
    status: str
    elapsed_seconds: float
    serving_config: str
    pending_config: str | None


@dataclass(frozen=True)
class RolloutOutcome:
    succeeded: bool
    reason: str
    wait_seconds: float


def deployment_config(env: Environment, model: str, *, canary: bool = True) -> dict[str, Any]:
    """Blue/green: `canary_percent` of capacity first, bake, then all; roll back on the env's alarms.
    A rollback (canary=False) shifts all at once and watches no alarm: they are why it runs."""
    rollout = env.serving.rollout
    bake = rollout.bake_minutes * 60
    termination = rollout.termination_wait_minutes * 60
    routing: dict[str, Any]
    if canary:
        routing = {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": rollout.canary_percent},
            "WaitIntervalInSeconds": bake,
        }
    else:
        routing = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination if canary else 0,
            "MaximumExecutionTimeoutInSeconds": max(600, min(28800, bake + termination + 1800)),
        }
    }
    if canary:
        alarms = ResourceNames(env).rollback_alarms(model).values()
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in sorted(alarms)]}
    return config


def _exists(clients: AwsClients, action: str, fn: Callable[..., Any], **kwargs: Any) -> dict[str, Any] | None:
    try:
        return clients.call(action, fn, **kwargs)  # type: ignore[no-any-return]
    except NotFound:
        return None
    except OperationFailed as exc:
        # SageMaker answers a missing model or configuration with ValidationException "Could not find".
        if "Could not find" in str(exc):
            return None
        raise


def prepare_config(
    clients: AwsClients,
    env: Environment,
    model: str,
    version: ModelVersion,
    *,
    current: ServingState | None = None,
) -> str:
    """The model and endpoint configuration serving `version` (created if missing); returns its name.
    `current`: what the endpoint serves, when the caller has just read it."""
    sagemaker = clients.client("sagemaker")
    name = config_name(env, model, version.version)
    current = current or serving_state(clients, env, model)
    # Whether an earlier run created them, and the settings to carry over: independent reads.
    existing_config, current_config = concurrently(
        lambda: _exists(
            clients,
            f"describe endpoint configuration {name}",
            sagemaker.describe_endpoint_config,
            EndpointConfigName=name,
        ),
        lambda: clients.call(
            f"describe endpoint configuration {current.config_name}",
            sagemaker.describe_endpoint_config,
            EndpointConfigName=current.config_name,
        ),
    )
    if existing_config:
        return name
    current_model_name = current_config["ProductionVariants"][0]["ModelName"]
    current_model, existing_model = concurrently(
        lambda: clients.call(
            f"describe model {current_model_name}", sagemaker.describe_model, ModelName=current_model_name
        ),
        lambda: _exists(clients, f"describe model {name}", sagemaker.describe_model, ModelName=name),
    )
    if not existing_model:
        container: dict[str, Any] = {
            "Image": version.image or current_model["PrimaryContainer"]["Image"],
            "ModelDataUrl": version.artifact_uri,
            "Environment": with_artifact_digest(
                version.container_environment
                or dict(current_model["PrimaryContainer"].get("Environment") or {}),
                version.lineage.artifact_sha256,
            ),
        }
        model_args: dict[str, Any] = {
            "ModelName": name,
            "ExecutionRoleArn": current_model["ExecutionRoleArn"],
            "PrimaryContainer": container,
            "EnableNetworkIsolation": bool(current_model.get("EnableNetworkIsolation", False)),
            "Tags": [{"Key": "mlops-kit:model-package", "Value": version.arn}],
        }
        if current_model.get("VpcConfig"):
            model_args["VpcConfig"] = current_model["VpcConfig"]
        clients.call(f"create model {name}", sagemaker.create_model, **model_args)
    config_args: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [
            {
                "VariantName": VARIANT_NAME,
                "ModelName": name,
                "InstanceType": env.serving.instance_type,
                "InitialInstanceCount": env.serving.initial_instance_count,
                "InitialVariantWeight": 1.0,
            }
        ],
        "Tags": [{"Key": "mlops-kit:model-package", "Value": version.arn}],
    }
    if current_config.get("DataCaptureConfig"):
        config_args["DataCaptureConfig"] = current_config["DataCaptureConfig"]
    if current_config.get("KmsKeyId"):
        config_args["KmsKeyId"] = current_config["KmsKeyId"]
    clients.call(f"create endpoint configuration {name}", sagemaker.create_endpoint_config, **config_args)
    return name


def start_rollout(
    clients: AwsClients, env: Environment, model: str, config: str, *, canary: bool = True
) -> str:
    """Point the endpoint at `config` (idempotent): `started`, `in progress` (an earlier run started
    it) or `serving` (done already)."""
    state = serving_state(clients, env, model)
    if state.config_name == config and state.status == "InService":
        return "serving"
    if state.status in ("Updating", "SystemUpdating", "Creating", "RollingBack"):
        if state.pending_config == config:
            return "in progress"
        raise OperationFailed(
            f"endpoint {state.endpoint} is {state.status} "
            f"toward {state.pending_config or 'another configuration'}",
            hint="wait for it to finish, then re-run",
        )
    if state.status != "InService":
        raise OperationFailed(
            f"endpoint {state.endpoint} is {state.status}: {state.failure_reason or 'no reason given'}"
        )
    sagemaker = clients.client("sagemaker")
    clients.call(
        f"update endpoint {state.endpoint} to {config}",
        sagemaker.update_endpoint,
        EndpointName=state.endpoint,
        EndpointConfigName=config,
        DeploymentConfig=deployment_config(env, model, canary=canary),
    )
    return "started"


def wait_for_rollout(
    clients: AwsClients,
    env: Environment,
    model: str,
    config: str,
    *,
    on_progress: Callable[[RolloutProgress], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
    timeout_seconds: float | None = None,
) -> RolloutOutcome:
    """Wait until the endpoint settles: succeeded when it serves `config`, else rolled back (why)."""
    rollout = env.serving.rollout
    timeout = timeout_seconds or (rollout.bake_minutes + rollout.termination_wait_minutes) * 60 + 1800
    started = time.monotonic()
    delay = 0.05
    while True:
        state = serving_state(clients, env, model)
        elapsed = time.monotonic() - started
        if on_progress:
            on_progress(RolloutProgress(state.status, elapsed, state.config_name, state.pending_config))
        if state.status == "InService" and state.pending_config is None:
            if state.config_name == config:
                return RolloutOutcome(True, f"{state.endpoint} serves {config}", elapsed)
            return RolloutOutcome(
                False, state.failure_reason or f"{state.endpoint} still serves {state.config_name}", elapsed
            )
        if state.status in ("Failed", "UpdateRollbackFailed", "OutOfService"):
            raise OperationFailed(f"endpoint {state.endpoint} is {state.status}: {state.failure_reason}")
        if elapsed > timeout:
            raise OperationFailed(
                f"endpoint {state.endpoint} still {state.status} after {elapsed:.0f} s",
                hint="re-run to keep waiting; the rollout continues in SageMaker",
            )
        if heartbeat:
            heartbeat()
        time.sleep(delay)
        delay = min(delay * 1.5, MAX_POLL_SECONDS)


def discard_config(clients: AwsClients, env: Environment, model: str, config: str) -> None:
    """Delete a configuration (and its model) that does not serve, e.g. after a rolled-back rollout."""
    state = serving_state(clients, env, model)
    if config in (state.config_name, state.pending_config):
        return
    sagemaker = clients.client("sagemaker")
    _exists(
        clients,
        f"delete endpoint configuration {config}",
        sagemaker.delete_endpoint_config,
        EndpointConfigName=config,
    )
    _exists(clients, f"delete model {config}", sagemaker.delete_model, ModelName=config)
