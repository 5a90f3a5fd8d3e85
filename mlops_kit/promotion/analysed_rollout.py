"""A canary decided by analysis (environments: `serving.rollout.analysis`), driven by the kit.

SageMaker's own canary (rollout.py) decides only on alarms and routes blue and green under one
variant name, so their metrics cannot be told apart. Here the kit shifts traffic itself, with
calls that work the same in SageMaker and in the emulator:

1. UpdateEndpoint to a canary configuration (`<endpoint>-v<N>-canary`) of two variants: `primary`
   (what served, weight 100 - canary_percent; the name the autoscaling target and alarms use) and
   `canary` (the new version, weight canary_percent). Each variant publishes its own metrics and
   data capture.
2. Bake `bake_minutes`: every few seconds the rollback alarms are read and the analysis is run on
   the window since the canary started (canary_analysis.py); a conclusive failure or an alarm ends
   the bake early.
3. pass: UpdateEndpoint to the version's own configuration (all traffic). fail: UpdateEndpoint back
   to the configuration that served before. inconclusive: the endpoint stays on the canary
   configuration, paused, until a person runs `kit promote MODEL --to ENV --resume` or `--abort`
   (decide_paused_canary); a decision after `pause_timeout_minutes` rolls back. The deadline and
   the configuration to return to are tags of the canary configuration, so the pause survives the
   process that started it.

With `dry_run` the analysis is computed and reported but never acts: after the bake all traffic
shifts unless an alarm fired.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion import canary_analysis
from mlops_kit.promotion import rollout as rollouts
from mlops_kit.registry.versions import ModelVersion
from mlops_kit.serving.state import ServingState, config_name

CANARY_VARIANT = "canary"
POLL_SECONDS = 2.0
DEADLINE_TAG = "mlops-kit:canary-deadline"
RETURN_TAG = "mlops-kit:canary-returns-to"


class RolloutPaused(OperationFailed):
    """The analysis was inconclusive: the canary keeps its share until a person decides."""


@dataclass(frozen=True)
class CanaryDecision:
    outcome: rollouts.RolloutOutcome
    analysis: canary_analysis.AnalysisResult | None


def canary_config_name(env: Environment, model: str, version: int) -> str:
    return f"{config_name(env, model, version)}-canary"


def _tags(config: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in config.get("Tags") or []}


def prepare_canary_config(
    clients: AwsClients, env: Environment, model: str, version: ModelVersion, final: str, state: ServingState
) -> str:
    """The two-variant configuration of the canary (created if missing)."""
    sagemaker = clients.client("sagemaker")
    name = canary_config_name(env, model, version.version)
    existing = rollouts._exists(
        clients,
        f"describe endpoint configuration {name}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=name,
    )
    if existing:
        return name
    serving = clients.call(
        f"describe endpoint configuration {state.config_name}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=state.config_name,
    )
    new = clients.call(
        f"describe endpoint configuration {final}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=final,
    )
    share = env.serving.rollout.canary_percent / 100
    baseline = {**_variant(serving["ProductionVariants"][0]), "InitialVariantWeight": 1.0 - share}
    canary = {
        **_variant(new["ProductionVariants"][0]),
        "VariantName": CANARY_VARIANT,
        "InitialVariantWeight": share,
    }
    args: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [baseline, canary],
        "Tags": [{"Key": RETURN_TAG, "Value": state.config_name}],
    }
    for key in ("DataCaptureConfig", "KmsKeyId"):
        if serving.get(key):
            args[key] = serving[key]
    clients.call(f"create endpoint configuration {name}", sagemaker.create_endpoint_config, **args)
    return name


def _variant(described: dict[str, Any]) -> dict[str, Any]:
    keys = ("VariantName", "ModelName", "InstanceType", "InitialInstanceCount")
    return {k: described[k] for k in keys if k in described}


def _move(
    clients: AwsClients, env: Environment, model: str, config: str, heartbeat: Callable[[], None] | None
) -> rollouts.RolloutOutcome:
    """All traffic to `config` at once, waited for."""
    rollouts.start_rollout(clients, env, model, config, canary=False)
    return rollouts.wait_for_rollout(clients, env, model, config, heartbeat=heartbeat)


def _alarms_firing(clients: AwsClients, env: Environment, model: str) -> list[str]:
    cloudwatch = clients.client("cloudwatch")
    names = sorted(ResourceNames(env).rollback_alarms(model).values())
    found = clients.call("read the rollback alarms", cloudwatch.describe_alarms, AlarmNames=names)
    return [a["AlarmName"] for a in found.get("MetricAlarms", []) if a.get("StateValue") == "ALARM"]


def run_canary(
    clients: AwsClients,
    env: Environment,
    model: str,
    version: ModelVersion,
    state: ServingState,
    *,
    emit: Callable[[str], None],
    heartbeat: Callable[[], None] | None = None,
) -> CanaryDecision:
    """Canary, bake with analysis, then all traffic or back. RolloutPaused when inconclusive."""
    analysis = env.serving.rollout.analysis
    assert analysis is not None
    if state.config_name.endswith("-canary") or "-shadow-v" in state.config_name:
        raise OperationFailed(
            f"{state.endpoint} serves {state.config_name} (a paused canary or a shadow test)",
            hint=f"decide first: kit promote {model} --to {env.name} --resume|--abort, or kit shadow stop",
        )
    final = rollouts.prepare_config(clients, env, model, version, current=state)
    canary = prepare_canary_config(clients, env, model, version, final, state)
    moved = _move(clients, env, model, canary, heartbeat)
    if not moved.succeeded:
        return CanaryDecision(moved, None)
    started = clock.now()
    emit(
        f"canary {version.label} takes {env.serving.rollout.canary_percent}% ({canary}); baking with analysis"
    )
    bake_end = time.monotonic() + env.serving.rollout.bake_minutes * 60
    result: canary_analysis.AnalysisResult | None = None
    while True:
        firing = _alarms_firing(clients, env, model)
        if firing:
            back = _move(clients, env, model, state.config_name, heartbeat)
            reason = f"alarm(s) {', '.join(firing)} in ALARM during the canary; back to {state.config_name}"
            return CanaryDecision(rollouts.RolloutOutcome(False, reason, back.wait_seconds), result)
        result = canary_analysis.analyse(
            clients, env, model, started, clock.now(), canary_variant=CANARY_VARIANT
        )
        if time.monotonic() >= bake_end or (result.verdict == canary_analysis.FAIL and not analysis.dry_run):
            break
        if heartbeat:
            heartbeat()
        time.sleep(POLL_SECONDS)
    emit(("dry run: " if analysis.dry_run else "") + result.summary)
    if analysis.dry_run or result.verdict == canary_analysis.PASS:
        done = _move(clients, env, model, final, heartbeat)
        return CanaryDecision(done, result)
    if result.verdict == canary_analysis.FAIL:
        back = _move(clients, env, model, state.config_name, heartbeat)
        reason = f"{result.summary}; back to {state.config_name}"
        return CanaryDecision(rollouts.RolloutOutcome(False, reason, back.wait_seconds), result)
    deadline = clock.now() + timedelta(minutes=analysis.pause_timeout_minutes)
    _tag_deadline(clients, env, canary, deadline)
    raise RolloutPaused(
        f"{model} in {env.name}: {result.summary}; the canary of {version.label} keeps "
        f"{env.serving.rollout.canary_percent}% of traffic, paused until {deadline:%Y-%m-%dT%H:%M:%SZ}",
        hint=f"decide: kit promote {model} --to {env.name} --resume (all traffic) or --abort (roll back); "
        "after the deadline either rolls back",
    )


def _tag_deadline(clients: AwsClients, env: Environment, config: str, deadline: datetime) -> None:
    sagemaker = clients.client("sagemaker")
    arn = f"arn:aws:sagemaker:{env.region}:{env.account_id}:endpoint-config/{config}"
    clients.call(
        f"tag {config}",
        sagemaker.add_tags,
        ResourceArn=arn,
        Tags=[{"Key": DEADLINE_TAG, "Value": f"{deadline:%Y-%m-%dT%H:%M:%S}Z"}],
    )


@dataclass(frozen=True)
class PausedCanary:
    config: str
    version: int
    returns_to: str
    deadline: datetime | None


def paused_canary(
    clients: AwsClients, env: Environment, model: str, state: ServingState
) -> PausedCanary | None:
    """The paused canary the endpoint serves, if it serves one."""
    import re

    base = re.escape(ResourceNames(env).endpoint(model))
    match = re.fullmatch(base + r"-v(\d+)-canary", state.config_name)
    if not match or state.status != "InService":
        return None
    sagemaker = clients.client("sagemaker")
    arn = f"arn:aws:sagemaker:{env.region}:{env.account_id}:endpoint-config/{state.config_name}"
    tags = {
        t["Key"]: t["Value"]
        for t in clients.call(
            f"read the tags of {state.config_name}", sagemaker.list_tags, ResourceArn=arn
        ).get("Tags", [])
    }
    deadline = tags.get(DEADLINE_TAG)
    return PausedCanary(
        state.config_name,
        int(match.group(1)),
        tags.get(RETURN_TAG, ""),
        datetime.fromisoformat(deadline.replace("Z", "+00:00")) if deadline else None,
    )
