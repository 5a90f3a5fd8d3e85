"""Preprocess step: validate the input against the model's schema, split it, write the drift baseline.

The schema is the model contract's (`lib/schema.json`, written from `models/<name>/model.yaml`):
the target and its classes, each feature numeric (with its range) or categorical (with its
categories). A model whose contract names a preprocess function gets it applied first.

Runs in a SageMaker Processing container (scikit-learn image); every path is an argument:

    preprocess.py --input-dir /opt/ml/processing/input/data --lib-dir /opt/ml/processing/input/lib
                  --output-dir /opt/ml/processing/output --data-uri s3://...

Outputs, one folder each under --output-dir: train/, validation/, test/ (CSV with a header, the target
first) and baseline/ (baseline.json: the drift baseline of the training features; data.json: the input's
sha256, rows and columns). A schema violation exits non-zero with a message naming the column.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SPLIT_SEED = 20240601
VALIDATION_SHARE = 0.15
TEST_SHARE = 0.15


class SchemaError(ValueError):
    """The input does not match the schema; the message names the column."""


def read_input(folder: Path) -> tuple[pd.DataFrame, str, list[str]]:
    """All CSV files under `folder` (sorted by name) as one frame, their sha256, and their names."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    if not files:
        raise SchemaError(f"no CSV file in the input ({folder})")
    digest = hashlib.sha256()
    frames = []
    for path in files:
        data = path.read_bytes()
        digest.update(data)
        try:
            frames.append(pd.read_csv(io.BytesIO(data)))
        except (ValueError, pd.errors.ParserError) as exc:
            raise SchemaError(f"{path.name} is not a readable CSV file: {exc}") from None
    return pd.concat(frames, ignore_index=True), digest.hexdigest(), [p.name for p in files]


def _label(value: Any) -> str:
    """A class or category as the schema and a CSV file both spell it (1.0 and 1 are the same)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_numeric(frame: pd.DataFrame, column: str, spec: dict[str, Any]) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = int(values.isna().sum() - frame[column].isna().sum())
    if bad:
        raise SchemaError(f"column '{column}' has {bad} non-numeric value(s)")
    if frame[column].isna().all():
        raise SchemaError(f"column '{column}' has no values")
    low, high = spec.get("min"), spec.get("max")
    outside = 0
    if low is not None:
        outside += int((values < low).sum())
    if high is not None:
        outside += int((values > high).sum())
    if outside:
        raise SchemaError(
            f"column '{column}' has {outside} value(s) outside the schema's range "
            f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        )
    frame[column] = values


def _check_categorical(frame: pd.DataFrame, column: str, spec: dict[str, Any]) -> None:
    allowed = {_label(c) for c in spec["categories"]}
    present = frame[column].dropna().map(_label)
    unknown = sorted(set(present) - allowed)
    if unknown:
        raise SchemaError(f"column '{column}' has categories the schema lacks: {', '.join(unknown[:5])}")
    if present.empty:
        raise SchemaError(f"column '{column}' has no values")
    frame[column] = frame[column].map(lambda v: v if pd.isna(v) else _label(v))


def validate(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The frame reduced to the schema's columns, target first; SchemaError names a bad column."""
    target = str(schema["target"])
    features = [str(f) for f in schema["features"]]
    columns = schema.get("columns") or {f: {"type": "numeric"} for f in features}
    for column in [target, *features]:
        if column not in frame.columns:
            raise SchemaError(f"input is missing column '{column}' (required by the schema)")
    for column in features:
        if columns[column]["type"] == "categorical":
            _check_categorical(frame, column, columns[column])
        else:
            _check_numeric(frame, column, columns[column])
    classes = [_label(c) for c in schema.get("classes", [0, 1])]
    labels = set(frame[target].dropna().map(_label))
    if frame[target].isna().any() or not labels <= set(classes):
        found = sorted(labels)[:5]
        raise SchemaError(f"column '{target}' must hold only {' and '.join(classes)} (found {found})")
    if len(labels) < 2:
        raise SchemaError(f"column '{target}' holds a single class; a classifier needs two or more")
    frame[target] = frame[target].map(_label)
    if all(c.lstrip("-").isdigit() for c in classes):
        frame[target] = frame[target].astype("int64")
    return frame[[target, *features]]


def apply_model_preprocess(frame: pd.DataFrame, schema: dict[str, Any], lib_dir: Path) -> pd.DataFrame:
    """The model's own preprocess function (`module:function` of its folder, shipped under lib/model/),
    when its contract names one."""
    ref = str(schema.get("preprocess") or "")
    if not ref:
        return frame
    import importlib

    module, _, function = ref.partition(":")
    sys.path.insert(0, str(lib_dir / "model"))
    prepared = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), function)(frame)
    if not isinstance(prepared, pd.DataFrame):
        raise SchemaError(f"the model's preprocess function {ref} returned {type(prepared).__name__}")
    return prepared


def split(frame: pd.DataFrame, target: str) -> dict[str, pd.DataFrame]:
    """Stratified train/validation/test split with a fixed seed (same input, same split)."""
    rng = np.random.default_rng(SPLIT_SEED)
    parts: dict[str, list[pd.DataFrame]] = {"train": [], "validation": [], "test": []}
    for _, group in frame.groupby(target, sort=True):
        order = rng.permutation(len(group))
        n_test = max(1, round(len(group) * TEST_SHARE))
        n_validation = max(1, round(len(group) * VALIDATION_SHARE))
        parts["test"].append(group.iloc[order[:n_test]])
        parts["validation"].append(group.iloc[order[n_test : n_test + n_validation]])
        parts["train"].append(group.iloc[order[n_test + n_validation :]])
    return {name: pd.concat(chunks).sort_index() for name, chunks in parts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-dir", type=Path, required=True)
    parser.add_argument("--lib-dir", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--data-uri", required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.lib_dir))
    from baseline import build_baseline  # shipped from mlops_kit/drift/ with baseline_document.py

    schema = json.loads((args.lib_dir / "schema.json").read_text())
    try:
        raw, sha256, files = read_input(args.input_dir)
        frame = validate(apply_model_preprocess(raw, schema, args.lib_dir), schema)
    except SchemaError as exc:
        print(f"SchemaError: {exc}", file=sys.stderr)
        return 1
    target = str(schema["target"])
    parts = split(frame, target)
    for name, part in parts.items():
        folder = args.output_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        part.to_csv(folder / f"{name}.csv", index=False)
        print(f"{name}: {len(part)} rows")
    baseline_dir = args.output_dir / "baseline"
    baseline_dir.mkdir(parents=True, exist_ok=True)
    baseline = build_baseline(
        parts["train"].drop(columns=[target]),
        categorical=[str(c) for c in schema.get("categorical", [])],
        metadata={"data_uri": args.data_uri, "data_sha256": sha256},
    )
    (baseline_dir / "baseline.json").write_text(baseline.to_json())
    data = {
        "data_uri": args.data_uri,
        "sha256": sha256,
        "rows": len(frame),
        "files": files,
        "features": list(schema["features"]),
        "target": target,
    }
    (baseline_dir / "data.json").write_text(json.dumps(data, indent=1))
    print(f"input: {len(frame)} rows, sha256 {sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
