"""What a drift run publishes: the report document under the drift report prefix, and the metrics.

Pure (no AWS): the CLI's service and the drift pipeline's merge step both build the same document
and the same metric data from a `DriftReport`, then write them with their own clients. Shipped as
source with the rest of the package into the drift pipeline's containers.

The document is the report (`DriftReport.to_dict()`) plus `generated_at` and where the data came
from; it is stored as `<drift report prefix>/<UTC time>.json`, e.g. `2026-11-25T09-00-00Z.json`, the
contract the promotion drift gate reads (`mlops_kit.promotion.drift_status`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from mlops_kit.drift.report import DriftReport

DRIFT_NAMESPACE = "mlops-kit/drift"
DATASET_DRIFT_METRIC = "DatasetDrift"
DRIFTED_SHARE_METRIC = "DriftedShare"
FEATURE_DRIFT_METRIC = "FeatureDrift"
# 1/0 per Environment and Model (any served variant's answers drifted), and per Variant too.
PREDICTION_DRIFT_METRIC = "PredictionDrift"
# PutMetricData takes up to 1,000 metrics a call; 20 keeps each request small and old emulators happy.
METRICS_PER_CALL = 20


def report_name(generated_at: datetime) -> str:
    """`2026-11-25T09-00-00Z.json`: the report's file name, which sorts by time."""
    return f"{generated_at.astimezone(timezone.utc):%Y-%m-%dT%H-%M-%SZ}.json"


def report_document(
    report: DriftReport, generated_at: datetime, context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored report: the report's fields, `generated_at` (ISO 8601, UTC) and `context`
    (environment, model, baseline and current data sources, window...)."""
    document = report.to_dict()
    document["generated_at"] = generated_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    document.update(context or {})
    return document


def report_json(document: Mapping[str, Any]) -> str:
    """The document as strict JSON."""
    return json.dumps(document, indent=2, allow_nan=False)


def metric_data(
    report: DriftReport, *, environment: str, model: str, timestamp: datetime
) -> list[dict[str, Any]]:
    """CloudWatch MetricData: `DatasetDrift` (1/0) and `DriftedShare` per dataset, `FeatureDrift`
    (1/0) per feature with a verdict; dimensions Environment, Model (and Feature)."""
    dimensions = [{"Name": "Environment", "Value": environment}, {"Name": "Model", "Value": model}]
    data: list[dict[str, Any]] = [
        {
            "MetricName": DATASET_DRIFT_METRIC,
            "Dimensions": dimensions,
            "Timestamp": timestamp,
            "Value": 1.0 if report.drifted else 0.0,
            "Unit": "Count",
        },
        {
            "MetricName": DRIFTED_SHARE_METRIC,
            "Dimensions": dimensions,
            "Timestamp": timestamp,
            "Value": float(report.drifted_share),
            "Unit": "None",
        },
    ]
    for feature in report.features:
        if feature.verdict == "insufficient_data":
            continue
        data.append(
            {
                "MetricName": FEATURE_DRIFT_METRIC,
                "Dimensions": [*dimensions, {"Name": "Feature", "Value": feature.name}],
                "Timestamp": timestamp,
                "Value": 1.0 if feature.drifted else 0.0,
                "Unit": "Count",
            }
        )
    return data


def metric_batches(data: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """`data` in PutMetricData-sized batches."""
    return [data[start : start + METRICS_PER_CALL] for start in range(0, len(data), METRICS_PER_CALL)]


def prediction_metric_data(
    drifted_by_variant: Mapping[str, bool], *, environment: str, model: str, timestamp: datetime
) -> list[dict[str, Any]]:
    """CloudWatch MetricData of prediction drift: `PredictionDrift` (1/0) of the model (any variant
    compared drifted) and of each compared variant. Nothing when no variant could be compared."""
    if not drifted_by_variant:
        return []
    dimensions = [{"Name": "Environment", "Value": environment}, {"Name": "Model", "Value": model}]

    def datum(value: bool, extra: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "MetricName": PREDICTION_DRIFT_METRIC,
            "Dimensions": [*dimensions, *extra],
            "Timestamp": timestamp,
            "Value": 1.0 if value else 0.0,
            "Unit": "Count",
        }

    return [datum(any(drifted_by_variant.values()), [])] + [
        datum(drifted, [{"Name": "Variant", "Value": variant}])
        for variant, drifted in sorted(drifted_by_variant.items())
    ]
