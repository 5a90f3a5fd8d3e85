"""Drift engine: compare current data with the training baseline, feature by feature.

Pure: no AWS, no printing. Data flows as

    build_baseline(training frame) -> Baseline -> .to_json()   (training pipeline, preprocess step)
    current data -> CurrentHistogram (one per shard) -> + -> evaluate_drift -> DriftReport
    DriftReport -> .to_json() (CLI --json) / render_html_report()
"""

from mlops_kit.drift.baseline import (
    BASELINE_FORMAT_VERSION,
    Baseline,
    BaselineError,
    CategoricalFeature,
    NumericFeature,
    build_baseline,
)
from mlops_kit.drift.capture import (
    TimeWindow,
    capture_frame,
    histogram_of_capture,
    histogram_of_capture_keys,
    histogram_of_capture_lines,
)
from mlops_kit.drift.evaluation import check_frame, evaluate_drift
from mlops_kit.drift.histogram import (
    CurrentHistogram,
    FeatureCounts,
    empty_histogram,
    histogram_of_frame,
    merge_histograms,
)
from mlops_kit.drift.html_report import render_html_report
from mlops_kit.drift.loading import load_baseline
from mlops_kit.drift.report import DriftReport, FeatureDrift, Verdict
from mlops_kit.drift.sources import (
    LocalDirectoryStore,
    ObjectStore,
    histogram_of_files,
    histogram_of_keys,
    histogram_of_prefix,
    keys_for_shard,
    read_table,
)
from mlops_kit.drift.thresholds import DriftThresholds

__all__ = [
    "BASELINE_FORMAT_VERSION",
    "Baseline",
    "BaselineError",
    "CategoricalFeature",
    "CurrentHistogram",
    "DriftReport",
    "DriftThresholds",
    "FeatureCounts",
    "FeatureDrift",
    "LocalDirectoryStore",
    "NumericFeature",
    "ObjectStore",
    "TimeWindow",
    "Verdict",
    "build_baseline",
    "capture_frame",
    "check_frame",
    "empty_histogram",
    "evaluate_drift",
    "histogram_of_capture",
    "histogram_of_capture_keys",
    "histogram_of_capture_lines",
    "histogram_of_files",
    "histogram_of_frame",
    "histogram_of_keys",
    "histogram_of_prefix",
    "keys_for_shard",
    "load_baseline",
    "merge_histograms",
    "read_table",
    "render_html_report",
]
