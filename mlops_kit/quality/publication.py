"""What a quality check publishes to CloudWatch: `ModelAccuracy`, `ModelAUC` and
`LabelledAnswers` of the model (dimensions Environment, Model) and of each variant (and Variant),
in the kit's monitoring namespace (the drift metrics' namespace, which the roles may write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlops_kit.drift.publication import DRIFT_NAMESPACE
from mlops_kit.quality.evaluation import QualityReport, VariantQuality

QUALITY_NAMESPACE = DRIFT_NAMESPACE
ACCURACY_METRIC = "ModelAccuracy"
AUC_METRIC = "ModelAUC"
LABELLED_METRIC = "LabelledAnswers"
# The gate metric each published metric stands for (`gates.min_metrics`).
GATED_METRICS = {"auc": AUC_METRIC, "accuracy": ACCURACY_METRIC}


def quality_metric_data(
    report: QualityReport, *, environment: str, model: str, timestamp: datetime
) -> list[dict[str, Any]]:
    """MetricData of the report (nothing when no answer was labelled)."""
    if report.overall is None:
        return []
    dimensions = [{"Name": "Environment", "Value": environment}, {"Name": "Model", "Value": model}]
    data: list[dict[str, Any]] = []

    def add(quality: VariantQuality, extra: list[dict[str, str]]) -> None:
        values = {
            ACCURACY_METRIC: quality.accuracy,
            AUC_METRIC: quality.auc,
            LABELLED_METRIC: quality.labelled,
        }
        for name, value in values.items():
            if value is not None:
                data.append(
                    {
                        "MetricName": name,
                        "Dimensions": [*dimensions, *extra],
                        "Timestamp": timestamp,
                        "Value": float(value),
                        "Unit": "Count" if name == LABELLED_METRIC else "None",
                    }
                )

    add(report.overall, [])
    for variant in report.variants:
        add(variant, [{"Name": "Variant", "Value": variant.variant}])
    return data
