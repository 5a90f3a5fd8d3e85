"""`promote_model_version`: move one model version to the next environment on the path.

Steps, each idempotent so that a re-run after a crash anywhere converges on the same end state:
  lock   one promotion per model and target environment (lock.py)
  gates  thresholds, no regression against what serves, the source's drift check, fairness
         ceilings, approvals, the model card (its sha256 goes into the audit record)
  copy   the artifact and its drift baseline into the target's bucket, sha256 verified (artifact_copy.py)
         (the steps after the gates are in promotion_steps.py)
  register  a version in the target's group with lineage to the source (found again by that lineage),
            its drift baseline the target's copy
  approve   the target version
  rollout   blue/green canary with alarm rollback (rollout.py), waited for
  baseline  the version's drift baseline becomes the target's default one (drift_baseline.py)
  audit     one record of the outcome in the target's append-only log (audit.py)
  verify    read back what the endpoint serves and compare it with the records (verification.py)

What "approved in the source" means: a dev version is PendingManualApproval until promoted; it may
move to staging unless it was Rejected, because staging's gates are the approval. Promotion
registers and approves the copy in the target. For prod the staging version must not be Rejected
and prod's approver rules must be met (approvals.py). A version that fails its gates, its checksum
or its rollout leaves the target serving what it served before.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from mlops_kit.aws import AwsClients
from mlops_kit.aws.concurrency import concurrently
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput, EndpointUnreachable, GateFailed, KitError, NotFound, OperationFailed
from mlops_kit.promotion import promotion_steps as steps
from mlops_kit.promotion.analysed_rollout import RolloutPaused
from mlops_kit.promotion.approvals import approval_gates, approvers_of
from mlops_kit.promotion.artifact_copy import (
    baseline_key,
    target_key,
)
from mlops_kit.promotion.audit import read_events
from mlops_kit.promotion.drift_baseline import default_baseline_uri
from mlops_kit.promotion.drift_status import latest_drift_status
from mlops_kit.promotion.gates import (
    DriftStatus,
    GateResult,
    all_passed,
    drift_baseline_gate,
    drift_gate,
    fairness_gates,
    regression_gates,
    source_status_gate,
    threshold_gates,
)
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.promotion.path import source_of
from mlops_kit.promotion.promotion_run import (
    Listener,
    PromotionResult,
    PromotionRun,
    RolloutRolledBack,
    audit_promotion,
    copied_from,
)
from mlops_kit.registry.versions import (
    APPROVED,
    REJECTED,
    ModelVersion,
    describe_versions,
    get_version,
    list_version_summaries,
    require_model,
)
from mlops_kit.serving.state import ServingState, serving_state


def _default_candidate(clients: AwsClients, env: Environment, model: str) -> ModelVersion:
    summaries = list_version_summaries(clients, env, model)
    if env.name != "dev":
        # What serves in staging is what baked there; fall back to its newest approved version.
        state = serving_state(clients, env, model)
        serving = [v for v in summaries if v.version == state.version]
        approved = [v for v in summaries if v.status == APPROVED]
        chosen = serving[0] if serving else (approved[-1] if approved else None)
    else:
        chosen = next((v for v in reversed(summaries) if v.status != REJECTED), None)
    if chosen is None:
        raise NotFound(
            f"{model} has no version in {env.name} to promote", hint="name one", argument="version"
        )
    return describe_versions(clients, env, model, [chosen.arn])[0]


@dataclass(frozen=True)
class _TargetView:
    state: ServingState
    serving: ModelVersion | None
    existing: ModelVersion | None


def _look_at_target(run: PromotionRun) -> _TargetView:
    """What the target serves, and which of its versions matter: the serving one (for the
    regression gate) and a copy of the candidate an earlier run registered (to reuse it). Only
    those are described; a version's description names its source, its lineage confirms it."""
    state, summaries = concurrently(
        lambda: serving_state(run.target_clients, run.target_env, run.model),
        lambda: list_version_summaries(run.target_clients, run.target_env, run.model),
    )
    marker = copied_from(run.candidate)
    wanted = [
        s.arn for s in summaries if s.version == state.version or marker in s.description or not s.description
    ]
    versions = describe_versions(run.target_clients, run.target_env, run.model, wanted)
    copies = [v for v in versions if v.lineage.source_version_arn == run.candidate.arn]
    serving = next((v for v in versions if v.version == state.version), None)
    return _TargetView(state, serving, copies[-1] if copies else None)


def _approvers(run: PromotionRun) -> list[str]:
    if not run.target_env.approvals.rules:
        return []  # nothing to count: skip reading the audit log
    events = read_events(run.target_clients, run.target_env, run.model)
    return approvers_of(events, run.candidate.arn, run.candidate.lineage.artifact_sha256)


def _gates(run: PromotionRun) -> tuple[ServingState, list[GateResult]]:
    """Evaluate the target's gates (reading target and source at the same time); the serving state."""
    view, status, approvers = concurrently(
        lambda: _look_at_target(run),
        lambda: latest_drift_status(run.source_clients, run.source_env, run.model),
        lambda: _approvers(run),
    )
    run.serving, run.existing, state = view.serving, view.existing, view.state
    run.serving_before = state.label
    return state, _gate_results(run, state, status, approvers)


