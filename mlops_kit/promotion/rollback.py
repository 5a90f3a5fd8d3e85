"""`rollback_endpoint`: return an environment's endpoint to its previous approved version, audited.

The version rolled back from is marked Rejected *before* the endpoint moves, so "the previous
approved version" stays the same if the rollback is interrupted and re-run. Without `to_version` a
completed rollback followed by another `kit rollback` goes one version further back; pass
`--to` for a rollback that is idempotent. A rollback shifts all traffic at once and watches no
alarm: they are usually why it runs. Once the endpoint serves the version, its drift baseline becomes
the environment's default one (drift_baseline.py), also when a re-run finds it serving already.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment
from mlops_kit.errors import BadInput, NotFound, OperationFailed
from mlops_kit.promotion import rollout as rollouts
from mlops_kit.promotion.audit import AuditEvent, append_event
from mlops_kit.promotion.drift_baseline import publish_default_baseline, version_baseline
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.registry.versions import (
    APPROVED,
    REJECTED,
    ModelVersion,
    list_versions,
    require_model,
    set_approval,
)
from mlops_kit.serving.state import serving_state


@dataclass(frozen=True)
class RollbackResult:
    model: str
    env: str
    from_version: int
    to_version: int
    outcome: str  # rolled back | already serving
    audit_event_id: str
    drift_baseline_uri: str = ""  # the default baseline now (empty: left as it was, see `note`)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "env": self.env,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "outcome": self.outcome,
            "audit_event_id": self.audit_event_id,
            "drift_baseline_uri": self.drift_baseline_uri,
            "note": self.note,
        }


def _choose(
    versions: list[ModelVersion], current: ModelVersion, to_version: int | None, env: str
) -> ModelVersion:
    if to_version is not None:
        chosen = next((v for v in versions if v.version == to_version), None)
        if chosen is None:
            raise NotFound(f"{current.model} has no version {to_version} in {env}", argument="to")
        if chosen.status != APPROVED and chosen.version != current.version:
            raise BadInput(
                f"{chosen.label} is {chosen.status}; roll back only to an approved version", argument="to"
            )
        return chosen
    earlier = [v for v in versions if v.version < current.version and v.status == APPROVED]
    if not earlier:
        raise NotFound(f"{current.model} has no approved version before {current.label} to roll back to")
    return earlier[-1]


def rollback_endpoint(
    env: Environment,
    model: str | None = None,
    *,
    to_version: int | None = None,
    clients: AwsClients | None = None,
    on_progress: Callable[[rollouts.RolloutProgress], None] | None = None,
) -> RollbackResult:
    """Serve the previous approved version of `model` (default: the environment's only model) in `env`."""
    from mlops_kit.aws import clients_for

    if model is None:
        if len(env.models) != 1:
            raise BadInput(f"{env.name} serves {', '.join(env.models)}; name one", argument="model")
        model = env.models[0]
    require_model(env, model)
    clients = clients or clients_for(env, role="promotion", session_name="mlops-kit-rollback")
    actor = clients.principal_arn
    with PromotionLock(clients, env, model, owner=actor, purpose="rollback") as lock:
        state = serving_state(clients, env, model)
        versions = list_versions(clients, env, model)
        current = next((v for v in versions if v.version == state.version), None)
        if current is None:
            raise NotFound(
                f"{model} in {env.name} serves {state.label}: no promoted version to roll back from"
            )
        chosen = _choose(versions, current, to_version, env.name)
        if chosen.version == current.version:
            baseline, note = _publish_baseline(clients, env, model, chosen)
            return RollbackResult(
                model, env.name, current.version, chosen.version, "already serving", "", baseline, note
            )
        if current.status != REJECTED:
            set_approval(clients, current, REJECTED, f"rolled back to {chosen.label} by {actor}")
        config = rollouts.prepare_config(clients, env, model, chosen, current=state)
        rollouts.start_rollout(clients, env, model, config, canary=False)
        outcome = rollouts.wait_for_rollout(
            clients, env, model, config, on_progress=on_progress, heartbeat=lock.renew
        )
        if not outcome.succeeded:
            raise OperationFailed(
                f"rollback of {model} in {env.name} to {chosen.label} did not complete: {outcome.reason}",
                hint=f"re-run the rollback to {chosen.label} to resume",
            )
        baseline, note = _publish_baseline(clients, env, model, chosen)
        event = append_event(
            clients,
            env,
            AuditEvent(
                model=model,
                kind="rollback",
                actor=actor,
                outcome="rolled back",
                target_env=env.name,
                source_env=env.name,
                source_version=current.version,
                source_version_arn=current.arn,
                target_version=chosen.version,
                target_version_arn=chosen.arn,
                detail=f"{current.label} -> {chosen.label}" + (f"; {note}" if note else ""),
            ),
        )
    return RollbackResult(
        model, env.name, current.version, chosen.version, "rolled back", event.event_id, baseline, note
    )


def _publish_baseline(
    clients: AwsClients, env: Environment, model: str, version: ModelVersion
) -> tuple[str, str]:
    """Publish `version`'s drift baseline as the default one: (its URI, "") or ("", why not)."""
    found = version_baseline(env, version)
    if found is None:
        # A version promoted before baselines travelled with it: nothing of it to publish here.
        return "", (
            f"drift baseline unchanged: {version.label} has no drift baseline in {env.name}'s bucket "
            f"(its lineage: {version.lineage.drift_baseline_uri or 'none'})"
        )
    uri, sha256 = found
    return publish_default_baseline(
        clients, env, model, source_uri=uri, sha256=sha256, version_arn=version.arn
    ), ""
