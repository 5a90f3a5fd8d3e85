"""Model quality with ground truth, pure: labels as users upload them (keyed by the capture's
inference id) and the quality of a window's answers joined with them (accuracy, AUC).

What reads and writes S3 and CloudWatch is `mlops_kit.monitoring.quality_check`.
"""

from mlops_kit.quality.evaluation import (
    CapturedAnswer,
    QualityReport,
    VariantQuality,
    answers_of_capture,
    evaluate_quality,
)
from mlops_kit.quality.labels import (
    LabelBatch,
    labels_jsonl,
    labels_of_frame,
    merge_label_batches,
    parse_labels_jsonl,
)

__all__ = [
    "CapturedAnswer",
    "LabelBatch",
    "QualityReport",
    "VariantQuality",
    "answers_of_capture",
    "evaluate_quality",
    "labels_jsonl",
    "labels_of_frame",
    "merge_label_batches",
    "parse_labels_jsonl",
]
