"""Train entry point of tumor-classifier: fit a scikit-learn classifier on the train channel;
SageMaker script mode.

The scikit-learn image runs `python train.py --learning_rate 0.1 ...` with the hyperparameters as
arguments and the paths in SM_* variables: SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION, SM_MODEL_DIR,
SM_OUTPUT_DIR. The model folder gets model.joblib, features.json, hyperparameters.json,
validation_predictions.csv (the model's answers on the validation data, the baseline of prediction
drift: mlops_kit.drift.predictions) and code/inference.py (the serving entry point), and SageMaker
packs it as model.tar.gz.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import joblib
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

TARGET = "target"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--random_state", type=int, default=0)
    # SageMaker adds it to every training job of a tuning job.
    parser.add_argument("--_tuning_objective_metric", default="")
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return fail("invalid hyperparameters: " + " ".join(argv or sys.argv[1:]))
    if not 0 < args.learning_rate <= 1 or args.n_estimators < 1 or args.max_depth < 1:
        return fail(
            f"hyperparameters out of range: learning_rate={args.learning_rate} (0, 1], "
            f"n_estimators={args.n_estimators} >= 1, max_depth={args.max_depth} >= 1"
        )
    train = read_channel("SM_CHANNEL_TRAIN")
    validation = read_channel("SM_CHANNEL_VALIDATION")
    features = [c for c in train.columns if c != TARGET]
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                GradientBoostingClassifier(
                    learning_rate=args.learning_rate,
                    n_estimators=args.n_estimators,
                    max_depth=args.max_depth,
                    random_state=args.random_state,
                ),
            ),
        ]
    )
    model.fit(train[features], train[TARGET])
    auc = roc_auc_score(validation[TARGET], model.predict_proba(validation[features])[:, 1])
    print(f"validation:auc={auc:.6f}")
    report_validation_metrics(model, validation[features], validation[TARGET])

    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "features.json").write_text(json.dumps({"features": features, "target": TARGET}))
    hyperparameters = {k: str(v) for k, v in sorted(vars(args).items()) if not k.startswith("_")}
    (model_dir / "hyperparameters.json").write_text(json.dumps(hyperparameters, sort_keys=True))
    write_validation_predictions(model, validation[features], model_dir / "validation_predictions.csv")
    code = model_dir / "code"
    code.mkdir(exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("inference.py"), code / "inference.py")
    track(
        model,
        validation[features],
        validation[TARGET],
        hyperparameters,
        auc,
        trial=bool(args._tuning_objective_metric),
    )
    return 0


def write_validation_predictions(model: Pipeline, features: pd.DataFrame, path: Path) -> None:
    """The answers the endpoint would give on the validation rows (inference.py's fields, in its
    order and rounding): what prediction drift compares the served answers with."""
    probability = model.predict_proba(features)[:, 1]
    answers = pd.DataFrame({"label": (probability >= 0.5).astype(int), "probability": probability.round(6)})
    answers.to_csv(path, index=False)


def report_validation_metrics(model: Pipeline, features: pd.DataFrame, truth: pd.Series) -> None:
    """`validation:<metric>=<value>` lines: what a tuning job's metric definitions read."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    predicted = model.predict(features)
    for name, score in (
        ("accuracy", accuracy_score),
        ("f1", f1_score),
        ("precision", precision_score),
        ("recall", recall_score),
    ):
        value = score(truth, predicted) if name == "accuracy" else score(truth, predicted, zero_division=0)
        print(f"validation:{name}={float(value):.6f}")


def track(
    model: Pipeline,
    features: pd.DataFrame,
    truth: pd.Series,
    hyperparameters: dict[str, str],
    auc: float,
    *,
    trial: bool = False,
) -> None:
    """The run's parameters and the validation AUC after each boosting stage (when tracked)."""
    try:
        from tracking import record, tracking_uri  # the kit ships it beside this script
    except ImportError:  # run outside a kit job: nothing to track
        return
    if not tracking_uri():
        return
    scaled = model[:-1].transform(features)
    stages = [float(roc_auc_score(truth, p[:, 1])) for p in model[-1].staged_predict_proba(scaled)]
    record(
        "train",
        params=hyperparameters,
        metrics={"validation_auc": auc},
        series={"validation_auc_by_stage": stages},
        trial=os.environ.get("SM_TRAINING_JOB_NAME", "trial") if trial else "",
    )


if __name__ == "__main__":
    sys.exit(main())
