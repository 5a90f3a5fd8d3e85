"""Gate evaluation, approval rules and the promotion path: pure, no AWS."""

from __future__ import annotations

import pytest

from mlops_kit.config.models import ApproverRule, Gates
from mlops_kit.errors import BadInput, OperationFailed
from mlops_kit.promotion.approvals import approval_gates
from mlops_kit.promotion.audit import new_event_id
from mlops_kit.promotion.drift_status import parse_drift_report
from mlops_kit.promotion.gates import (
    DriftStatus,
    drift_gate,
    fairness_gates,
    regression_gates,
    source_status_gate,
    threshold_gates,
)
from mlops_kit.promotion.path import source_of

GATES = Gates(min_metrics={"auc": 0.92, "accuracy": 0.88}, max_regression=0.01, require_drift_check=True)
RULE = ApproverRule(name="ml-lead", principals=["arn:aws:sts::333333333333:assumed-role/approver/*"], count=1)


def failed(results: list) -> set[str]:  # type: ignore[type-arg]
    return {r.name for r in results if not r.passed}


def test_threshold_gate_refuses_auc_below_threshold() -> None:
    assert failed(threshold_gates({"auc": 0.91, "accuracy": 0.95}, GATES)) == {"min auc"}


def test_threshold_gate_refuses_a_missing_metric() -> None:
    assert failed(threshold_gates({"auc": 0.95}, GATES)) == {"min accuracy"}


FAIR_GATES = Gates(max_demographic_parity_difference=0.1, max_equal_opportunity_difference=0.05)
FAIRNESS = {"sensitive_attribute": "sex", "favorable_class": 1}


def test_fairness_gates_pass_differences_within_their_ceilings() -> None:
    results = fairness_gates(
        {**FAIRNESS, "demographic_parity_difference": 0.1, "equal_opportunity_difference": 0.02}, FAIR_GATES
    )
    assert [(r.name, r.passed) for r in results] == [
        ("max demographic_parity_difference", True),
        ("max equal_opportunity_difference", True),
    ]


def test_fairness_gate_refuses_a_difference_above_its_ceiling_naming_value_and_ceiling() -> None:
    results = fairness_gates(
        {**FAIRNESS, "demographic_parity_difference": 0.25, "equal_opportunity_difference": 0.0}, FAIR_GATES
    )
    [refused] = [r for r in results if not r.passed]
    assert refused.name == "max demographic_parity_difference"
    assert refused.detail == "demographic_parity_difference 0.2500 > 0.1000 (ceiling)"


def test_fairness_gates_refuse_a_version_whose_model_measures_no_fairness() -> None:
    results = fairness_gates(None, FAIR_GATES)
    assert failed(results) == {"max demographic_parity_difference", "max equal_opportunity_difference"}
    assert all("names no fairness.sensitive_attribute" in r.detail for r in results)


def test_fairness_gate_refuses_an_unmeasured_difference() -> None:
    results = fairness_gates(
        {**FAIRNESS, "demographic_parity_difference": 0.0, "equal_opportunity_difference": None}, FAIR_GATES
    )
    assert failed(results) == {"max equal_opportunity_difference"}
    assert "fewer than two groups of sex" in results[1].detail


def test_no_fairness_ceiling_no_fairness_gate() -> None:
    assert fairness_gates(None, GATES) == []


def test_regression_gate_allows_a_drop_within_tolerance() -> None:
    assert not failed(
        regression_gates({"auc": 0.951, "accuracy": 0.9}, {"auc": 0.96, "accuracy": 0.9}, "v1", GATES)
    )


def test_regression_gate_refuses_a_drop_beyond_tolerance() -> None:
    results = regression_gates({"auc": 0.949, "accuracy": 0.9}, {"auc": 0.96, "accuracy": 0.9}, "v1", GATES)
    assert failed(results) == {"no regression auc"}


def test_regression_gate_passes_when_nothing_serves_yet() -> None:
    assert not failed(regression_gates({"auc": 0.5}, None, "bootstrap", GATES))


def test_drift_gate_fails_without_a_report_when_required() -> None:
    assert not drift_gate(None, "dev", GATES).passed


def test_drift_gate_passes_without_a_report_when_not_required() -> None:
    gate = drift_gate(None, "dev", GATES.model_copy(update={"require_drift_check": False}))
    assert gate.passed and "no drift check yet" in gate.detail


def test_drift_gate_fails_when_the_latest_report_found_drift() -> None:
    assert not drift_gate(DriftStatus(True, "2026-11-25T09:00:00Z", "k"), "dev", GATES).passed


def test_rejected_source_version_cannot_move_on() -> None:
    assert not source_status_gate("Rejected", "dev v3").passed
    assert source_status_gate("PendingManualApproval", "dev v3").passed


def test_approval_needs_a_matching_approver() -> None:
    assert failed(approval_gates([RULE], [], "arn:aws:sts::1:user/bob")) == {"approval ml-lead"}
    assert failed(approval_gates([RULE], ["arn:aws:iam::333333333333:user/eve"], "x")) == {"approval ml-lead"}
    assert not failed(approval_gates([RULE], ["arn:aws:sts::333333333333:assumed-role/approver/alice"], "x"))


def test_the_promoters_own_approval_does_not_count() -> None:
    alice = "arn:aws:sts::333333333333:assumed-role/approver/alice"
    results = approval_gates([RULE], [alice], alice)
    assert failed(results) == {"approval ml-lead"}
    assert "does not count" in results[0].detail


def test_approval_count_needs_distinct_approvers() -> None:
    rule = RULE.model_copy(update={"count": 2})
    alice = "arn:aws:sts::333333333333:assumed-role/approver/alice"
    bob = "arn:aws:sts::333333333333:assumed-role/approver/bob"
    assert failed(approval_gates([rule], [alice, alice], "x"))
    assert not failed(approval_gates([rule], [alice, bob], "x"))


def test_no_rules_means_no_approval_needed() -> None:
    assert not failed(approval_gates([], [], "x"))


@pytest.mark.parametrize(
    ("target", "source", "argument"),
    [
        ("dev", None, "--to"),
        ("qa", None, "--to"),
        ("prod", "dev", "--from"),
        ("staging", "prod", "--from"),
        ("staging", "staging", "--from"),
    ],
)
def test_wrong_direction_or_skip_names_the_argument(target: str, source: str | None, argument: str) -> None:
    with pytest.raises(BadInput) as raised:
        source_of(target, source)
    assert raised.value.exit_code == 2
    assert raised.value.argument == argument.removeprefix("--")  # the CLI names it as the option


def test_the_source_is_the_previous_environment() -> None:
    assert source_of("staging") == "dev"
    assert source_of("prod", "staging") == "staging"


def test_drift_report_breaking_the_contract_fails_loudly() -> None:
    with pytest.raises(OperationFailed):
        parse_drift_report("k", b'{"drifted": "no"}')
    assert parse_drift_report("k", b'{"drifted": false, "generated_at": "t"}').drifted is False


def test_audit_event_ids_sort_by_time() -> None:
    from datetime import UTC, datetime, timedelta

    early = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
    ids = [new_event_id(early + timedelta(microseconds=m)) for m in (1, 10, 100, 1_000_000)]
    assert sorted(ids) == ids
