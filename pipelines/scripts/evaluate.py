"""Evaluate step: score the trained model on the test split; write evaluation.json and lineage.json.

Runs in a SageMaker Processing container (scikit-learn image); paths and facts are arguments:

    evaluate.py --model-dir ... --test-dir ... --data-dir ... --lib-dir ... --output-dir ...
                --model-uri s3://.../model.tar.gz --baseline-uri s3://.../baseline.json
                --data-uri s3://... --git-commit SHA --execution-arn ARN
                --image training=URI --image inference=URI

The metrics are what the model's evaluate function (its contract's `entry_points.evaluate`) returns.
evaluation.json follows SageMaker's model quality format, keyed by the contract's task
(`{"binary_classification_metrics": {"auc": {"value": ..., "standard_deviation": "NaN"}, ...}}`,
or `multiclass_classification_metrics`), with two sections of the kit's beside it:
`feature_importance` (permutation importance: the drop of the contract's first metric when one
feature is shuffled, mlops_kit/model_evaluation/feature_importance.py) and, when the contract names
a sensitive attribute, `fairness` (group rates and their differences over the answers of the
model's inference program, mlops_kit/model_evaluation/fairness.py).
lineage.json is the model version's `CustomerMetadataProperties` (mlops_kit.registry.lineage.Lineage).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

UNVERSIONED = "unversioned"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_key(task: str) -> str:
    """Where SageMaker's model quality report keeps a task's metrics."""
    return f"{task}_metrics"


def model_module(lib_dir: Path, path: str) -> Any:
    """A module of the model's folder (shipped under lib/model/), by its path or dotted name."""
    if str(lib_dir / "model") not in sys.path:
        sys.path.insert(0, str(lib_dir / "model"))
    return importlib.import_module(path.removesuffix(".py").replace("/", "."))


def model_metrics(
    lib_dir: Path, schema: dict[str, Any], model_dir: Path, test: pd.DataFrame
) -> dict[str, float]:
    """The model's evaluate function (`module:function` of its folder, shipped under lib/model/) on
    the test split; every metric its contract declares must be among what it returns."""
    module, _, function = str(schema["evaluate"]).partition(":")
    evaluate = getattr(model_module(lib_dir, module), function)
    values = {str(k): float(v) for k, v in dict(evaluate(model_dir, test)).items()}
    missing = [m for m in schema.get("metrics", []) if m not in values]
    if missing:
        raise ValueError(f"the model's evaluate function {schema['evaluate']} wrote no {', '.join(missing)}")
    return values


def importance_section(
    lib_dir: Path, schema: dict[str, Any], model_dir: Path, test: pd.DataFrame
) -> dict[str, Any]:
    """The report's `feature_importance` section: each feature's permutation importance, measured as
    the drop of the contract's first metric (the model's own evaluate function) on the test split."""
    from feature_importance import RANDOM_STATE, REPEATS, permutation_importances

    metric = str(schema["metrics"][0])

    def score(frame: pd.DataFrame) -> float:
        return model_metrics(lib_dir, schema, model_dir, frame)[metric]

    return {
        "method": "permutation",
        "metric": metric,
        "repeats": REPEATS,
        "random_state": RANDOM_STATE,
        "features": permutation_importances(score, test, list(schema["features"])),
    }


def fairness_section(
    lib_dir: Path, schema: dict[str, Any], model_dir: Path, test: pd.DataFrame
) -> dict[str, Any] | None:
    """The report's `fairness` section (None when the contract names no sensitive attribute): the
    model's inference program (model_fn, predict_fn) answers the test split, and each answer's label
    (an answer is a label, or a mapping with `label`) is compared with the truth per group."""
    from fairness import fairness_report

    settings = schema.get("fairness")
    if not settings:
        return None
    inference = model_module(lib_dir, str(schema["inference"]))
    model = inference.model_fn(str(model_dir))
    answers = list(inference.predict_fn(test[list(schema["features"])], model))
    predicted = [a["label"] if isinstance(a, dict) else a for a in answers]
    attribute = str(settings["sensitive_attribute"])
    report: dict[str, Any] = fairness_report(
        attribute,
        test[attribute].tolist(),
        test[str(schema["target"])].tolist(),
        predicted,
        settings["favorable_class"],
    )
    return report


