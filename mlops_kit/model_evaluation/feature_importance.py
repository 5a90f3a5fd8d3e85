"""Permutation feature importance: how much a model's score drops when one feature's values are
shuffled among the evaluation rows, the other columns untouched (scikit-learn's
`permutation_importance`, with a fixed random state so a re-run gives the same numbers).

The score is one metric of the model's own evaluate function, so importance is measured the way the
model is judged, whatever its framework or its way of loading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

REPEATS = 5
RANDOM_STATE = 0


class _Scored:
    """The estimator scikit-learn permutes around: fitted already, scored by the caller's function."""

    def fit(self, *_: Any) -> _Scored:
        return self


def permutation_importances(
    score: Callable[[pd.DataFrame], float],
    frame: pd.DataFrame,
    features: list[str],
    *,
    repeats: int = REPEATS,
    random_state: int = RANDOM_STATE,
) -> list[dict[str, Any]]:
    """Per feature of `frame`, the mean and standard deviation over `repeats` shuffles of
    `score(frame) - score(frame with that feature shuffled)`; most important first (ties by name)."""
    from sklearn.inspection import permutation_importance

    frame = frame.reset_index(drop=True)

    def scorer(_estimator: Any, shuffled: pd.DataFrame, _y: Any) -> float:
        whole = frame.copy()
        for column in features:
            whole[column] = shuffled[column].to_numpy()
        return float(score(whole))

    result = permutation_importance(
        _Scored(),
        frame[features],
        None,
        scoring=scorer,
        n_repeats=repeats,
        random_state=random_state,
    )
    rows = [
        {
            "feature": name,
            "importance_mean": round(float(result.importances_mean[i]), 6),
            "importance_std": round(float(result.importances_std[i]), 6),
        }
        for i, name in enumerate(features)
    ]
    return sorted(rows, key=lambda r: (-r["importance_mean"], r["feature"]))


def importance_summary(rows: list[dict[str, Any]], *, limit: int = 1000) -> dict[str, float]:
    """The most important features' mean importances, as many as fit in `limit` characters of
    compact JSON (a registry metadata value holds 1024): the summary a version carries."""
    import json

    summary: dict[str, float] = {}
    for row in rows:
        summary[row["feature"]] = row["importance_mean"]
        if len(json.dumps(summary, separators=(",", ":"))) > limit:
            del summary[row["feature"]]
            break
    return summary
