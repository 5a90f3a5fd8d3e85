"""Group fairness against values computed by hand on a small frame: selection rates, true positive
rates, and the demographic parity and equal opportunity differences between groups."""

from __future__ import annotations

import pytest

from mlops_kit.model_evaluation.fairness import fairness_report, group_rates

# group a: 4 rows, chosen 1,0,1,0           -> selection 2/4 = 0.5; favorable rows 0,1 -> TPR 1/2 = 0.5
# group b: 4 rows, chosen 1,0,1,1           -> selection 3/4 = 0.75; favorable rows 4,5,6 -> TPR 2/3
# group c: 2 rows, chosen 1,0, no favorable -> selection 1/2 = 0.5; no TPR
GROUPS = ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c"]
TRUTH = [1, 1, 0, 0, 1, 1, 1, 0, 0, 0]
PREDICTED = [1, 0, 1, 0, 1, 0, 1, 1, 1, 0]


def test_group_rates_match_the_hand_computed_rates() -> None:
    rates = {r["group"]: r for r in group_rates(GROUPS, TRUTH, PREDICTED, favorable=1)}
    assert [rates[g]["rows"] for g in "abc"] == [4, 4, 2]
    assert [rates[g]["favorable_rows"] for g in "abc"] == [2, 3, 0]
    assert [rates[g]["selection_rate"] for g in "abc"] == [0.5, 0.75, 0.5]
    assert rates["a"]["true_positive_rate"] == 0.5
    assert rates["b"]["true_positive_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert rates["c"]["true_positive_rate"] is None


def test_differences_are_the_largest_gap_between_two_groups() -> None:
    report = fairness_report("sex", GROUPS, TRUTH, PREDICTED, favorable=1)
    assert report["sensitive_attribute"] == "sex" and report["favorable_class"] == 1
    assert report["demographic_parity_difference"] == pytest.approx(0.25)
    # group c has no favorable row: it takes no part in equal opportunity
    assert report["equal_opportunity_difference"] == pytest.approx(2 / 3 - 1 / 2, abs=1e-6)


def test_the_favorable_class_decides_what_counts_as_selected() -> None:
    # favorable 0: selection a 2/4, b 1/4, c 1/2; TPR (truth 0) a 1/2, b 0/1, c 1/2
    report = fairness_report("sex", GROUPS, TRUTH, PREDICTED, favorable=0)
    assert report["demographic_parity_difference"] == pytest.approx(0.25)
    assert report["equal_opportunity_difference"] == pytest.approx(0.5)


def test_labels_and_classes_compare_as_text() -> None:
    """The test split's CSV reads classes as numbers or text; an inference program may answer either."""
    report = fairness_report("g", ["x", "y"], ["1", 1], [1, "1"], favorable="1")
    assert report["demographic_parity_difference"] == 0.0
    assert report["equal_opportunity_difference"] == 0.0


def test_equal_groups_differ_by_nothing() -> None:
    report = fairness_report("g", ["x", "x", "y", "y"], [1, 0, 1, 0], [1, 0, 1, 0], favorable=1)
    assert report["demographic_parity_difference"] == 0.0
    assert report["equal_opportunity_difference"] == 0.0


def test_with_one_comparable_group_equal_opportunity_is_not_measured() -> None:
    report = fairness_report("g", ["x", "x", "y"], [1, 0, 0], [1, 1, 0], favorable=1)
    assert report["demographic_parity_difference"] == 1.0
    assert report["equal_opportunity_difference"] is None


def test_one_entry_per_row_is_required() -> None:
    with pytest.raises(ValueError, match="one entry per row"):
        group_rates(["a", "b"], [1], [1, 0], favorable=1)