def _gate_results(
    run: PromotionRun, state: ServingState, status: DriftStatus | None, approvers: list[str]
) -> list[GateResult]:
    target, candidate = run.target_env, run.candidate
    results = [source_status_gate(candidate.status, f"{candidate.label}")]
    results += threshold_gates(candidate.lineage.metrics, target.gates)
    label = f"{target.name} {state.label}"
    if state.version is None:
        label = f"{target.name} serves the bootstrap model"
    serving_metrics = run.serving.lineage.metrics if run.serving else None
    results += regression_gates(candidate.lineage.metrics, serving_metrics, label, target.gates)
    results.append(drift_gate(status, run.source_env.name, target.gates))
    results.append(drift_baseline_gate(candidate.lineage.drift_baseline_uri, candidate.label, target.name))
    results += fairness_gates(candidate.lineage.fairness, target.gates)
    results += approval_gates(target.approvals.rules, approvers, run.promoter)
    if target.requires_model_card:
        from mlops_kit.experiments.model_card import card_gate, find_model_card

        card = find_model_card(run.source_clients, run.source_env, run.model, candidate.version)
        run.model_card_sha256 = card.sha256 if card else ""
        results.append(card_gate(card, run.source_env, run.model, candidate.version))
    return results


def _plan(run: PromotionRun, state: ServingState) -> tuple[str, ...]:
    target, names = run.target_env, ResourceNames(run.target_env)
    existing = run.existing
    sha = run.candidate.lineage.artifact_sha256 or "<sha256>"
    baseline_sha = run.candidate.lineage.drift_baseline_sha256 or "<sha256>"
    rollout = target.serving.rollout
    alarms = ", ".join(sorted(names.rollback_alarms(run.model).values()))
    register = (
        f"reuse {existing.label} (registered from {run.candidate.label} earlier) and approve it"
        if existing
        else f"register {run.candidate.label} in {names.model_package_group(run.model)} with lineage, "
        "then approve it"
    )
    return (
        f"copy {run.candidate.artifact_uri} -> s3://{names.artifact_bucket}/{target_key(run.model, sha)}, "
        "verify sha256",
        f"copy the drift baseline {run.candidate.lineage.drift_baseline_uri or '<none>'} -> "
        f"s3://{names.artifact_bucket}/{baseline_key(run.model, sha, baseline_sha)}, verify sha256",
        register,
        f"roll out to {state.endpoint} (serving {state.label}): canary {rollout.canary_percent}% for "
        f"{rollout.bake_minutes} min, then all; blue fleet kept {rollout.termination_wait_minutes} min; "
        f"rolls back on {alarms}",
        f"once it serves, make its drift baseline {default_baseline_uri(target, run.model)}",
        f"append an audit record to s3://{names.audit_bucket}/records/{run.model}/",
    )


def _promote_locked(run: PromotionRun, lock: PromotionLock) -> PromotionResult:
    """The promotion's steps under the lock, in order; each one converges when re-run."""
    state, gates, plan = _pass_gates(run)
    copied, baseline = steps.copy_artifacts(run)
    version = steps.approve(run, steps.register(run, copied, baseline))
    started, outcome = steps.roll_out(run, lock, version, state, gates)
    published = steps.publish_baseline(run, version, baseline)
    event, already = steps.record(run, version, gates, started, outcome)
    verification = steps.verify(run)
    return PromotionResult(
        model=run.model,
        source_env=run.source_env.name,
        target_env=run.target_env.name,
        source_version=run.candidate.version,
        source_version_arn=run.candidate.arn,
        outcome="already promoted" if already else "promoted",
        gates=tuple(gates),
        plan=plan,
        serving_before=state.label,
        serving_after=f"v{version.version}",
        target_version=version.version,
        target_version_arn=version.arn,
        rollout_wait_seconds=outcome.wait_seconds,
        audit_event_id=event.event_id,
        drift_baseline_uri=published,
        verification=verification.as_dict(),
        analysis=run.analysis,
    )


def _pass_gates(run: PromotionRun) -> tuple[ServingState, list[GateResult], tuple[str, ...]]:
    """Evaluate the gates; GateFailed (audited as blocked) when one fails, with nothing changed."""
    run.step = "gates"
    state, gates = _gates(run)
    run.emit("gates evaluated", gates=tuple(gates))
    plan = _plan(run, state)
    if not all_passed(gates):
        failed = "; ".join(f"{g.name} ({g.detail})" for g in gates if not g.passed)
        audit_promotion(run, "blocked", gates, detail=failed)
        raise GateFailed(
            f"{run.where}: gates failed: {failed}; "
            f"{run.target_env.name} unchanged, still serving {state.label}"
        )
    return state, gates, plan


