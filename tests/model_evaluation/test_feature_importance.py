"""Permutation feature importance: a feature the score does not read has none, the one it reads
comes first, a fixed random state repeats the numbers; the summary a version carries fits its limit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mlops_kit.model_evaluation.feature_importance import importance_summary, permutation_importances


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    signal = rng.normal(0, 1, 120)
    return pd.DataFrame(
        {"target": (signal > 0).astype(int), "signal": signal, "noise": rng.normal(0, 1, 120)}
    )


def accuracy_of_the_sign_rule(data: pd.DataFrame) -> float:
    """The score of a 'model' that predicts target = signal > 0; it never reads `noise`."""
    return float(((data["signal"] > 0).astype(int) == data["target"]).mean())


def test_the_feature_the_score_reads_comes_first_and_the_unread_one_has_no_importance() -> None:
    rows = permutation_importances(accuracy_of_the_sign_rule, frame(), ["noise", "signal"])
    assert [r["feature"] for r in rows] == ["signal", "noise"]
    # Shuffling the sign against the target leaves about half the answers right: a drop near 0.5.
    assert 0.3 < rows[0]["importance_mean"] < 0.7
    assert rows[1] == {"feature": "noise", "importance_mean": 0.0, "importance_std": 0.0}


def test_the_fixed_random_state_gives_the_same_numbers_again() -> None:
    first = permutation_importances(accuracy_of_the_sign_rule, frame(), ["signal", "noise"])
    again = permutation_importances(accuracy_of_the_sign_rule, frame(), ["signal", "noise"])
    assert first == again


def test_the_score_sees_every_column_with_only_one_feature_shuffled() -> None:
    seen: list[pd.DataFrame] = []

    def score(data: pd.DataFrame) -> float:
        seen.append(data)
        return 0.0

    data = frame()
    permutation_importances(score, data, ["signal", "noise"], repeats=2)
    assert len(seen) == 1 + 2 * 2  # the baseline, then two shuffles of each feature
    assert all(list(s.columns) == ["target", "signal", "noise"] for s in seen)
    assert all(s["target"].equals(data["target"]) for s in seen)
    assert all(s["noise"].equals(data["noise"]) or s["signal"].equals(data["signal"]) for s in seen)
    assert all(sorted(s["signal"]) == sorted(data["signal"]) for s in seen)


def test_the_summary_keeps_the_most_important_features_that_fit() -> None:
    rows = [{"feature": f"feature_{i:02d}", "importance_mean": 0.5 - i / 100} for i in range(40)]
    summary = importance_summary(rows, limit=200)
    assert list(summary) == [f"feature_{i:02d}" for i in range(len(summary))]
    assert len(json.dumps(summary, separators=(",", ":"))) <= 200
    assert len(summary) < 40
    assert importance_summary(rows[:2]) == {"feature_00": 0.5, "feature_01": 0.49}
