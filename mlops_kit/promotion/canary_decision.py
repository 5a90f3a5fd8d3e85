"""A person's decision on a paused canary: `kit promote MODEL --to ENV --resume` or `--abort`.

A canary whose analysis was inconclusive keeps its share of traffic (analysed_rollout.py). Resume
shifts all traffic to the version, publishes its drift baseline and records the promotion; abort
returns the endpoint to what served before, marks the version Rejected and records the rollback.
A resume after the pause's deadline rolls back instead. Both run under the promotion lock, are
audited with the decider's identity, and end with a verification of what the endpoint serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment
from mlops_kit.errors import BadInput, OperationFailed
from mlops_kit.promotion import rollout as rollouts
from mlops_kit.promotion.analysed_rollout import _move, paused_canary
from mlops_kit.promotion.audit import AuditEvent, append_event
from mlops_kit.promotion.drift_baseline import publish_default_baseline, version_baseline
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.promotion.verification import verify_endpoint
from mlops_kit.registry.versions import REJECTED, get_version, require_model, set_approval, version_number
from mlops_kit.serving.state import config_name, serving_state


@dataclass(frozen=True)
class CanaryDecisionResult:
    model: str
    env: str
    version: int
    decision: str  # resume | abort
    outcome: str  # promoted | rolled back
    detail: str
    audit_event_id: str
    verification: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def decide_paused_canary(
    model: str, env: Environment, *, resume: bool, clients: AwsClients | None = None
) -> CanaryDecisionResult:
    """Apply a person's decision to the canary paused on `model`'s endpoint in `env`."""
    from mlops_kit.aws import clients_for

    require_model(env, model)
    clients = clients or clients_for(env, session_name="mlops-kit-promote")
    actor = clients.principal_arn
    decision = "resume" if resume else "abort"
    with PromotionLock(clients, env, model, owner=actor, purpose=f"canary {decision}") as lock:
        state = serving_state(clients, env, model)
        paused = paused_canary(clients, env, model, state)
        if paused is None:
            raise BadInput(
                f"{model} in {env.name} has no paused canary (it serves {state.config_name}, {state.status})",
                argument=decision,
            )
        version = get_version(clients, env, model, paused.version)
        timed_out = paused.deadline is not None and clock.now() > paused.deadline
        source_arn = version.lineage.source_version_arn
        event = AuditEvent(
            model=model,
            kind="promotion",
            actor=actor,
            outcome="",
            target_env=env.name,
            source_env=version.lineage.source_env,
            source_version=version_number(source_arn) if source_arn else None,
            source_version_arn=source_arn,
            target_version=version.version,
            target_version_arn=version.arn,
        )
        if resume and not timed_out:
            final = config_name(env, model, version.version)
            moved = _move(clients, env, model, final, lock.renew)
            if not moved.succeeded:
                raise OperationFailed(
                    f"resuming the canary of {version.label} did not complete: {moved.reason}"
                )
            found = version_baseline(env, version)
            if found:
                publish_default_baseline(
                    clients, env, model, source_uri=found[0], sha256=found[1], version_arn=version.arn
                )
            rollouts.discard_config(clients, env, model, paused.config)
            outcome, detail = "promoted", f"canary resumed by {actor} after an inconclusive analysis"
        else:
            if not paused.returns_to:
                raise OperationFailed(f"{paused.config} does not say which configuration served before it")
            moved = _move(clients, env, model, paused.returns_to, lock.renew)
            if not moved.succeeded:
                raise OperationFailed(
                    f"rolling back the canary of {version.label} did not complete: {moved.reason}"
                )
            why = (
                f"the pause timed out at {paused.deadline:%Y-%m-%dT%H:%M:%SZ}"
                if timed_out and paused.deadline
                else f"aborted by {actor}"
            )
            set_approval(clients, version, REJECTED, f"canary rolled back: {why}")
            for config in (paused.config, config_name(env, model, version.version)):
                rollouts.discard_config(clients, env, model, config)
            outcome, detail = (
                "rolled back",
                f"canary of {version.label} rolled back to {paused.returns_to}: {why}",
            )
        written = append_event(clients, env, _with(event, outcome, detail))
    verification = verify_endpoint(clients, env, model)
    return CanaryDecisionResult(
        model, env.name, version.version, decision, outcome, detail, written.event_id, verification.as_dict()
    )


def _with(event: AuditEvent, outcome: str, detail: str) -> AuditEvent:
    from dataclasses import replace

    return replace(event, outcome=outcome, detail=detail)
