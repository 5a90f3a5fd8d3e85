"""The quality of a window's answers: joined with labels by inference id, per variant."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlops_kit.quality import answers_of_capture, evaluate_quality
from mlops_kit.quality.evaluation import roc_auc


def capture_line(
    inference_id: str | None, answers: list[tuple[int, float]], at: str = "2026-12-02T10:00:00Z"
) -> str:
    metadata = {"eventId": "e", "inferenceTime": at}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    data = json.dumps({"predictions": [{"label": label, "probability": p} for label, p in answers]})
    return json.dumps(
        {
            "captureData": {"endpointOutput": {"data": data, "encoding": "JSON", "mode": "OUTPUT"}},
            "eventMetadata": metadata,
        }
    )


def test_auc_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500) * 0.5 + truth * 0.3, 2)  # rounded: many ties
    assert roc_auc(truth, scores) == pytest.approx(roc_auc_score(truth, scores))
    assert roc_auc(np.ones(3, dtype=int), np.array([0.1, 0.2, 0.3])) is None


def test_answers_join_labels_by_inference_id_per_variant() -> None:
    lines = {
        "primary": [
            capture_line("a", [(1, 0.9)]),
            capture_line("b", [(0, 0.2)]),
            capture_line("c", [(1, 0.6)]),
        ],
        "canary": [capture_line("d", [(0, 0.4)])],
    }
    answers, skipped = answers_of_capture(lines)
    report = evaluate_quality(
        answers, {"a": 1, "b": 0, "c": 0, "d": 1}, skipped, {"primary": ("ep-v3", 3), "canary": ("ep-v4", 4)}
    )
    by_variant = {q.variant: q for q in report.variants}
    assert by_variant["primary"].labelled == 3 and by_variant["primary"].accuracy == pytest.approx(2 / 3)
    assert by_variant["primary"].auc == pytest.approx(1.0)  # 0.9 > 0.6, 0.2 ranks the truths right
    assert (by_variant["canary"].version, by_variant["canary"].accuracy, by_variant["canary"].auc) == (
        4,
        0.0,
        None,
    )
    assert report.overall is not None and report.overall.labelled == 4
    assert report.skipped == {}


def test_what_cannot_be_joined_is_counted_by_reason() -> None:
    lines = {
        "primary": [
            capture_line("a", [(1, 0.9)]),
            capture_line("dup", [(1, 0.9)]),
            capture_line("dup", [(0, 0.1)]),
            capture_line("many", [(1, 0.9), (0, 0.1)]),
            capture_line(None, [(1, 0.9)]),  # no id: nobody can label it, not an error
            capture_line("late", [(1, 0.9)], at="2026-12-01T10:00:00Z"),
            "{cut mid-li",
        ]
    }
    from datetime import UTC, datetime

    from mlops_kit.drift import TimeWindow

    window = TimeWindow(datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 11, tzinfo=UTC))
    answers, skipped = answers_of_capture(lines, window)
    report = evaluate_quality(answers, {"a": 1, "dup": 1, "late": 1, "nobody": 0}, skipped)
    assert report.overall is not None and report.overall.labelled == 1
    assert report.skipped == {
        "corrupt": 1,
        "multi_row_requests": 1,
        "duplicated_in_capture": 2,
        "unknown_ids": 2,  # "late" is outside the window, "nobody" was never captured
    }


def test_nothing_labelled_is_not_usable() -> None:
    answers, skipped = answers_of_capture({"primary": [capture_line("a", [(1, 0.9)])]})
    report = evaluate_quality(answers, {"zzz": 1}, skipped)
    assert not report.usable and report.skipped == {"unknown_ids": 1}
