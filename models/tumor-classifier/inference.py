"""Inference entry point of tumor-classifier for the scikit-learn image (model_fn, input_fn,
predict_fn, output_fn).

Requests: `text/csv` rows of the features in training order (no header), or `application/json` as
`{"instances": [[...], ...]}` or a list of `{feature: value}` objects. Responses: JSON
`{"predictions": [{"label": 0|1, "probability": p}, ...]}`, p being the probability of label 1.
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
    """The fitted scikit-learn pipeline and the feature order it expects."""

    def __init__(self, estimator: Any, features: list[str]) -> None:
        self.estimator = estimator
        self.features = features


def model_fn(model_dir: str) -> Model:
    folder = Path(model_dir)
    features = json.loads((folder / "features.json").read_text())["features"]
    return Model(joblib.load(folder / "model.joblib"), [str(f) for f in features])


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
        return frame[model.features]
    if frame.shape[1] != len(model.features):
        raise ValueError(f"each row needs {len(model.features)} values, got {frame.shape[1]}")
    frame = frame.copy()
    frame.columns = model.features
    return frame


def predict_fn(data: pd.DataFrame, model: Model) -> list[dict[str, float | int]]:
    frame = _align(data, model)
    probabilities = np.asarray(model.estimator.predict_proba(frame))[:, 1]
    return [{"label": int(p >= 0.5), "probability": round(float(p), 6)} for p in probabilities]


def output_fn(prediction: list[dict[str, float | int]], accept: str = "application/json") -> str:
    kind = (accept or "application/json").split(";")[0].strip().lower()
    if kind in ("application/json", "*/*"):
        return json.dumps({"predictions": prediction})
    if kind == "text/csv":
        return "\n".join(f"{p['label']},{p['probability']}" for p in prediction) + "\n"
    raise ValueError(f"unsupported accept type {accept!r}")