def promote_model_version(
    model: str,
    target: str,
    *,
    version: int | None = None,
    source: str | None = None,
    dry_run: bool = False,
    environments: dict[str, Environment] | None = None,
    on_event: Listener | None = None,
    source_clients: AwsClients | None = None,
    target_clients: AwsClients | None = None,
) -> PromotionResult:
    """Promote `model` (version `version` of the source, default: the natural candidate) to `target`.

    Raises `BadInput`/`NotFound` (exit 2) for a wrong argument, `LockHeld` when another promotion
    runs, `GateFailed` when a gate fails, `OperationFailed` when a step fails (re-run to resume).
    """
    source_name = source_of(target, source)
    envs = environments or _load_environments(target, source_name)
    for name, option in ((target, "to"), (source_name, "from")):
        if name not in envs:
            raise BadInput(f"environment {name} has no file in environments/", argument=option)
    target_env, source_env = envs[target], envs[source_name]
    require_model(source_env, model)
    require_model(target_env, model)
    if version is not None and version < 1:
        raise BadInput(f"{version} is not a version number (1, 2, ...)", argument="version")
    target_clients, source_clients = _clients(target_env, source_env, target_clients, source_clients)
    promoter = target_clients.principal_arn
    if dry_run:
        run = _new_run(
            model, source_env, target_env, source_clients, target_clients, version, promoter, on_event
        )
        run.step = "gates"
        state, gates = _gates(run)
        run.emit("gates evaluated", gates=tuple(gates))
        return PromotionResult(
            model=model,
            source_env=source_env.name,
            target_env=target_env.name,
            source_version=run.candidate.version,
            source_version_arn=run.candidate.arn,
            outcome="dry run",
            gates=tuple(gates),
            plan=_plan(run, state),
            serving_before=state.label,
            serving_after=state.label,
        )
    # The lock comes first: everything after it, the choice of candidate included, sees one state.
    with PromotionLock(target_clients, target_env, model, owner=promoter) as lock:
        run = _new_run(
            model, source_env, target_env, source_clients, target_clients, version, promoter, on_event
        )
        run.emit(f"lock taken on {run.where}")
        try:
            return _promote_locked(run, lock)
        except (GateFailed, RolloutRolledBack, RolloutPaused):
            raise
        except KitError as exc:
            if not isinstance(exc, EndpointUnreachable):
                _audit_failure(run, exc)
            unchanged = (
                f"; {target} still serves {run.serving_before}"
                if run.step in ("gates", "copy", "register", "approve") and run.serving_before
                else ""
            )
            label = run.candidate.label
            raise OperationFailed(
                f"{run.where}: promotion of {label} stopped at step {run.step}: {exc}{unchanged}",
                hint=f"re-run the promotion of {label} to {target} to resume",
            ) from exc


def _load_environments(*names: str) -> dict[str, Environment]:
    """The environments among `names` that have a file (only those: parsing YAML is not free)."""
    from mlops_kit.config import environment_names, load_environment

    available = environment_names()
    return {name: load_environment(name) for name in names if name in available}


def _clients(
    target_env: Environment,
    source_env: Environment,
    target_clients: AwsClients | None,
    source_clients: AwsClients | None,
) -> tuple[AwsClients, AwsClients]:
    """Clients of the target (its promotion role) and of the source (its reviewer role, assumed by
    the target's promotion role: the source is only read, and only by whoever may promote into the
    target)."""
    from mlops_kit.aws import acting_as, clients_for, identify_caller

    if target_clients is not None and source_clients is not None:
        return target_clients, source_clients
    if target_clients is None:
        caller = identify_caller(target_env.region)
        target_clients = clients_for(
            target_env, role="promotion", session_name="mlops-kit-promote", caller=caller
        )
    if source_clients is None:
        source_clients = clients_for(
            source_env, role="reviewer", session_name="mlops-kit-promote", caller=acting_as(target_clients)
        )
        source_clients.principal_arn = target_clients.principal_arn  # who promotes, for the record
    return target_clients, source_clients


def _new_run(
    model: str,
    source_env: Environment,
    target_env: Environment,
    source_clients: AwsClients,
    target_clients: AwsClients,
    version: int | None,
    promoter: str,
    on_event: Listener | None,
) -> PromotionRun:
    candidate = (
        _default_candidate(source_clients, source_env, model)
        if version is None
        else _version_arg(source_clients, source_env, model, version)
    )
    return PromotionRun(
        model=model,
        source_env=source_env,
        target_env=target_env,
        source_clients=source_clients,
        target_clients=target_clients,
        candidate=candidate,
        promoter=promoter,
        listener=on_event or (lambda _: None),
    )


def _audit_failure(run: PromotionRun, exc: KitError) -> None:
    """Best effort: the failure itself may make the log unreachable."""
    with contextlib.suppress(KitError):
        audit_promotion(run, "failed", [], detail=f"step {run.step}: {exc}"[:1000])


def _version_arg(clients: AwsClients, env: Environment, model: str, version: int) -> ModelVersion:
    try:
        return get_version(clients, env, model, version)
    except NotFound:
        raise NotFound(f"{model} has no version {version} in {env.name}", argument="version") from None
