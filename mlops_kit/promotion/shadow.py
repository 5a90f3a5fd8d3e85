"""Shadow tests: a candidate version gets a copy of live traffic; its answers are captured and
compared, never returned (SageMaker shadow variants).

`start_shadow` points the endpoint at a configuration (`<serving config>-shadow-v<N>`) holding what
serves now as its production variants and the candidate as the shadow variant `shadow`, whose
weight is `percent` of the production variant's: SageMaker sends it that share of requests.
`shadow_report` compares the two variants over the time since the start: requests, errors,
latency (AWS/SageMaker metrics per variant) and the distribution of outputs (data capture, drift
engine). `stop_shadow` returns the endpoint to the configuration that served before. The start time
and that configuration are tags of the shadow configuration. Each runs under the promotion lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput, OperationFailed
from mlops_kit.promotion import canary_analysis
from mlops_kit.promotion import rollout as rollouts
from mlops_kit.promotion.analysed_rollout import _move
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.registry.versions import REJECTED, get_version, require_model
from mlops_kit.serving.state import config_name, serving_state

SHADOW_VARIANT = "shadow"
RETURN_TAG = "mlops-kit:shadow-returns-to"
STARTED_TAG = "mlops-kit:shadow-started"


@dataclass(frozen=True)
class ShadowState:
    config: str
    version: int
    returns_to: str
    started: datetime


def _clients(env: Environment, model: str, clients: AwsClients | None) -> AwsClients:
    from mlops_kit.aws import clients_for

    require_model(env, model)
    return clients or clients_for(env, session_name="mlops-kit-shadow")


def current_shadow(clients: AwsClients, env: Environment, model: str) -> ShadowState | None:
    """The shadow test the endpoint runs, if any."""
    state = serving_state(clients, env, model)
    match = re.fullmatch(r".+-shadow-v(\d+)", state.config_name)
    if not match:
        return None
    sagemaker = clients.client("sagemaker")
    arn = f"arn:aws:sagemaker:{env.region}:{env.account_id}:endpoint-config/{state.config_name}"
    listed = clients.call(f"read the tags of {state.config_name}", sagemaker.list_tags, ResourceArn=arn)
    tags = {t["Key"]: t["Value"] for t in listed.get("Tags", [])}
    started = datetime.fromisoformat(tags.get(STARTED_TAG, "1970-01-01T00:00:00+00:00"))
    return ShadowState(state.config_name, int(match.group(1)), tags.get(RETURN_TAG, ""), started)


def start_shadow(
    env: Environment, model: str, version: int, *, percent: int = 100, clients: AwsClients | None = None
) -> ShadowState:
    """Give `version` (of `env`'s registry) a copy of `percent`% of the live requests."""
    if not 1 <= percent <= 100:
        raise BadInput(f"{percent} is not a percentage of requests (1 to 100)", argument="percent")
    clients = _clients(env, model, clients)
    with PromotionLock(clients, env, model, owner=clients.principal_arn, purpose="shadow test"):
        running = current_shadow(clients, env, model)
        if running is not None:
            if running.version == version:
                return running
            raise BadInput(
                f"a shadow test of v{running.version} runs on {model} in {env.name}; stop it first",
                argument="version",
            )
        candidate = get_version(clients, env, model, version)
        if candidate.status == REJECTED:
            raise BadInput(f"{candidate.label} is Rejected", argument="version")
        state = serving_state(clients, env, model)
        if state.status != "InService":
            raise OperationFailed(f"endpoint {state.endpoint} is {state.status}; start the shadow test later")
        rollouts.prepare_config(clients, env, model, candidate, current=state)  # creates its model
        sagemaker = clients.client("sagemaker")
        serving = clients.call(
            f"describe endpoint configuration {state.config_name}",
            sagemaker.describe_endpoint_config,
            EndpointConfigName=state.config_name,
        )
        keys = ("VariantName", "ModelName", "InstanceType", "InitialInstanceCount", "InitialVariantWeight")
        production = [{k: v[k] for k in keys if k in v} for v in serving["ProductionVariants"]]
        weight = float(production[0].get("InitialVariantWeight", 1.0))
        name = f"{state.config_name}-shadow-v{candidate.version}"
        started = clock.now()
        args: dict[str, Any] = {
            "EndpointConfigName": name,
            "ProductionVariants": production,
            "ShadowProductionVariants": [
                {
                    "VariantName": SHADOW_VARIANT,
                    "ModelName": config_name(env, model, candidate.version),
                    "InstanceType": env.serving.instance_type,
                    "InitialInstanceCount": 1,
                    "InitialVariantWeight": weight * percent / 100,
                }
            ],
            "Tags": [
                {"Key": RETURN_TAG, "Value": state.config_name},
                {"Key": STARTED_TAG, "Value": started.isoformat()},
            ],
        }
        for key in ("DataCaptureConfig", "KmsKeyId"):
            if serving.get(key):
                args[key] = serving[key]
        rollouts.discard_config(clients, env, model, name)  # one left by an earlier, stopped test
        clients.call(f"create endpoint configuration {name}", sagemaker.create_endpoint_config, **args)
        moved = _move(clients, env, model, name, None)
        if not moved.succeeded:
            raise OperationFailed(f"the shadow test of {candidate.label} did not start: {moved.reason}")
        return ShadowState(name, candidate.version, state.config_name, started)


def shadow_report(env: Environment, model: str, *, clients: AwsClients | None = None) -> dict[str, Any]:
    """The shadow against the live variant since the test started."""
    from mlops_kit.promotion.rollout import VARIANT_NAME

    clients = _clients(env, model, clients)
    running = current_shadow(clients, env, model)
    if running is None:
        raise BadInput(f"no shadow test runs on {model} in {env.name}", argument="env")
    end = clock.now()
    live = canary_analysis.read_variant(clients, env, model, VARIANT_NAME, running.started, end)
    shadow = canary_analysis.read_variant(clients, env, model, SHADOW_VARIANT, running.started, end)
    return {
        "model": model,
        "env": env.name,
        "endpoint": ResourceNames(env).endpoint(model),
        "shadow_version": running.version,
        "since": running.started.isoformat(),
        "live": live.as_dict(),
        "shadow": shadow.as_dict(),
        "output_psi": canary_analysis.output_psi(live, shadow),
    }


def stop_shadow(env: Environment, model: str, *, clients: AwsClients | None = None) -> str:
    """Return the endpoint to the configuration that served before the test; its name."""
    clients = _clients(env, model, clients)
    with PromotionLock(clients, env, model, owner=clients.principal_arn, purpose="shadow test"):
        running = current_shadow(clients, env, model)
        if running is None:
            raise BadInput(f"no shadow test runs on {model} in {env.name}", argument="env")
        moved = _move(clients, env, model, running.returns_to, None)
        if not moved.succeeded:
            raise OperationFailed(f"stopping the shadow test did not complete: {moved.reason}")
        rollouts.discard_config(clients, env, model, running.config)
        return running.returns_to
