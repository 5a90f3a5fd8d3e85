"""Verdicts on large samples: moderate shifts are found, sampling noise and trivia are not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_kit.drift import build_baseline, check_frame


def _normal_frame(rows: int, rng: np.random.Generator, *, mean: float = 0.0, sd: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"x": rng.normal(mean, sd, rows), "y": rng.normal(5.0, 2.0, rows)})


def test_a_mean_shift_of_three_tenths_of_a_standard_deviation_at_100k_rows_is_found(
    rng: np.random.Generator,
) -> None:
    baseline = build_baseline(_normal_frame(100_000, rng))

    report = check_frame(baseline, _normal_frame(100_000, rng, mean=0.3))

    assert report.drifted_features == ["x"]


def test_a_spread_half_as_wide_again_at_100k_rows_is_found(rng: np.random.Generator) -> None:
    baseline = build_baseline(_normal_frame(100_000, rng))

    report = check_frame(baseline, _normal_frame(100_000, rng, sd=1.5))

    assert report.drifted_features == ["x"]


def test_data_without_drift_at_1m_rows_raises_no_alarm(rng: np.random.Generator) -> None:
    baseline = build_baseline(_normal_frame(1_000_000, rng))

    report = check_frame(baseline, _normal_frame(1_000_000, rng))

    assert report.drifted_features == []


def test_a_trivial_shift_at_1m_rows_is_significant_but_not_drift(rng: np.random.Generator) -> None:
    baseline = build_baseline(_normal_frame(1_000_000, rng))

    feature = check_frame(baseline, _normal_frame(1_000_000, rng, mean=0.02)).feature("x")

    assert feature.statistics["ks_pvalue"] < 0.001  # type: ignore[operator]
    assert feature.drifted is False
