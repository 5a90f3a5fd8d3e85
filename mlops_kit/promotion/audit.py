"""The append-only audit log of an environment: one record per event, hash-chained, never replaced.

Records live in the environment's audit bucket (S3 Object Lock; `audit_store`, `audit_chain`), one
chain per model. Event ids start with the UTC time in microseconds, so events sort by time.
Approvals are events too (kind `approval`), which keeps them durable, in the target environment,
and in the same history. `verify_audit` checks every chain of an environment.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.audit_chain import ChainVerdict
from mlops_kit.promotion.audit_store import append_record, read_records, verify_log
from mlops_kit.promotion.gates import GateResult

KINDS = ("promotion", "rollback", "approval")


def new_event_id(now: datetime | None = None) -> str:
    """`<UTC time to the microsecond>Z#<random>`: unique, and sorts by time."""
    moment = (now or clock.now()).astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z#{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class AuditEvent:
    """Who did what to which model version, from where to where, with which gates and outcome."""

    model: str
    kind: str
    actor: str
    outcome: str
    target_env: str
    event_id: str = field(default_factory=new_event_id)
    source_env: str = ""
    source_version: int | None = None
    source_version_arn: str = ""
    target_version: int | None = None
    target_version_arn: str = ""
    # An approval binds to the approved version's artifact: another artifact needs a new approval.
    artifact_sha256: str = ""
    gates: tuple[GateResult, ...] = ()
    # A promotion's: the sha256 of the model card its gates read (model_card.card_sha256).
    model_card_sha256: str = ""
    detail: str = ""
    comment: str = ""

    @property
    def at(self) -> str:
        """The event's UTC time (ISO 8601), taken from its id."""
        return self.event_id.split("#", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gates"] = [g.as_dict() for g in self.gates]
        data["at"] = self.at
        return data

    def to_record(self) -> dict[str, Any]:
        """The event as a record's `event` field (JSON types only)."""
        data = asdict(self)
        data["gates"] = [g.as_dict() for g in self.gates]
        return data

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> AuditEvent:
        fields = dict(data)
        fields["gates"] = tuple(GateResult.from_dict(g) for g in fields.get("gates", []))
        return cls(**fields)


def append_event(clients: AwsClients, env: Environment, event: AuditEvent) -> AuditEvent:
    """Append `event` to `env`'s audit log; no record is ever replaced."""
    append_record(clients, ResourceNames(env).audit_bucket, event.model, event.to_record())
    return event


def read_events(clients: AwsClients, env: Environment, model: str) -> list[AuditEvent]:
    """Every event of `model` in `env`, oldest first."""
    records = read_records(clients, ResourceNames(env).audit_bucket, model)
    return sorted((AuditEvent.from_record(r["event"]) for r in records), key=lambda e: e.event_id)


def verify_audit(env: Environment, *, clients: AwsClients | None = None) -> list[ChainVerdict]:
    """One verdict per model chain in `env`'s audit log (intact, or the first broken record)."""
    from mlops_kit.aws import clients_for

    clients = clients or clients_for(env)
    return verify_log(clients, ResourceNames(env).audit_bucket, list(env.models))


def read_audit(
    env: Environment, model: str | None = None, *, clients: AwsClients | None = None
) -> list[AuditEvent]:
    """The audit log of `env` (every model, or one), oldest first."""
    from mlops_kit.aws import clients_for

    if model is not None and model not in env.models:
        from mlops_kit.errors import BadInput

        raise BadInput(
            f"unknown model '{model}' in {env.name} (known: {', '.join(env.models)})", argument="model"
        )
    clients = clients or clients_for(env)
    events: list[AuditEvent] = []
    for name in [model] if model else env.models:
        events += read_events(clients, env, name)
    return sorted(events, key=lambda e: e.event_id)
