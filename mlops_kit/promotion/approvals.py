"""Approvals: who signed off a version for an environment, and whether the rules are met.

An approval is recorded in the *target* environment's audit log (kind `approval`), naming the
source version it approves (`kit approve tumor-classifier 4 --env prod` approves staging v4 for
prod). The approver is the caller's own STS identity. A rule of `approvals.rules` is met by `count`
distinct approvers whose ARN matches one of its `principals` (`*` wildcards), never counting the
identity that promotes: nobody approves their own promotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment
from mlops_kit.config.models import ApproverRule
from mlops_kit.errors import AccessDenied, BadInput
from mlops_kit.promotion.audit import AuditEvent, append_event, read_events
from mlops_kit.promotion.gates import GateResult
from mlops_kit.promotion.path import source_of
from mlops_kit.registry.versions import ModelVersion, get_version


def matches(principal: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(principal, pattern) for pattern in patterns)


def approval_gates(
    rules: Sequence[ApproverRule], approvers: Sequence[str], promoter: str
) -> list[GateResult]:
    """One gate per rule: enough distinct approvers, other than the promoter, match it."""
    if not rules:
        return [GateResult("approvals", True, "none required")]
    distinct = sorted(set(approvers))
    results = []
    for rule in rules:
        matching = [a for a in distinct if matches(a, rule.principals)]
        counted = [a for a in matching if a != promoter]
        detail = f"{len(counted)}/{rule.count}"
        if counted:
            detail += f" ({', '.join(counted)})"
        if len(counted) < len(matching):
            detail += "; the promoter's own approval does not count"
        results.append(GateResult(f"approval {rule.name}", len(counted) >= rule.count, detail))
    return results


def approvers_of(events: Sequence[AuditEvent], source_version_arn: str, artifact_sha256: str) -> list[str]:
    """Who approved this package version with this artifact (an approval of another artifact of the
    same ARN, e.g. a package re-registered after its artifact changed, does not count)."""
    return [
        e.actor
        for e in events
        if e.kind == "approval"
        and e.source_version_arn == source_version_arn
        and e.artifact_sha256 == artifact_sha256
    ]


def approve_model_version(
    model: str,
    version: int,
    env: Environment,
    *,
    comment: str,
    environments: dict[str, Environment],
    target_clients: AwsClients | None = None,
    source_clients: AwsClients | None = None,
) -> AuditEvent:
    """Record the caller's approval of source version `version` for promotion into `env`."""
    from mlops_kit.aws import clients_for

    if not env.approvals.rules:
        raise BadInput(f"{env.name} requires no approvals (its approvals.rules is empty)", argument="env")
    if not comment.strip():
        raise BadInput("say why the version is fit for " + env.name, argument="comment")
    source_env = environments[source_of(env.name)]
    target_clients = target_clients or clients_for(env, session_name="mlops-kit-approve")
    # The version is read through the source's reviewer role (its trust admits this environment's
    # approvers; stacks/identity.py), not its promotion role.
    source_clients = source_clients or clients_for(
        source_env, role="reviewer", session_name="mlops-kit-approve"
    )
    approver = target_clients.principal_arn
    rules = [r.name for r in env.approvals.rules if matches(approver, r.principals)]
    if not rules:
        raise AccessDenied(
            f"{approver} matches no approver rule of {env.name}",
            hint=f"see approvals.rules in environments/{env.name}.yaml",
        )
    source: ModelVersion = get_version(source_clients, source_env, model, version)
    event = AuditEvent(
        model=model,
        kind="approval",
        actor=approver,
        outcome="approved",
        target_env=env.name,
        source_env=source_env.name,
        source_version=source.version,
        source_version_arn=source.arn,
        artifact_sha256=source.lineage.artifact_sha256,
        detail=f"rules: {', '.join(rules)}",
        comment=comment,
    )
    return append_event(target_clients, env, event)


def recorded_approvers(
    clients: AwsClients, env: Environment, model: str, source_version_arn: str, artifact_sha256: str
) -> list[str]:
    return approvers_of(read_events(clients, env, model), source_version_arn, artifact_sha256)
