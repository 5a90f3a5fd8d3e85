"""Evaluate entry point of wine-classifier: multi-class metrics of the test split (AUC one-vs-rest,
macro-averaged F1, precision and recall), as the kit's evaluate step writes them."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score


def metrics(model_dir: Path, test: pd.DataFrame) -> dict[str, float]:
    described = json.loads((Path(model_dir) / "features.json").read_text())
    model = joblib.load(Path(model_dir) / "model.joblib")
    features = test[described["features"]].copy()
    for column in described["categorical"]:
        features[column] = features[column].astype(str)
    truth = test[described["target"]]
    predicted = model.predict(features)
    return {
        "auc": float(roc_auc_score(truth, model.predict_proba(features), multi_class="ovr")),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "precision": float(precision_score(truth, predicted, average="macro", zero_division=0)),
        "recall": float(recall_score(truth, predicted, average="macro", zero_division=0)),
    }
