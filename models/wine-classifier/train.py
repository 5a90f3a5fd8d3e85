"""Train entry point of wine-classifier: a random forest over the wine measurements and the
one-hot encoded `alcohol_level`; SageMaker script mode.

The feature types and categories come from the contract: the kit ships the model's schema as
`schema.json` beside this script. Paths come from SM_* variables (SM_CHANNEL_TRAIN,
SM_CHANNEL_VALIDATION, SM_MODEL_DIR, SM_OUTPUT_DIR). The model folder gets model.joblib,
features.json, hyperparameters.json and code/ (inference.py and schema.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent


def read_channel(variable: str) -> pd.DataFrame:
    folder = Path(os.environ[variable])
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise ValueError(f"channel {variable} ({folder}) holds no CSV file")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def fail(message: str) -> int:
    """Report a failure the SageMaker way: /opt/ml/output/failure, then a non-zero exit."""
    output = Path(os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output"))
    output.mkdir(parents=True, exist_ok=True)
    (output / "failure").write_text(message)
    print(message, file=sys.stderr)
    return 1


def build_model(schema: dict[str, Any], n_estimators: int, max_depth: int, random_state: int) -> Pipeline:
    categorical = list(schema["categorical"])
    numeric = [f for f in schema["features"] if f not in categorical]
    categories = [[str(c) for c in schema["columns"][name]["categories"]] for name in categorical]
    prepare = ColumnTransformer(
        [
            ("categories", OneHotEncoder(categories=categories, handle_unknown="ignore"), categorical),
            ("numbers", StandardScaler(), numeric),
        ]
    )
    forest = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=random_state, n_jobs=1
    )
    return Pipeline([("prepare", prepare), ("classify", forest)])


def validation_metrics(model: Pipeline, features: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    predicted = model.predict(features)
    return {
        "auc": float(roc_auc_score(truth, model.predict_proba(features), multi_class="ovr")),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "precision": float(precision_score(truth, predicted, average="macro", zero_division=0)),
        "recall": float(recall_score(truth, predicted, average="macro", zero_division=0)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n_estimators", type=int, default=200)
    parser.add_argument("--max_depth", type=int, default=6)
    parser.add_argument("--random_state", type=int, default=0)
    parser.add_argument("--_tuning_objective_metric", default="")
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return fail("invalid hyperparameters: " + " ".join(argv or sys.argv[1:]))
    if args.n_estimators < 1 or args.max_depth < 1:
        return fail(
            f"hyperparameters out of range: n_estimators={args.n_estimators}, max_depth={args.max_depth}"
        )
    schema = json.loads((HERE / "schema.json").read_text())
    target, features = str(schema["target"]), [str(f) for f in schema["features"]]
    train = read_channel("SM_CHANNEL_TRAIN")
    validation = read_channel("SM_CHANNEL_VALIDATION")
    for frame in (train, validation):
        for column in schema["categorical"]:
            frame[column] = frame[column].astype(str)
    model = build_model(schema, args.n_estimators, args.max_depth, args.random_state)
    model.fit(train[features], train[target])
    for name, value in validation_metrics(model, validation[features], validation[target]).items():
        print(f"validation:{name}={value:.6f}")

    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "features.json").write_text(
        json.dumps(
            {
                "features": features,
                "categorical": list(schema["categorical"]),
                "target": target,
                "classes": [int(c) for c in model.classes_],
            }
        )
    )
    hyperparameters = {k: str(v) for k, v in sorted(vars(args).items()) if not k.startswith("_")}
    (model_dir / "hyperparameters.json").write_text(json.dumps(hyperparameters, sort_keys=True))
    code = model_dir / "code"
    code.mkdir(exist_ok=True)
    for name in ("inference.py", "schema.json"):
        shutil.copyfile(HERE / name, code / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
