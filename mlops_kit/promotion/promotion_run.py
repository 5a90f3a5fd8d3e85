"""One promotion run: its inputs, the step it is at, the events it reports, its result and its
audit record. Shared by the promotion (promote.py) and its steps (promotion_steps.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion import rollout as rollouts
from mlops_kit.promotion.audit import AuditEvent, append_event
from mlops_kit.promotion.gates import GateResult
from mlops_kit.registry.versions import ModelVersion


class RolloutRolledBack(OperationFailed):
    """The endpoint rolled back to what it served before (an alarm fired during the canary)."""


STEPS = ("lock", "gates", "copy", "register", "approve", "rollout", "baseline", "audit", "verify")


@dataclass(frozen=True)
class PromotionEvent:
    """Progress for the caller to render: a step started or finished, gate results, rollout status."""

    step: str
    message: str
    gates: tuple[GateResult, ...] = ()
    rollout: rollouts.RolloutProgress | None = None


Listener = Callable[[PromotionEvent], None]


@dataclass(frozen=True)
class PromotionResult:
    model: str
    source_env: str
    target_env: str
    source_version: int
    source_version_arn: str
    outcome: str  # promoted | already promoted | dry run
    gates: tuple[GateResult, ...]
    plan: tuple[str, ...]
    serving_before: str
    serving_after: str
    target_version: int | None = None
    target_version_arn: str = ""
    rollout_wait_seconds: float = 0.0
    audit_event_id: str = ""
    drift_baseline_uri: str = ""  # the target's default drift baseline after the promotion
    # What the endpoint serves, read back and compared with the records (verification.py).
    verification: dict[str, Any] | None = None
    analysis: dict[str, Any] | None = None  # the canary analysis (analysed_rollout.py), if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "from": {"env": self.source_env, "version": self.source_version, "arn": self.source_version_arn},
            "to": {"env": self.target_env, "version": self.target_version, "arn": self.target_version_arn},
            "outcome": self.outcome,
            "gates": [g.as_dict() for g in self.gates],
            "plan": list(self.plan),
            "serving_before": self.serving_before,
            "serving_after": self.serving_after,
            "rollout_wait_seconds": round(self.rollout_wait_seconds, 3),
            "audit_event_id": self.audit_event_id,
            "drift_baseline_uri": self.drift_baseline_uri,
            "verification": self.verification,
            "analysis": self.analysis,
        }


@dataclass
class PromotionRun:
    """A promotion in progress: what moves where, by whom, and the step it is at."""

    model: str
    source_env: Environment
    target_env: Environment
    source_clients: AwsClients
    target_clients: AwsClients
    candidate: ModelVersion
    promoter: str
    listener: Listener
    step: str = "lock"
    serving_before: str = ""
    # The target version serving when the gates ran, and one an earlier run registered from the
    # candidate (found by its lineage), if any.
    serving: ModelVersion | None = None
    existing: ModelVersion | None = None
    analysis: dict[str, Any] | None = None  # the canary analysis, when the rollout had one
    # The sha256 of the candidate's model card the gates read (empty when none was required).
    model_card_sha256: str = ""

    def emit(self, message: str, **kwargs: Any) -> None:
        self.listener(PromotionEvent(self.step, message, **kwargs))

    @property
    def where(self) -> str:
        return f"{self.model} in {self.target_env.name}"

    @property
    def description(self) -> str:
        """The target version's description; `_look_at_target` narrows its search by it."""
        return f"{self.model} {copied_from(self.candidate)}{self.promoter}"


def copied_from(candidate: ModelVersion) -> str:
    return f"promoted from {candidate.label} by "


def audit_promotion(
    run: PromotionRun,
    outcome: str,
    gates: list[GateResult],
    *,
    target: ModelVersion | None = None,
    detail: str = "",
) -> AuditEvent:
    event = AuditEvent(
        model=run.model,
        kind="promotion",
        actor=run.promoter,
        outcome=outcome,
        target_env=run.target_env.name,
        source_env=run.source_env.name,
        source_version=run.candidate.version,
        source_version_arn=run.candidate.arn,
        target_version=target.version if target else None,
        target_version_arn=target.arn if target else "",
        gates=tuple(gates),
        model_card_sha256=run.model_card_sha256,
        detail=detail,
    )
    return append_event(run.target_clients, run.target_env, event)
