"""The promotion's steps after its gates, each converging when re-run: copy, register, approve, roll
out, publish the drift baseline, record the audit event (promote.py runs them under the lock)."""

from __future__ import annotations

from dataclasses import replace

from mlops_kit.promotion import rollout as rollouts
from mlops_kit.promotion.analysed_rollout import RolloutPaused, canary_config_name, run_canary
from mlops_kit.promotion.artifact_copy import CopiedArtifact, copy_artifact, copy_baseline
from mlops_kit.promotion.audit import AuditEvent, read_events
from mlops_kit.promotion.drift_baseline import publish_default_baseline
from mlops_kit.promotion.gates import GateResult
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.promotion.promotion_run import PromotionRun, RolloutRolledBack, audit_promotion
from mlops_kit.promotion.verification import Verification, verify_endpoint
from mlops_kit.registry.versions import APPROVED, REJECTED, ModelVersion, register_version, set_approval
from mlops_kit.serving.state import ServingState, config_name


def copy_artifacts(run: PromotionRun) -> tuple[CopiedArtifact, CopiedArtifact]:
    """Copy the candidate's artifact and drift baseline into the target, checksums verified."""
    run.step = "copy"
    candidate = run.candidate
    copied = copy_artifact(
        run.source_clients,
        run.target_clients,
        run.target_env,
        model=run.model,
        source_uri=candidate.artifact_uri,
        expected_sha256=candidate.lineage.artifact_sha256,
    )
    run.emit(
        f"{'copied' if copied.copied else 'already copied'} {copied.uri} "
        f"(sha256 {copied.sha256[:12]}, verified)"
    )
    baseline = copy_baseline(
        run.source_clients,
        run.target_clients,
        run.target_env,
        model=run.model,
        source_uri=candidate.lineage.drift_baseline_uri,
        expected_sha256=candidate.lineage.drift_baseline_sha256,
        artifact_sha256=copied.sha256,
    )
    run.emit(
        f"{'copied' if baseline.copied else 'already copied'} the drift baseline {baseline.uri} "
        f"(sha256 {baseline.sha256[:12]}, verified)"
    )
    return copied, baseline


def register(run: PromotionRun, copied: CopiedArtifact, baseline: CopiedArtifact) -> ModelVersion:
    """The target's version of the candidate: registered now, or by an earlier run."""
    run.step = "register"
    candidate = run.candidate
    if run.existing is not None:
        run.emit(f"{run.existing.label} already registered from {candidate.label}")
        return run.existing
    lineage = replace(
        candidate.lineage,
        source_env=run.source_env.name,
        source_version_arn=candidate.arn,
        artifact_sha256=copied.sha256,
        drift_baseline_uri=baseline.uri,
        drift_baseline_sha256=baseline.sha256,
    )
    version = register_version(
        run.target_clients,
        run.target_env,
        run.model,
        artifact_uri=copied.uri,
        image=candidate.image,
        container_environment=candidate.container_environment,
        lineage=lineage,
        description=run.description,
    )
    run.emit(f"registered {version.label} from {candidate.label}")
    return version


def approve(run: PromotionRun, version: ModelVersion) -> ModelVersion:
    run.step = "approve"
    if version.status != APPROVED:
        set_approval(
            run.target_clients, version, APPROVED, f"promoted from {run.candidate.label} by {run.promoter}"
        )
        version = replace(version, status=APPROVED)
    run.emit(f"{version.label} approved")
    return version


