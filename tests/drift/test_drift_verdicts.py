"""Verdicts on real data: no false alarms without drift, injected shifts found, too little data
never alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import (
    DriftThresholds,
    Verdict,
    build_baseline,
    check_frame,
)
from mlops_kit.errors import BadInput

ROWS = 5_000


def _draw(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Fresh rows from the data set's distribution (a bootstrap sample)."""
    return frame.sample(n=rows, replace=True, random_state=rng).reset_index(drop=True)


def test_no_drift_raises_at_most_one_dataset_alarm_in_a_hundred_trials(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    dataset_alarms = feature_alarms = 0
    for _ in range(100):
        baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
        report = check_frame(baseline, _draw(breast_cancer, ROWS, rng))
        dataset_alarms += report.drifted
        feature_alarms += len(report.drifted_features)

    assert dataset_alarms <= 1
    assert feature_alarms <= 0.01 * 100 * len(breast_cancer.columns)


def test_no_drift_at_the_minimum_sample_size_rarely_alarms_a_feature(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    thresholds = DriftThresholds()
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    feature_alarms = 0
    for _ in range(40):
        report = check_frame(baseline, _draw(breast_cancer, thresholds.min_samples, rng), thresholds)
        assert all(feature.verdict is not Verdict.INSUFFICIENT_DATA for feature in report.features)
        feature_alarms += len(report.drifted_features)

    assert feature_alarms <= 0.01 * 40 * len(breast_cancer.columns)


def test_mean_shift_is_found(breast_cancer: pd.DataFrame, rng: np.random.Generator) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    current["mean radius"] += breast_cancer["mean radius"].std()

    report = check_frame(baseline, current)

    assert report.drifted_features == ["mean radius"]
    assert report.feature("mean radius").statistics["psi"] >= 0.2  # type: ignore[operator]


def test_variance_change_is_found(breast_cancer: pd.DataFrame, rng: np.random.Generator) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    texture = current["mean texture"]
    current["mean texture"] = texture.mean() + 2.0 * (texture - texture.mean())

    report = check_frame(baseline, current)

    assert report.drifted_features == ["mean texture"]


def test_category_frequency_change_is_found(breast_cancer: pd.DataFrame, rng: np.random.Generator) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    malignant = breast_cancer[breast_cancer["diagnosis"] == "malignant"]
    benign = breast_cancer[breast_cancer["diagnosis"] == "benign"]
    # The training mix is 37% malignant; now 70% of patients are.
    current = pd.concat([_draw(malignant, 3_500, rng), _draw(benign, 1_500, rng)], ignore_index=True)

    report = check_frame(baseline, current)

    diagnosis = report.feature("diagnosis")
    assert diagnosis.verdict is Verdict.DRIFT
    assert diagnosis.statistics["js_distance"] >= 0.1  # type: ignore[operator]


def test_unseen_categories_are_counted_and_reported(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    current.loc[current.index[:1_500], "diagnosis"] = "inconclusive"

    diagnosis = check_frame(baseline, current).feature("diagnosis")

    assert diagnosis.statistics["unseen"] == 1_500
    assert diagnosis.bin_labels[-1] == "unseen" and diagnosis.current_counts[-1] == 1_500
    assert diagnosis.verdict is Verdict.DRIFT


def test_below_the_minimum_sample_size_a_feature_gets_no_verdict_and_never_alarms(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    thresholds = DriftThresholds(min_samples=100, critical_features=frozenset({"mean radius"}))
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, 99, rng)
    current["mean radius"] += 100.0

    report = check_frame(baseline, current, thresholds)

    assert report.feature("mean radius").verdict is Verdict.INSUFFICIENT_DATA
    assert not report.feature("mean radius").drifted
    assert report.drifted is False


def test_a_feature_that_goes_mostly_missing_drifts_on_its_missing_share(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    current.loc[current.index[50:], "mean area"] = np.nan

    feature = check_frame(baseline, current).feature("mean area")

    assert feature.verdict is Verdict.DRIFT
    assert (feature.rows_current, feature.missing_current) == (50, ROWS - 50)
    assert feature.statistics["missing_share_current"] == pytest.approx(0.99)


def test_a_jump_of_missing_values_from_none_to_two_percent_is_found(rng: np.random.Generator) -> None:
    reference = pd.DataFrame({"income": rng.normal(size=10_000), "plan": rng.choice(["a", "b"], 10_000)})
    current = pd.DataFrame({"income": rng.normal(size=10_000), "plan": rng.choice(["a", "b"], 10_000)})
    current.loc[rng.random(10_000) < 0.02, ["income", "plan"]] = np.nan

    report = check_frame(build_baseline(reference, categorical=["plan"]), current)

    assert sorted(report.drifted_features) == ["income", "plan"]


def test_a_missing_share_that_holds_steady_is_no_drift(rng: np.random.Generator) -> None:
    def draw() -> pd.DataFrame:
        frame = pd.DataFrame({"income": rng.normal(size=20_000)})
        frame.loc[rng.random(20_000) < 0.1, "income"] = np.nan
        return frame

    assert check_frame(build_baseline(draw()), draw()).drifted_features == []


def test_a_drifted_critical_feature_makes_the_dataset_drift(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    current["mean radius"] += breast_cancer["mean radius"].std()

    plain = check_frame(baseline, current)
    critical = check_frame(baseline, current, DriftThresholds().with_critical(["mean radius"]))

    assert plain.drifted is False  # one feature of 31 is below the 30% share
    assert critical.drifted is True


def test_the_dataset_drifts_when_the_drifted_share_reaches_the_threshold(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    baseline = build_baseline(_draw(breast_cancer, ROWS, rng))
    current = _draw(breast_cancer, ROWS, rng)
    shifted = list(breast_cancer.columns[:10])
    current[shifted] = current[shifted] + breast_cancer[shifted].std()

    report = check_frame(baseline, current, DriftThresholds(drifted_share=10 / 31))

    assert set(report.drifted_features) == set(shifted)
    assert report.drifted_share == pytest.approx(10 / 31)
    assert report.drifted is True


def test_thresholds_have_the_documented_defaults() -> None:
    thresholds = DriftThresholds()

    assert thresholds.to_dict() == {
        "pvalue": 0.001,
        "wasserstein_normed": 0.05,
        "psi": 0.1,
        "js_distance": 0.05,
        "missing_share": 0.01,
        "drifted_share": 0.3,
        "min_samples": 100,
        "critical_features": [],
    }


def test_invalid_thresholds_are_bad_input_listing_each_problem() -> None:
    with pytest.raises(
        BadInput, match=r"pvalue must be between 0 and 1.*psi must be > 0.*drifted_share must be in"
    ):
        DriftThresholds(pvalue=1, psi=0, drifted_share=1.5)


def test_a_critical_feature_unknown_to_the_baseline_is_bad_input(
    breast_cancer: pd.DataFrame, rng: np.random.Generator
) -> None:
    baseline = build_baseline(_draw(breast_cancer, 500, rng))

    with pytest.raises(BadInput, match="critical feature\\(s\\) not in the baseline: tumour size"):
        check_frame(
            baseline, _draw(breast_cancer, 500, rng), DriftThresholds().with_critical(["tumour size"])
        )
