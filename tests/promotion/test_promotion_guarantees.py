"""What a promotion that must not happen leaves behind: nothing, and a message saying so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from promotion_support import (
    CLEAN_REPORT_KEY,
    MODEL,
    PROD_APPROVER_ROLE,
    delete_drift_report,
    identity,
    put_drift_report,
    release_identity,
)

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import GateFailed, OperationFailed
from mlops_kit.promotion.promote import promote_model_version
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def target_state(env: Environment) -> dict[str, Any]:
    """Everything a promotion could change in `env` except the (append-only) audit log."""

    clients = admin_clients(env)
    names = ResourceNames(env)
    sagemaker = clients.client("sagemaker")
    packages = sagemaker.list_model_packages(
        ModelPackageGroupName=names.model_package_group(MODEL), MaxResults=100
    )
    objects = clients.client("s3").list_objects_v2(Bucket=names.artifact_bucket, Prefix="models/")
    return {
        "serving": sagemaker.describe_endpoint(EndpointName=names.endpoint(MODEL))["EndpointConfigName"],
        "versions": sorted(
            (p["ModelPackageArn"], p["ModelApprovalStatus"]) for p in packages["ModelPackageSummaryList"]
        ),
        "configs": sorted(
            c["EndpointConfigName"]
            for c in sagemaker.list_endpoint_configs(MaxResults=100)["EndpointConfigs"]
        ),
        "models": sorted(m["ModelName"] for m in sagemaker.list_models(MaxResults=100)["Models"]),
        "artifacts": sorted(o["Key"] for o in objects.get("Contents", [])),
    }


def failed_gates(exc: GateFailed, results: list[Any]) -> set[str]:
    return {g.name for g in results if not g.passed}


@pytest.fixture
def staging_serves_a_good_version(
    promotion_platform: dict[str, Environment], register_dev_version
) -> Environment:
    """Staging serves a promoted version with the good metrics (promote one if it serves the bootstrap)."""
    from mlops_kit.serving.state import serving_state

    staging = promotion_platform["staging"]
    if serving_state(admin_clients(staging), staging, MODEL).version is None:
        promote_model_version(MODEL, "staging", version=register_dev_version().version)
    return staging


def blocked(target: str, version: int) -> set[str]:
    """The gates that block promoting `version` into `target` (prod: as its release workflow)."""
    seen: list[Any] = []
    with pytest.raises(GateFailed) as raised, release_identity() if target == "prod" else nullcontext():
        promote_model_version(MODEL, target, version=version, on_event=lambda e: seen.extend(e.gates))
    assert "unchanged, still serving" in str(raised.value)
    return {g.name for g in seen if not g.passed}


def test_a_version_missing_a_required_metric_is_blocked_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    dev = register_dev_version(metrics={"auc": 0.99})
    before = target_state(staging_serves_a_good_version)
    assert blocked("staging", dev.version) == {"min accuracy"}
    assert target_state(staging_serves_a_good_version) == before


def test_a_version_below_threshold_is_blocked_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    dev = register_dev_version(metrics={"auc": 0.91, "accuracy": 0.99})
    before = target_state(staging_serves_a_good_version)
    assert blocked("staging", dev.version) == {"min auc", "no regression auc"}
    assert target_state(staging_serves_a_good_version) == before


def test_a_regression_against_what_serves_is_blocked_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    dev = register_dev_version(metrics={"auc": 0.965, "accuracy": 0.96})  # serving: 0.985, tolerance 0.01
    before = target_state(staging_serves_a_good_version)
    assert blocked("staging", dev.version) == {"no regression auc"}
    assert target_state(staging_serves_a_good_version) == before


@pytest.fixture
def drifted_dev(promotion_platform: dict[str, Environment]) -> Iterator[None]:
    key = put_drift_report(promotion_platform["dev"], "2026-06-01T00-00-00Z.json", drifted=True)
    yield
    delete_drift_report(promotion_platform["dev"], key)


def test_drift_found_in_the_source_blocks_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version, drifted_dev: None
) -> None:
    dev = register_dev_version()
    before = target_state(staging_serves_a_good_version)
    assert blocked("staging", dev.version) == {"drift check"}
    assert target_state(staging_serves_a_good_version) == before


def test_a_missing_drift_check_blocks_when_the_target_requires_one(
    staging_serves_a_good_version: Environment,
) -> None:
    """prod requires a drift check of staging (staging does not require one of dev, which has no traffic)."""
    from mlops_kit.serving.state import serving_state

    staging = staging_serves_a_good_version
    prefix = ResourceNames(staging).drift_report_prefix(MODEL).split("/", 3)[3]
    delete_drift_report(staging, f"{prefix}/{CLEAN_REPORT_KEY}")
    try:
        version = serving_state(admin_clients(staging), staging, MODEL).version
        assert version is not None
        assert "drift check" in blocked("prod", version)
    finally:
        put_drift_report(staging, CLEAN_REPORT_KEY, drifted=False)


def test_a_version_without_a_drift_baseline_is_blocked_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    dev = register_dev_version(baseline=False)
    before = target_state(staging_serves_a_good_version)
    assert blocked("staging", dev.version) == {"drift baseline"}
    assert target_state(staging_serves_a_good_version) == before


def test_a_rejected_source_version_is_blocked(
    staging_serves_a_good_version: Environment,
    register_dev_version,
    promotion_platform: dict[str, Environment],
) -> None:

    dev = register_dev_version()
    admin_clients(promotion_platform["dev"]).client("sagemaker").update_model_package(
        ModelPackageArn=dev.arn, ModelApprovalStatus="Rejected"
    )
    assert blocked("staging", dev.version) == {"source not rejected"}


def test_prod_without_approval_is_blocked_and_changes_nothing(
    promotion_platform: dict[str, Environment], register_dev_version
) -> None:
    # A staging version of its own: nobody has approved it (other tests approve theirs).
    version = promote_model_version(MODEL, "staging", version=register_dev_version().version).target_version
    before = target_state(promotion_platform["prod"])
    assert blocked("prod", version) == {"approval ml-lead", "model card"}
    assert target_state(promotion_platform["prod"]) == before


def test_prod_without_a_model_card_is_refused_with_exit_1_and_changes_nothing(
    promotion_platform: dict[str, Environment], register_dev_version, capsys: pytest.CaptureFixture[str]
) -> None:
    """prod requires a card of the staging version (environments/prod.yaml): approved but without
    one, the promotion stops at its gates, names the command that makes the card, and changes nothing."""
    from mlops_kit.promotion.approvals import approve_model_version

    version = promote_model_version(MODEL, "staging", version=register_dev_version().version).target_version
    assert version is not None
    with identity(PROD_APPROVER_ROLE, "carol"):
        approve_model_version(
            MODEL, version, promotion_platform["prod"], comment="reviewed", environments=promotion_platform
        )
    before = target_state(promotion_platform["prod"])
    capsys.readouterr()
    code = main(["promote", MODEL, "--to", "prod", "--version", str(version), "--yes"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"model card ({MODEL} v{version} in staging has no model card" in err
    assert f"kit models card {MODEL} {version} --env staging" in err
    assert "Traceback" not in err
    assert target_state(promotion_platform["prod"]) == before


def test_an_approver_cannot_promote_what_they_approved(
    promotion_platform: dict[str, Environment], register_dev_version
) -> None:
    """Four eyes in IAM: the approver's identity cannot assume prod's promotion role at all."""
    from mlops_kit.errors import AccessDenied
    from mlops_kit.promotion.approvals import approve_model_version

    # A staging version of its own, so the only approval it has is the one below.
    version = promote_model_version(MODEL, "staging", version=register_dev_version().version).target_version
    before = target_state(promotion_platform["prod"])
    with identity(PROD_APPROVER_ROLE, "mallory"):
        approve_model_version(
            MODEL, version, promotion_platform["prod"], comment="mine", environments=promotion_platform
        )
        with pytest.raises(AccessDenied) as raised:
            promote_model_version(MODEL, "prod", version=version)
    assert ResourceNames(promotion_platform["prod"]).promotion_role_arn in str(raised.value)
    assert target_state(promotion_platform["prod"]) == before


def test_a_wrong_artifact_checksum_stops_the_copy_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    dev = register_dev_version(recorded_sha256="f" * 64)
    before = target_state(staging_serves_a_good_version)
    with pytest.raises(OperationFailed) as raised:
        promote_model_version(MODEL, "staging", version=dev.version)
    assert "sha256" in str(raised.value) and "still serves" in str(raised.value)
    assert target_state(staging_serves_a_good_version) == before


def test_an_alarm_during_the_canary_rolls_back_and_rejects_the_version(
    staging_serves_a_good_version: Environment, register_dev_version, assert_plans_empty
) -> None:
    from mlops_kit.promotion.audit import read_events

    staging = staging_serves_a_good_version
    clients = admin_clients(staging)
    alarm = ResourceNames(staging).rollback_alarms(MODEL)["errors"]
    dev = register_dev_version()
    before = target_state(staging)
    clients.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="test: 5xx burst"
    )
    try:
        with pytest.raises(OperationFailed) as raised:
            promote_model_version(MODEL, "staging", version=dev.version)
    finally:
        clients.client("cloudwatch").set_alarm_state(
            AlarmName=alarm, StateValue="OK", StateReason="test: over"
        )
    assert "rolled back" in str(raised.value) and alarm in str(raised.value)
    after = target_state(staging)
    assert after["serving"] == before["serving"]
    assert after["configs"] == before["configs"]  # the canary's configuration was discarded
    new = [v for v in after["versions"] if v not in before["versions"]]
    assert len(new) == 1 and new[0][1] == "Rejected"
    outcomes = [e.outcome for e in read_events(clients, staging, MODEL) if e.source_version_arn == dev.arn]
    assert outcomes == ["rolled back"]
    # Terraform agrees with the endpoint the failed rollout left (its deployment policy included).
    assert_plans_empty("staging")


def test_a_rerun_of_a_finished_promotion_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version
) -> None:
    from mlops_kit.promotion.audit import read_events

    dev = register_dev_version()
    first = promote_model_version(MODEL, "staging", version=dev.version)
    state = target_state(staging_serves_a_good_version)
    again = promote_model_version(MODEL, "staging", version=dev.version)
    assert again.outcome == "already promoted"
    assert again.target_version == first.target_version
    assert target_state(staging_serves_a_good_version) == state
    events = read_events(admin_clients(staging_serves_a_good_version), staging_serves_a_good_version, MODEL)
    assert [e.outcome for e in events if e.source_version_arn == dev.arn] == ["promoted"]


def test_dry_run_shows_gates_and_plan_and_changes_nothing(
    staging_serves_a_good_version: Environment, register_dev_version, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = register_dev_version()
    before = target_state(staging_serves_a_good_version)
    capsys.readouterr()
    assert main(["promote", MODEL, "--to", "staging", "--version", str(dev.version), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "min auc" in out and "dry run, nothing changed" in out and "roll out to" in out
    assert target_state(staging_serves_a_good_version) == before


def test_rollback_serves_the_previous_approved_version(
    staging_serves_a_good_version: Environment,
    register_dev_version,
    capsys: pytest.CaptureFixture[str],
    assert_plans_empty,
) -> None:
    from mlops_kit.serving.state import serving_state

    staging = staging_serves_a_good_version
    first = promote_model_version(MODEL, "staging", version=register_dev_version().version)
    second = promote_model_version(MODEL, "staging", version=register_dev_version().version)
    capsys.readouterr()
    assert main(["rollback", "--env", "staging", "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["from_version"], result["to_version"]) == (second.target_version, first.target_version)
    clients = admin_clients(staging)
    assert serving_state(clients, staging, MODEL).version == first.target_version
    status = clients.client("sagemaker").describe_model_package(ModelPackageName=second.target_version_arn)
    assert status["ModelApprovalStatus"] == "Rejected"
    assert main(["audit", "--env", "staging", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert events[-1]["kind"] == "rollback" and events[-1]["target_version"] == first.target_version
    assert_plans_empty("staging")


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (["promote", MODEL, "--to", "dev", "--yes"], "--to"),
        (["promote", MODEL, "--to", "qa", "--yes"], "--to"),
        (["promote", MODEL, "--from", "prod", "--to", "staging", "--yes"], "--from"),
        (["promote", MODEL, "--from", "dev", "--to", "prod", "--yes"], "--from"),
        (["promote", "no-such-model", "--to", "staging", "--yes"], "MODEL"),
        (["promote", MODEL, "--to", "staging", "--version", "9999", "--yes"], "--version"),
        (["models", "list", "--env", "qa"], "--env"),
        (["models", "show", MODEL, "9999", "--env", "staging"], "VERSION"),
        (["approve", MODEL, "1", "--env", "qa", "--comment", "x"], "--env"),
        (["rollback", "--env", "qa", "--yes"], "--env"),
        (["audit", "--env", "qa"], "--env"),
    ],
)
def test_wrong_arguments_exit_2_naming_the_argument(
    promotion_platform: dict[str, Environment],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    argument: str,
) -> None:
    capsys.readouterr()
    assert main(args) == 2
    assert argument in capsys.readouterr().err
