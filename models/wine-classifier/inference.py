"""Inference entry point of wine-classifier for the scikit-learn image (model_fn, input_fn,
predict_fn, output_fn).

Requests: `text/csv` rows of the features in the schema's order (no header; `alcohol_level` as
low, medium or high), or `application/json` as `{"instances": [[...], ...]}` or a list of
`{feature: value}` objects. Responses: JSON `{"predictions": [{"label": cultivar, "probability": p,
"probabilities": [p0, p1, p2]}, ...]}`, p being the probability of the predicted cultivar.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd


class Model:
    """The fitted pipeline, the feature order, the categorical features and the classes."""

    def __init__(self, estimator: Any, described: dict[str, Any]) -> None:
        self.estimator = estimator
        self.features = [str(f) for f in described["features"]]
        self.categorical = [str(f) for f in described.get("categorical", [])]
        self.classes = [int(c) for c in described["classes"]]


def model_fn(model_dir: str) -> Model:
    folder = Path(model_dir)
    return Model(joblib.load(folder / "model.joblib"), json.loads((folder / "features.json").read_text()))


def input_fn(body: bytes | str, content_type: str, model: Model | None = None) -> pd.DataFrame:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    kind = (content_type or "text/csv").split(";")[0].strip().lower()
    if kind == "text/csv":
        return pd.read_csv(io.StringIO(text), header=None)
    if kind == "application/json":
        data = json.loads(text)
        rows = data.get("instances", data) if isinstance(data, dict) else data
        return pd.DataFrame(rows)
    raise ValueError(f"unsupported content type {content_type!r} (use text/csv or application/json)")


def _align(frame: pd.DataFrame, model: Model) -> pd.DataFrame:
    if all(isinstance(c, str) for c in frame.columns):
        missing = [f for f in model.features if f not in frame.columns]
        if missing:
            raise ValueError(f"request is missing feature(s): {', '.join(missing)}")
        frame = frame[model.features].copy()
    elif frame.shape[1] != len(model.features):
        raise ValueError(f"each row needs {len(model.features)} values, got {frame.shape[1]}")
    else:
        frame = frame.copy()
        frame.columns = model.features
    for column in model.categorical:
        frame[column] = frame[column].astype(str)
    numeric = [f for f in model.features if f not in model.categorical]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="raise")
    return frame


def predict_fn(data: pd.DataFrame, model: Model) -> list[dict[str, Any]]:
    probabilities = np.asarray(model.estimator.predict_proba(_align(data, model)))
    return [
        {
            "label": model.classes[int(row.argmax())],
            "probability": round(float(row.max()), 6),
            "probabilities": [round(float(p), 6) for p in row],
        }
        for row in probabilities
    ]


def output_fn(prediction: list[dict[str, Any]], accept: str = "application/json") -> str:
    kind = (accept or "application/json").split(";")[0].strip().lower()
    if kind in ("application/json", "*/*"):
        return json.dumps({"predictions": prediction})
    if kind == "text/csv":
        return "\n".join(f"{p['label']},{p['probability']}" for p in prediction) + "\n"
    raise ValueError(f"unsupported accept type {accept!r}")