def fairness_summary(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the version carries of the fairness section: the attribute, the class and the differences."""
    if report is None:
        return None
    return {k: v for k, v in report.items() if k != "groups"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for name in ("--model-dir", "--test-dir", "--data-dir", "--lib-dir", "--output-dir"):
        parser.add_argument(name, type=Path, required=True)
    for name in ("--model-uri", "--baseline-uri", "--data-uri", "--git-commit", "--execution-arn"):
        parser.add_argument(name, required=True)
    parser.add_argument("--image", action="append", default=[], help="ROLE=URI")
    parser.add_argument(
        "--data-version-id", default="", help="S3 version id of the input (empty: unversioned)"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.lib_dir))
    from archive_extraction import extract_archive  # shipped from mlops_kit/archive_extraction.py
    from lineage import Lineage  # shipped from mlops_kit/registry/lineage.py
    from tracking import UNTRACKED  # shipped from pipelines/scripts/tracking.py

    # Shipped from mlops_kit/model_evaluation/; loaded before the model's folder joins sys.path, so
    # a model file of the same name cannot shadow them.
    for kit_module in ("fairness", "feature_importance"):
        importlib.import_module(kit_module)

    schema = json.loads((args.lib_dir / "schema.json").read_text())
    archive = args.model_dir / "model.tar.gz"
    with tempfile.TemporaryDirectory() as unpacked:
        extract_archive(archive, Path(unpacked))
        hyperparameters = json.loads((Path(unpacked) / "hyperparameters.json").read_text())
        test = pd.concat([pd.read_csv(f) for f in sorted(args.test_dir.glob("*.csv"))], ignore_index=True)
        metrics = model_metrics(args.lib_dir, schema, Path(unpacked), test)
        importance = importance_section(args.lib_dir, schema, Path(unpacked), test)
        fairness = fairness_section(args.lib_dir, schema, Path(unpacked), test)
    data = json.loads((args.data_dir / "data.json").read_text())

    args.output_dir.mkdir(parents=True, exist_ok=True)
    report = {
        report_key(str(schema.get("task", "binary_classification"))): {
            name: {"value": round(value, 6), "standard_deviation": "NaN"} for name, value in metrics.items()
        },
        "test_rows": len(test),
        "feature_importance": importance,
    }
    if fairness is not None:
        report["fairness"] = fairness
    (args.output_dir / "evaluation.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    lineage = Lineage(
        git_commit=args.git_commit,
        data_uri=args.data_uri,
        data_sha256=str(data["sha256"]),
        hyperparameters={str(k): str(v) for k, v in hyperparameters.items()},
        image_uris=dict(item.split("=", 1) for item in args.image),
        metrics=metrics,
        execution_arn=args.execution_arn,
        drift_baseline_uri=args.baseline_uri,
        artifact_sha256=sha256_of(archive),
        extra={"model_data_uri": args.model_uri},
    )
    from feature_importance import importance_summary

    run = track(args, lineage, args.output_dir / "evaluation.json", fairness)
    metadata = {
        **lineage.to_metadata(),
        "feature_importance": json.dumps(importance_summary(importance["features"]), separators=(",", ":")),
        # Read by the promotion's fairness gates; "none" when the contract measures none.
        "fairness": json.dumps(fairness_summary(fairness), sort_keys=True) if fairness else "none",
        "mlflow_run_id": run.run_id if run else UNTRACKED,
        "mlflow_run_url": (run.url if run else "") or "none",
        "data_version_id": args.data_version_id or UNVERSIONED,
    }
    (args.output_dir / "lineage.json").write_text(json.dumps(metadata, indent=1, sort_keys=True))
    print(json.dumps(metrics, sort_keys=True))
    return 0


def track(args: argparse.Namespace, lineage: Any, report: Path, fairness: dict[str, Any] | None) -> Any:
    """Test metrics (fairness differences included), the report, and the version's lineage on the
    execution's MLflow run."""
    from fairness import METRICS
    from tracking import record

    measured = {m: float(fairness[m]) for m in METRICS if fairness and fairness.get(m) is not None}
    return record(
        "evaluate",
        params=lineage.hyperparameters,
        metrics={**lineage.metrics, **measured},
        tags={
            "git_commit": lineage.git_commit,
            "data_uri": lineage.data_uri,
            "data_sha256": lineage.data_sha256,
            "data_version_id": args.data_version_id or UNVERSIONED,
            "model_data_uri": args.model_uri,
            "artifact_sha256": lineage.artifact_sha256,
            "execution_arn": lineage.execution_arn,
            **{f"image.{role}": uri for role, uri in lineage.image_uris.items()},
        },
        artifacts=[report],
    )


if __name__ == "__main__":
    sys.exit(main())
