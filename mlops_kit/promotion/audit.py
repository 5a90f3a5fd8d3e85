"""The append-only audit log of an environment: one DynamoDB item per event, never updated.

Items live in the environment's audit table (hash `model`, range `event_id`). Event ids start with
the UTC time in microseconds, so a query returns events in time order; every write is conditional
on the id being new, so an event can never be overwritten. Approvals are events too (kind
`approval`), which keeps them durable, in the target environment, and in the same history.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion.conditional_writes import write_if
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
    gates: tuple[GateResult, ...] = ()
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

    def to_item(self) -> dict[str, dict[str, str]]:
        values: dict[str, str] = {
            "model": self.model,
            "event_id": self.event_id,
            "kind": self.kind,
            "actor": self.actor,
            "outcome": self.outcome,
            "at": self.at,
            "target_env": self.target_env,
            "source_env": self.source_env,
            "source_version": "" if self.source_version is None else str(self.source_version),
            "source_version_arn": self.source_version_arn,
            "target_version": "" if self.target_version is None else str(self.target_version),
            "target_version_arn": self.target_version_arn,
            "gates": json.dumps([g.as_dict() for g in self.gates]) if self.gates else "",
            "detail": self.detail,
            "comment": self.comment,
        }
        # DynamoDB refuses empty strings in key attributes only, but empty values are noise.
        return {k: {"S": v} for k, v in values.items() if v}

    @classmethod
    def from_item(cls, item: dict[str, dict[str, str]]) -> AuditEvent:
        def text(key: str) -> str:
            return str(item.get(key, {}).get("S", ""))

        def number(key: str) -> int | None:
            value = text(key)
            return int(value) if value else None

        gates = json.loads(text("gates")) if text("gates") else []
        return cls(
            model=text("model"),
            event_id=text("event_id"),
            kind=text("kind"),
            actor=text("actor"),
            outcome=text("outcome"),
            target_env=text("target_env"),
            source_env=text("source_env"),
            source_version=number("source_version"),
            source_version_arn=text("source_version_arn"),
            target_version=number("target_version"),
            target_version_arn=text("target_version_arn"),
            gates=tuple(GateResult.from_dict(g) for g in gates),
            detail=text("detail"),
            comment=text("comment"),
        )


def append_event(clients: AwsClients, env: Environment, event: AuditEvent) -> AuditEvent:
    """Write `event` to `env`'s audit table; it can never overwrite an existing event."""
    table = ResourceNames(env).audit_table
    written = write_if(
        clients,
        f"append to the audit log {table}",
        "put_item",
        TableName=table,
        Item=event.to_item(),
        ConditionExpression="attribute_not_exists(event_id)",
    )
    if not written:
        raise OperationFailed(f"audit event {event.event_id} already exists; the log is append-only")
    return event


def read_events(clients: AwsClients, env: Environment, model: str) -> list[AuditEvent]:
    """Every event of `model` in `env`, oldest first."""
    table = ResourceNames(env).audit_table
    dynamodb = clients.client("dynamodb")
    events: list[AuditEvent] = []
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#m = :m",
            "ExpressionAttributeNames": {"#m": "model"},
            "ExpressionAttributeValues": {":m": {"S": model}},
            "ConsistentRead": True,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = clients.call(f"read the audit log {table}", dynamodb.query, **kwargs)
        events += [AuditEvent.from_item(item) for item in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(events, key=lambda e: e.event_id)


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
