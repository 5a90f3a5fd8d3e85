"""Evaluate entry point of tumor-classifier: the binary classification metrics of the test split.

The kit's evaluate step calls `metrics(model_dir, test)` with the unpacked model.tar.gz and the test
split (target first, then the schema's features) and writes what it returns to evaluation.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

TARGET = "target"


def metrics(model_dir: Path, test: pd.DataFrame) -> dict[str, float]:
    model = joblib.load(Path(model_dir) / "model.joblib")
    features = json.loads((Path(model_dir) / "features.json").read_text())["features"]
    truth = test[TARGET]
    probability = model.predict_proba(test[features])[:, 1]
    predicted = (probability >= 0.5).astype(int)
    return {
        "auc": float(roc_auc_score(truth, probability)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, zero_division=0)),
        "precision": float(precision_score(truth, predicted, zero_division=0)),
        "recall": float(recall_score(truth, predicted, zero_division=0)),
    }
