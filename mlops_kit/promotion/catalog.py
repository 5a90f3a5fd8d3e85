"""What `kit models list` and `kit models show` report: versions, what serves, gates and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment
from mlops_kit.errors import BadInput
from mlops_kit.promotion.audit import AuditEvent, read_events
from mlops_kit.promotion.gates import GateResult
from mlops_kit.registry.versions import ModelVersion, get_version, list_versions, require_model
from mlops_kit.serving.state import serving_state


@dataclass(frozen=True)
class VersionRow:
    version: ModelVersion
    serving: bool

    def as_dict(self) -> dict[str, Any]:
        return {**self.version.as_dict(), "serving": self.serving}


@dataclass(frozen=True)
class VersionDetails:
    version: ModelVersion
    serving: bool
    gates: tuple[GateResult, ...]
    history: tuple[AuditEvent, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.version.as_dict(),
            "serving": self.serving,
            "gates": [g.as_dict() for g in self.gates],
            "history": [e.as_dict() for e in self.history],
        }


def _served_version(clients: AwsClients, env: Environment, model: str) -> int | None:
    return serving_state(clients, env, model).version


def list_model_versions(
    env: Environment, model: str | None = None, *, clients: AwsClients | None = None
) -> list[VersionRow]:
    """Every version of every model (or one) in `env`, with which one serves."""
    from mlops_kit.aws import clients_for

    if model is not None:
        require_model(env, model)
    clients = clients or clients_for(env, session_name="mlops-kit-read")
    rows: list[VersionRow] = []
    for name in [model] if model else env.models:
        served = _served_version(clients, env, name)
        rows += [VersionRow(v, v.version == served) for v in list_versions(clients, env, name)]
    return rows


def show_model_version(
    env: Environment, model: str, version: int, *, clients: AwsClients | None = None
) -> VersionDetails:
    """One version: metrics, lineage, the gates it passed to get here, and its audit history."""
    from mlops_kit.aws import clients_for

    if version < 1:
        raise BadInput(f"VERSION: {version} is not a version number (1, 2, ...)")
    clients = clients or clients_for(env, session_name="mlops-kit-read")
    found = get_version(clients, env, model, version)
    events = read_events(clients, env, model)
    history = tuple(e for e in events if found.arn in (e.target_version_arn, e.source_version_arn))
    promoted = [e for e in events if e.kind == "promotion" and e.target_version_arn == found.arn and e.gates]
    gates = promoted[-1].gates if promoted else ()
    return VersionDetails(found, _served_version(clients, env, model) == version, gates, history)
