"""The quality of a window's answers: captured answers joined with their labels by inference id,
accuracy and AUC per variant (the version it serves) and over all.

An answer can be joined when its capture line carries an `inferenceId` and answers one row (a
request of several rows has one id for all of them). What cannot be used is counted by reason:
labels whose id no answer in the window carries ("unknown_ids"), ids captured more than once
("duplicated_in_capture"), answered requests of several rows with an id ("multi_row_requests"),
lines that cannot be decoded ("corrupt").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_kit.drift.capture import TimeWindow, iso_time


@dataclass(frozen=True)
class CapturedAnswer:
    inference_id: str
    variant: str
    label: int
    probability: float | None


@dataclass(frozen=True)
class VariantQuality:
    """Accuracy and AUC of one variant's labelled answers (AUC None with one class only)."""

    variant: str
    labelled: int
    accuracy: float
    auc: float | None
    model_name: str | None = None
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "model_name": self.model_name,
            "version": self.version,
            "labelled": self.labelled,
            "accuracy": self.accuracy,
            "auc": self.auc,
        }


@dataclass(frozen=True)
class QualityReport:
    overall: VariantQuality | None
    variants: tuple[VariantQuality, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.overall is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict() if self.overall else None,
            "variants": [v.to_dict() for v in self.variants],
            "skipped": dict(self.skipped),
        }


def answers_of_capture(
    lines_by_variant: Mapping[str, Iterable[str | bytes]], window: TimeWindow | None = None
) -> tuple[list[CapturedAnswer], dict[str, int]]:
    """The joinable answers inside the window, and what was left out by reason."""
    answers: list[CapturedAnswer] = []
    skipped = {"corrupt": 0, "multi_row_requests": 0}
    for variant, lines in lines_by_variant.items():
        for line in lines:
            text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
            if not text.strip():
                continue
            try:
                answer = _answer(text, variant, window)
            except _MultiRow:
                skipped["multi_row_requests"] += 1
                continue
            except (ValueError, KeyError, TypeError, AttributeError):
                skipped["corrupt"] += 1
                continue
            if answer is not None:
                answers.append(answer)
    return answers, {reason: count for reason, count in skipped.items() if count}


class _MultiRow(ValueError):
    pass


def _answer(text: str, variant: str, window: TimeWindow | None) -> CapturedAnswer | None:
    record = json.loads(text)
    metadata = record["eventMetadata"]
    identifier = metadata.get("inferenceId")
    if not identifier:
        return None  # nobody can label it
    if window is not None and not window.contains(iso_time(metadata["inferenceTime"])):
        return None
    output = record["captureData"]["endpointOutput"]
    data = output["data"]
    if str(output.get("encoding", "")).upper() == "BASE64":
        import base64

        data = base64.b64decode(data, validate=True).decode("utf-8")
    payload = json.loads(data)
    predictions = payload["predictions"] if isinstance(payload, dict) else payload
    if not isinstance(predictions, list) or len(predictions) != 1:
        raise _MultiRow(identifier)
    (answer,) = predictions
    label = int(answer["label"])
    probability = answer.get("probability")
    return CapturedAnswer(
        str(identifier), variant, label, None if probability is None else float(probability)
    )


def evaluate_quality(
    answers: list[CapturedAnswer],
    labels: Mapping[str, int],
    skipped: Mapping[str, int] | None = None,
    served: Mapping[str, tuple[str | None, int | None]] | None = None,
) -> QualityReport:
    """Join answers and labels by inference id; accuracy and AUC per variant and over all.
    `served`: variant -> (model name, version) for the report."""
    counted = dict(skipped or {})
    by_id: dict[str, list[CapturedAnswer]] = {}
    for answer in answers:
        by_id.setdefault(answer.inference_id, []).append(answer)
    duplicated = {i for i, found in by_id.items() if len(found) > 1}
    if duplicated:
        counted["duplicated_in_capture"] = sum(len(by_id[i]) for i in duplicated)
    unknown = [i for i in labels if i not in by_id]
    if unknown:
        counted["unknown_ids"] = len(unknown)
    joined = [(by_id[i][0], truth) for i, truth in labels.items() if i in by_id and i not in duplicated]
    variants: dict[str, list[tuple[CapturedAnswer, int]]] = {}
    for answer, truth in joined:
        variants.setdefault(answer.variant, []).append((answer, truth))
    served = served or {}
    per_variant = tuple(
        _quality(variant, pairs, *served.get(variant, (None, None)))
        for variant, pairs in sorted(variants.items())
    )
    overall = _quality("all", joined, None, None) if joined else None
    return QualityReport(overall, per_variant, {k: v for k, v in counted.items() if v})


def _quality(
    variant: str, pairs: list[tuple[CapturedAnswer, int]], model_name: str | None, version: int | None
) -> VariantQuality:
    truth = np.array([t for _, t in pairs])
    predicted = np.array([a.label for a, _ in pairs])
    scores = [a.probability for a, _ in pairs]
    auc = roc_auc(truth, np.array(scores, dtype=float)) if all(s is not None for s in scores) else None
    return VariantQuality(
        variant, len(pairs), float(np.mean(truth == predicted)), auc, model_name=model_name, version=version
    )


def roc_auc(truth: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U over average ranks); None with one class only."""
    positives = int(truth.sum())
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0:
        return None
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks of ties.
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    value = (ranks[truth == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return None if math.isnan(value) else float(value)
