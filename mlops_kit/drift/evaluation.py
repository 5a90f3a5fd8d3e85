"""Verdicts: each feature's statistics against the thresholds, then the dataset's verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_kit.drift.baseline_document import Baseline, CategoricalFeature, Feature, NumericFeature
from mlops_kit.drift.categorical_statistics import categorical_statistics, chi_square_homogeneity
from mlops_kit.drift.histogram import CurrentHistogram, FeatureCounts, histogram_of_frame
from mlops_kit.drift.numeric_statistics import numeric_statistics
from mlops_kit.drift.report import DriftReport, FeatureDrift, Verdict
from mlops_kit.drift.thresholds import DriftThresholds
from mlops_kit.errors import BadInput

_NUMERIC_STATISTICS = ("psi", "ks_statistic", "ks_pvalue", "chi2_pvalue", "wasserstein", "wasserstein_normed")
_CATEGORICAL_STATISTICS = ("chi2_statistic", "chi2_pvalue", "js_distance", "unseen")
_MISSING_STATISTICS = ("missing_share_baseline", "missing_share_current", "missing_pvalue")


def evaluate_drift(
    baseline: Baseline, current: CurrentHistogram, thresholds: DriftThresholds | None = None
) -> DriftReport:
    """Compare current counts with the baseline feature by feature and decide the dataset verdict.

    BadInput if the histogram was made against another baseline, or a critical feature is not
    one of the baseline's.
    """
    thresholds = thresholds or DriftThresholds()
    if current.baseline_fingerprint != baseline.fingerprint:
        raise BadInput(
            "the histogram was made against another baseline "
            f"({current.baseline_fingerprint}, this one is {baseline.fingerprint})"
        )
    unknown = sorted(thresholds.critical_features - set(baseline.feature_names))
    if unknown:
        raise BadInput(f"critical feature(s) not in the baseline: {', '.join(unknown)}")
    uncounted = [name for name in baseline.feature_names if name not in current.features]
    if uncounted:
        raise BadInput(f"the histogram has no counts for feature(s): {', '.join(uncounted)}")
    if current.rows == 0 and current.rows_skipped:
        reasons = ", ".join(f"{rows} {reason}" for reason, rows in sorted(current.skipped.items()))
        raise BadInput(f"no usable rows: all {current.rows_skipped} were skipped ({reasons})")
    results = [
        _feature_drift(feature, current.features[feature.name], thresholds) for feature in baseline.features
    ]
    judged = [result for result in results if result.verdict is not Verdict.INSUFFICIENT_DATA]
    drifted = [result for result in judged if result.drifted]
    share = len(drifted) / len(judged) if judged else 0.0
    dataset_drifted = bool(judged) and (
        share >= thresholds.drifted_share or any(result.critical for result in drifted)
    )
    # Drifted features first; sorted() is stable, so the baseline's order holds within each group.
    ordered = sorted(results, key=lambda result: not result.drifted)
    return DriftReport(
        drifted=dataset_drifted,
        drifted_share=share,
        features=tuple(ordered),
        rows_baseline=baseline.rows,
        rows_current=current.rows,
        rows_skipped=current.rows_skipped,
        data_quality=_dataset_quality(current),
        thresholds=thresholds.to_dict(),
        baseline_fingerprint=baseline.fingerprint,
    )


def check_frame(
    baseline: Baseline,
    frame: pd.DataFrame,
    thresholds: DriftThresholds | None = None,
    *,
    threads: int | None = None,
) -> DriftReport:
    """Drift report of one in-memory frame against the baseline."""
    return evaluate_drift(baseline, histogram_of_frame(frame, baseline, threads=threads), thresholds)


def _feature_drift(feature: Feature, current: FeatureCounts, thresholds: DriftThresholds) -> FeatureDrift:
    if len(current.counts) != len(feature.counts):
        raise BadInput(f"feature {feature.name!r}: histogram does not have the baseline's bins")
    rows_baseline, rows_current = int(feature.counts.sum()), int(current.counts.sum())
    present_enough = min(rows_baseline, rows_current) >= thresholds.min_samples
    rows_enough = (
        min(rows_baseline + feature.missing, rows_current + current.missing) >= thresholds.min_samples
    )
    if isinstance(feature, NumericFeature):
        statistics, threshold, shape_drifted = _numeric_verdict(feature, current, thresholds)
        labels = _numeric_bin_labels(feature.edges)
    else:
        statistics, threshold, shape_drifted = _categorical_verdict(feature, current, thresholds)
        labels = (*feature.categories, "unseen")
    missing_statistics, missing_drifted = _missing_verdict(feature, current, thresholds)
    statistics.update(missing_statistics)
    # A feature that went (mostly) missing drifts on its missing share even with too few values
    # left for its shape to be judged.
    if rows_enough and missing_drifted:
        verdict = Verdict.DRIFT
    elif not (rows_enough and present_enough):
        verdict = Verdict.INSUFFICIENT_DATA
    else:
        verdict = Verdict.DRIFT if shape_drifted else Verdict.NO_DRIFT
    return FeatureDrift(
        name=feature.name,
        kind=feature.kind,
        verdict=verdict,
        critical=feature.name in thresholds.critical_features,
        rows_baseline=rows_baseline,
        rows_current=rows_current,
        missing_current=current.missing,
        quality=_feature_quality(feature.name, current, rows_current),
        statistics=statistics,
        threshold=threshold,
        bin_labels=labels,
        baseline_counts=tuple(feature.counts.tolist()),
        current_counts=tuple(current.counts.tolist()),
    )


def _numeric_verdict(
    feature: NumericFeature, current: FeatureCounts, thresholds: DriftThresholds
) -> tuple[dict[str, float | int | None], dict[str, float], bool]:
    threshold = thresholds.numeric()
    if not (feature.counts.sum() and current.counts.sum()):
        return dict.fromkeys(_NUMERIC_STATISTICS), threshold, False
    result = numeric_statistics(feature.counts, current.counts, feature.bin_means, feature.std)
    statistics: dict[str, float | int | None] = {
        "psi": result.psi,
        "ks_statistic": result.ks_statistic,
        "ks_pvalue": result.ks_pvalue,
        "chi2_pvalue": result.chi2_pvalue,
        "wasserstein": result.wasserstein,
        "wasserstein_normed": result.wasserstein_normed,
    }
    significant = min(result.ks_pvalue, result.chi2_pvalue) < thresholds.pvalue
    normed = result.wasserstein_normed
    material = result.psi >= thresholds.psi or (
        normed is not None and normed >= thresholds.wasserstein_normed
    )
    return statistics, threshold, significant and material


def _categorical_verdict(
    feature: CategoricalFeature, current: FeatureCounts, thresholds: DriftThresholds
) -> tuple[dict[str, float | int | None], dict[str, float], bool]:
    threshold = thresholds.categorical()
    if not (feature.counts.sum() and current.counts.sum()):
        empty: dict[str, float | int | None] = dict.fromkeys(_CATEGORICAL_STATISTICS)
        empty["unseen"] = int(current.counts[-1])
        return empty, threshold, False
    result = categorical_statistics(feature.counts, current.counts)
    statistics: dict[str, float | int | None] = {
        "chi2_statistic": result.chi2_statistic,
        "chi2_pvalue": result.chi2_pvalue,
        "js_distance": result.js_distance,
        "unseen": result.unseen,
    }
    drifted = result.chi2_pvalue < thresholds.pvalue and result.js_distance >= thresholds.js_distance
    return statistics, threshold, drifted


def _missing_verdict(
    feature: Feature, current: FeatureCounts, thresholds: DriftThresholds
) -> tuple[dict[str, float | int | None], bool]:
    """The missing shares on both sides and the chi-square test that they are the same."""
    baseline_total = int(feature.counts.sum()) + feature.missing
    current_total = int(current.counts.sum()) + current.missing
    if not (baseline_total and current_total):
        return dict.fromkeys(_MISSING_STATISTICS), False
    baseline_share, current_share = feature.missing / baseline_total, current.missing / current_total
    _, pvalue = chi_square_homogeneity(
        np.array([baseline_total - feature.missing, feature.missing], dtype=np.int64),
        np.array([current_total - current.missing, current.missing], dtype=np.int64),
    )
    statistics: dict[str, float | int | None] = {
        "missing_share_baseline": baseline_share,
        "missing_share_current": current_share,
        "missing_pvalue": pvalue,
    }
    drifted = pvalue < thresholds.pvalue and abs(current_share - baseline_share) >= thresholds.missing_share
    return statistics, drifted


def _feature_quality(name: str, current: FeatureCounts, rows_current: int) -> dict[str, int | float | bool]:
    """Counts of one feature's problems in the current data (none of them fatal)."""
    total = rows_current + current.missing
    return {
        "missing_share": current.missing / total if total else 0.0,
        "below_range": current.below_range,
        "above_range": current.above_range,
        "invalid": current.invalid,
    }


def _dataset_quality(current: CurrentHistogram) -> dict[str, object]:
    """The window's schema violations and skipped rows, for the report."""
    return {
        "rows_skipped": dict(sorted(current.skipped.items())),
        "missing_columns": sorted(current.missing_columns),
        "extra_columns": sorted(current.extra_columns),
    }


def _numeric_bin_labels(edges: np.ndarray) -> tuple[str, ...]:
    cuts = [f"{edge:.4g}" for edge in edges.tolist()]
    if not cuts:
        return ("all values",)
    inner = [f"({low}, {high}]" for low, high in zip(cuts, cuts[1:])]
    return (f"<= {cuts[0]}", *inner, f"> {cuts[-1]}")
