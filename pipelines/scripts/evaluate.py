"""Evaluate step: score the trained model on the test split; write evaluation.json and lineage.json.

Runs in a SageMaker Processing container (scikit-learn image); paths and facts are arguments:

    evaluate.py --model-dir ... --test-dir ... --data-dir ... --lib-dir ... --output-dir ...
                --model-uri s3://.../model.tar.gz --baseline-uri s3://.../baseline.json
                --data-uri s3://... --git-commit SHA --execution-arn ARN
                --image training=URI --image inference=URI

The metrics are what the model's evaluate function (its contract's `entry_points.evaluate`) returns.
evaluation.json follows SageMaker's model quality format, keyed by the contract's task
(`{"binary_classification_metrics": {"auc": {"value": ..., "standard_deviation": "NaN"}, ...}}`,
or `multiclass_classification_metrics`);
lineage.json is the model version's `CustomerMetadataProperties` (mlops_kit.registry.lineage.Lineage).
"""

from __future__ import annotations

import argparse
import hashlib
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


def model_metrics(
    lib_dir: Path, schema: dict[str, Any], model_dir: Path, test: pd.DataFrame
) -> dict[str, float]:
    """The model's evaluate function (`module:function` of its folder, shipped under lib/model/) on
    the test split; every metric its contract declares must be among what it returns."""
    import importlib

    module, _, function = str(schema["evaluate"]).partition(":")
    sys.path.insert(0, str(lib_dir / "model"))
    evaluate = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), function)
    values = {str(k): float(v) for k, v in dict(evaluate(model_dir, test)).items()}
    missing = [m for m in schema.get("metrics", []) if m not in values]
    if missing:
        raise ValueError(f"the model's evaluate function {schema['evaluate']} wrote no {', '.join(missing)}")
    return values


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

    schema = json.loads((args.lib_dir / "schema.json").read_text())
    archive = args.model_dir / "model.tar.gz"
    with tempfile.TemporaryDirectory() as unpacked:
        extract_archive(archive, Path(unpacked))
        hyperparameters = json.loads((Path(unpacked) / "hyperparameters.json").read_text())
        test = pd.concat([pd.read_csv(f) for f in sorted(args.test_dir.glob("*.csv"))], ignore_index=True)
        metrics = model_metrics(args.lib_dir, schema, Path(unpacked), test)
    data = json.loads((args.data_dir / "data.json").read_text())

    args.output_dir.mkdir(parents=True, exist_ok=True)
    report = {
        report_key(str(schema.get("task", "binary_classification"))): {
            name: {"value": round(value, 6), "standard_deviation": "NaN"} for name, value in metrics.items()
        },
        "test_rows": len(test),
    }
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
    run = track(args, lineage, args.output_dir / "evaluation.json")
    metadata = {
        **lineage.to_metadata(),
        "mlflow_run_id": run.run_id if run else UNTRACKED,
        "mlflow_run_url": (run.url if run else "") or "none",
        "data_version_id": args.data_version_id or UNVERSIONED,
    }
    (args.output_dir / "lineage.json").write_text(json.dumps(metadata, indent=1, sort_keys=True))
    print(json.dumps(metrics, sort_keys=True))
    return 0


def track(args: argparse.Namespace, lineage: Any, report: Path) -> Any:
    """Test metrics, the report, and the version's lineage on the execution's MLflow run."""
    from tracking import record

    return record(
        "evaluate",
        params=lineage.hyperparameters,
        metrics=lineage.metrics,
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