def roll_out(
    run: PromotionRun,
    lock: PromotionLock,
    version: ModelVersion,
    state: ServingState,
    gates: list[GateResult],
) -> tuple[str, rollouts.RolloutOutcome]:
    """Blue/green rollout of `version`; on a rollback the version is rejected, audited, and
    RolloutRolledBack raised. Returns whether this run started the rollout, and its outcome."""
    run.step = "rollout"
    target_env, model = run.target_env, run.model
    if target_env.serving.rollout.analysis is not None:
        started, outcome = _roll_out_by_analysis(run, lock, version, state, gates)
        config = config_name(target_env, model, version.version)
    else:
        config = rollouts.prepare_config(run.target_clients, target_env, model, version, current=state)
        started = rollouts.start_rollout(run.target_clients, target_env, model, config)
        run.emit(f"rollout of {config}: {started}")
        outcome = rollouts.wait_for_rollout(
            run.target_clients,
            target_env,
            model,
            config,
            on_progress=lambda p: run.emit(p.status, rollout=p),
            heartbeat=lock.renew,
        )
    if not outcome.succeeded:
        set_approval(run.target_clients, version, REJECTED, f"rollout rolled back: {outcome.reason}")
        rollouts.discard_config(run.target_clients, target_env, model, config)
        if target_env.serving.rollout.analysis is not None:
            canary = canary_config_name(target_env, model, version.version)
            rollouts.discard_config(run.target_clients, target_env, model, canary)
        run.step = "audit"
        audit_promotion(run, "rolled back", gates, target=version, detail=outcome.reason)
        raise RolloutRolledBack(
            f"{run.where}: rollout of {version.label} rolled back ({outcome.reason}); "
            f"{target_env.name} still serves {state.label} as before; "
            f"{version.label} marked Rejected"
        )
    return started, outcome


def _roll_out_by_analysis(
    run: PromotionRun,
    lock: PromotionLock,
    version: ModelVersion,
    state: ServingState,
    gates: list[GateResult],
) -> tuple[str, rollouts.RolloutOutcome]:
    """The kit's canary decided by analysis (analysed_rollout.py); a pause is audited."""
    try:
        decision = run_canary(
            run.target_clients,
            run.target_env,
            run.model,
            version,
            state,
            emit=run.emit,
            heartbeat=lock.renew,
        )
    except RolloutPaused as paused:
        run.step = "audit"
        audit_promotion(run, "paused", gates, target=version, detail=str(paused)[:1000])
        raise
    run.analysis = decision.analysis.as_dict() if decision.analysis else None
    if decision.outcome.succeeded:
        # All traffic moved to the version's own configuration: the two-variant one is spent.
        canary = canary_config_name(run.target_env, run.model, version.version)
        rollouts.discard_config(run.target_clients, run.target_env, run.model, canary)
    return "started", decision.outcome


def publish_baseline(run: PromotionRun, version: ModelVersion, baseline: CopiedArtifact) -> str:
    run.step = "baseline"
    published = publish_default_baseline(
        run.target_clients,
        run.target_env,
        run.model,
        source_uri=baseline.uri,
        sha256=baseline.sha256,
        version_arn=version.arn,
    )
    run.emit(f"drift baseline of {version.label} published as {published}")
    return published


def record(
    run: PromotionRun,
    version: ModelVersion,
    gates: list[GateResult],
    started: str,
    outcome: rollouts.RolloutOutcome,
) -> tuple[AuditEvent, bool]:
    """The audit record of the promotion, and whether an earlier run had already written it."""
    run.step = "audit"
    # A rollout this run started is a new promotion; otherwise an earlier run may have recorded it.
    done = (
        []
        if started == "started"
        else [
            e
            for e in read_events(run.target_clients, run.target_env, run.model)
            if e.kind == "promotion" and e.outcome == "promoted" and e.target_version_arn == version.arn
        ]
    )
    event = (
        done[-1] if done else audit_promotion(run, "promoted", gates, target=version, detail=outcome.reason)
    )
    run.emit(f"audit record {event.event_id}")
    return event, bool(done)


def verify(run: PromotionRun) -> Verification:
    """Read back what the endpoint serves and compare it with what the promotion recorded."""
    run.step = "verify"
    verification = verify_endpoint(run.target_clients, run.target_env, run.model)
    if verification.matches:
        run.emit(f"{verification.endpoint} serves {verification.intended}: verified")
    else:
        run.emit(
            f"{verification.endpoint} differs from the records: "
            + "; ".join(str(d) for d in verification.differences)
        )
    return verification
