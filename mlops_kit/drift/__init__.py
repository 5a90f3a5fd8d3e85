"""Drift engine: compare current data with the training baseline, feature by feature.

Pure: no AWS (S3 comes in through an `ObjectStore` the caller passes), no printing. The pieces:

    # training pipeline, preprocess step (baseline.py and baseline_document.py ship as source)
    document = build_baseline(train_frame, categorical=[...], metadata={...}).to_json()
    # or from a data file (`kit drift baseline`), or a sample of a large Parquet file's row groups
    baseline = baseline_of_frame(read_data_file(path), categorical=[...])   # BadInput if unusable
    baseline = baseline_of_parquet_sample(path, sample_rows=200_000)

    # drift job: each shard counts its part, a last step merges and judges
    baseline = load_baseline(text, source=uri)                        # BadInput if invalid
    shard = histogram_of_capture_keys(store, keys_for_shard(keys, i, n), baseline, TimeWindow(a, b))
    shard.to_json()  ->  CurrentHistogram.from_json(...)  ->  merge_histograms(baseline, shards)
    report = evaluate_drift(baseline, merged, DriftThresholds(...))
    histogram_of_parquet(path, baseline)   # a Parquet file row group by row group, bounded memory
    report.to_json()                 # what `kit drift run --json` prints, data quality included
    render_html_report(report)       # self-contained page
    # the caller raises mlops_kit.errors.DriftFound when report.drifted

Shard-then-merge gives exactly the answer of one run over all the data: histograms hold only
integer counts in the baseline's bins.
"""

from mlops_kit.drift.baseline import build_baseline
from mlops_kit.drift.baseline_document import (
    BASELINE_FORMAT_VERSION,
    Baseline,
    BaselineError,
    CategoricalFeature,
    NumericFeature,
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
from mlops_kit.drift.loading import (
    baseline_of_frame,
    baseline_of_table,
    load_baseline,
    read_data_file,
    read_data_table,
)
from mlops_kit.drift.parquet_streaming import baseline_of_parquet_sample, histogram_of_parquet
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
    "baseline_of_frame",
    "baseline_of_parquet_sample",
    "baseline_of_table",
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
    "histogram_of_parquet",
    "histogram_of_prefix",
    "keys_for_shard",
    "load_baseline",
    "merge_histograms",
    "read_data_file",
    "read_data_table",
    "read_table",
    "render_html_report",
]
