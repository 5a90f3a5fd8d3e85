"""The kit's step scripts run the second model from its contract alone, as the pipeline's jobs run
them (processing arguments, SM_* variables, the code bundle's lib/ and sourcedir.tar.gz): preprocess
checks its schema and writes a baseline with its categorical feature, its train entry point fits,
evaluate writes its multi-class metrics, which pass dev's gates (and fails naming a declared metric
the function did not write), the drift check runs on its schema, and its inference entry point
answers requests. No emulator."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.archive_extraction import extract_archive
from mlops_kit.config import Environment
from mlops_kit.model_contract.loading import ModelContract, bundled_data, read_manifest
from mlops_kit.pipeline.bundle import code_bundle

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "pipelines" / "scripts"


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wine() -> ModelContract:
    return read_manifest(REPO / "models" / "wine-classifier")


@pytest.fixture(scope="module")
def job_folders(wine: ModelContract, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundle's lib/ and code/ unpacked, the data set, and the outputs of preprocess and train."""
    root = tmp_path_factory.mktemp("wine-jobs")
    bundle = code_bundle("bucket", SCRIPTS, pipeline="wine-classifier-training", contract=wine)
    for upload in bundle.uploads:
        target = root / "bundle" / upload.key.removeprefix(f"{bundle.prefix}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(upload.body)
    code = root / "code"
    extract_archive(root / "bundle" / "sourcedir.tar.gz", code)
    (root / "input").mkdir()
    (root / "input" / wine.manifest.data.file).write_bytes(bundled_data(wine))
    lib, processed = root / "bundle" / "lib", root / "processed"
    run(
        [sys.executable, str(SCRIPTS / "preprocess.py"), "--input-dir", str(root / "input"), "--lib-dir",
         str(lib), "--output-dir", str(processed), "--data-uri", "s3://bucket/datasets/wine-classifier/wine.csv"]
    )  # fmt: skip
    model_dir = root / "model"
    run(
        [sys.executable, str(code / "train.py"), "--n_estimators", "50", "--max_depth", "5"],
        env={
            **os.environ,
            "SM_CHANNEL_TRAIN": str(processed / "train"),
            "SM_CHANNEL_VALIDATION": str(processed / "validation"),
            "SM_MODEL_DIR": str(model_dir),
            "SM_OUTPUT_DIR": str(root / "output"),
            "PYTHONPATH": str(code),
        },
    )
    return {"root": root, "lib": lib, "processed": processed, "model": model_dir}


def test_preprocess_checks_the_schema_and_keeps_the_categorical_feature(job_folders: dict[str, Path]) -> None:
    baseline = json.loads((job_folders["processed"] / "baseline" / "baseline.json").read_text())
    kinds = {f["name"]: f["kind"] for f in baseline["features"]}
    assert kinds["alcohol_level"] == "categorical" and kinds["proline"] == "numeric"
    assert len(kinds) == 14
    header = (job_folders["processed"] / "train" / "train.csv").read_text().splitlines()[0]
    assert header.split(",")[0] == "cultivar" and header.split(",")[-1] == "alcohol_level"


def test_evaluate_writes_multiclass_metrics_that_pass_the_dev_gates(
    job_folders: dict[str, Path], environments: dict[str, Environment]
) -> None:
    root = job_folders["root"]
    (root / "evaluate-model").mkdir()
    with tarfile.open(root / "evaluate-model" / "model.tar.gz", "w:gz") as tar:
        for path in sorted(job_folders["model"].rglob("*")):
            tar.add(path, arcname=path.relative_to(job_folders["model"]).as_posix(), recursive=False)
    out = root / "evaluation"
    processed = job_folders["processed"]
    run(
        [sys.executable, str(SCRIPTS / "evaluate.py"), "--model-dir", str(root / "evaluate-model"),
         "--test-dir", str(processed / "test"), "--data-dir", str(processed / "baseline"),
         "--lib-dir", str(job_folders["lib"]), "--output-dir", str(out),
         "--model-uri", "s3://bucket/model.tar.gz", "--baseline-uri", "s3://bucket/baseline.json",
         "--data-uri", "s3://bucket/wine.csv", "--git-commit", "abc", "--execution-arn", "arn:x"]
    )  # fmt: skip
    report = json.loads((out / "evaluation.json").read_text())
    metrics = {k: v["value"] for k, v in report["multiclass_classification_metrics"].items()}
    assert set(metrics) == {"auc", "accuracy", "f1", "precision", "recall"}
    gates = environments["dev"].gates.min_metrics
    assert all(metrics[name] >= floor for name, floor in gates.items()), metrics
    lineage = json.loads((out / "lineage.json").read_text())
    assert json.loads(lineage["hyperparameters"])["n_estimators"] == "50"


def evaluate_command(job_folders: dict[str, Path], lib: Path, out: Path) -> list[str]:
    root, processed = job_folders["root"], job_folders["processed"]
    archive_dir = root / "evaluate-model"
    if not archive_dir.exists():
        archive_dir.mkdir()
        with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as tar:
            for path in sorted(job_folders["model"].rglob("*")):
                tar.add(path, arcname=path.relative_to(job_folders["model"]).as_posix(), recursive=False)
    return [
        sys.executable, str(SCRIPTS / "evaluate.py"), "--model-dir", str(archive_dir),
        "--test-dir", str(processed / "test"), "--data-dir", str(processed / "baseline"),
        "--lib-dir", str(lib), "--output-dir", str(out),
        "--model-uri", "s3://bucket/model.tar.gz", "--baseline-uri", "s3://bucket/baseline.json",
        "--data-uri", "s3://bucket/wine.csv", "--git-commit", "abc", "--execution-arn", "arn:x",
    ]  # fmt: skip


def test_evaluate_fails_naming_a_declared_metric_the_function_did_not_write(
    job_folders: dict[str, Path], tmp_path: Path
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(job_folders["lib"], lib)
    source = (lib / "model" / "evaluation.py").read_text()
    (lib / "model" / "evaluation.py").write_text(
        source + "\n\n_all = metrics\n\n\ndef metrics(model_dir, test):\n"
        "    return {k: v for k, v in _all(model_dir, test).items() if k != 'auc'}\n"
    )
    done = subprocess.run(
        evaluate_command(job_folders, lib, tmp_path / "out"), capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "evaluation:metrics wrote no auc" in done.stderr
    assert not (tmp_path / "out" / "evaluation.json").exists()


def test_preprocess_applies_the_models_preprocess_function_first(
    job_folders: dict[str, Path], tmp_path: Path
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(job_folders["lib"], lib)
    (lib / "model" / "features.py").write_text(
        "def prepare(frame):\n    return frame.drop(columns=['ash'])\n"
    )
    schema = json.loads((lib / "schema.json").read_text())
    (lib / "schema.json").write_text(json.dumps({**schema, "preprocess": "features:prepare"}))
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "preprocess.py"), "--input-dir", str(job_folders["root"] / "input"),
         "--lib-dir", str(lib), "--output-dir", str(tmp_path / "out"), "--data-uri", "s3://bucket/wine.csv"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "SchemaError: input is missing column 'ash'" in done.stderr


def test_the_drift_check_runs_on_the_models_schema(
    job_folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The baseline preprocess wrote (its categorical feature included) against today's requests:
    the same wines drift nowhere; all of them labelled high alcohol drift in alcohol_level."""
    import pandas as pd

    from cli.main import main as kit

    baseline = str(job_folders["processed"] / "baseline" / "baseline.json")
    train = pd.read_csv(job_folders["processed"] / "train" / "train.csv").drop(columns=["cultivar"])
    today = pd.concat([train] * 3, ignore_index=True)
    reports = {}
    for name, frame in (("same", today), ("shifted", today.assign(alcohol_level="high"))):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        capsys.readouterr()
        assert (
            kit(
                ["drift", "run", "--baseline", baseline, "--current", str(tmp_path / f"{name}.csv"), "--json"]
            )
            == 0
        )
        reports[name] = json.loads(capsys.readouterr().out)
    kinds = {f["name"]: f["kind"] for f in reports["same"]["features"]}
    assert kinds["alcohol_level"] == "categorical" and len(kinds) == 14
    assert reports["same"]["drifted_features"] == []
    assert reports["shifted"]["drifted_features"] == ["alcohol_level"]


def test_inference_answers_rows_with_the_category_as_text(job_folders: dict[str, Path]) -> None:
    model_dir = job_folders["model"]
    sys.path.insert(0, str(model_dir / "code"))
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("wine_inference", model_dir / "code" / "inference.py")
        assert spec and spec.loader
        inference: Any = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(inference)
    finally:
        sys.path.remove(str(model_dir / "code"))
    model = inference.model_fn(str(model_dir))
    test = (job_folders["processed"] / "test" / "test.csv").read_text().splitlines()
    rows = "\n".join(line.split(",", 1)[1] for line in test[1:4])
    answer = json.loads(
        inference.output_fn(inference.predict_fn(inference.input_fn(rows, "text/csv"), model))
    )
    assert len(answer["predictions"]) == 3
    assert all(p["label"] in (0, 1, 2) and len(p["probabilities"]) == 3 for p in answer["predictions"])
    as_json = json.dumps([dict(zip(model.features, line.split(",")[1:], strict=True)) for line in test[1:2]])
    assert (
        len(inference.predict_fn(inference.input_fn(io.StringIO(as_json).read(), "application/json"), model))
        == 1
    )


def test_evaluate_reports_permutation_importance_of_every_feature(
    job_folders: dict[str, Path], tmp_path: Path
) -> None:
    """Without a sensitive attribute: importance in the report and on the version, no fairness."""
    out = tmp_path / "out"
    run(evaluate_command(job_folders, job_folders["lib"], out))
    report = json.loads((out / "evaluation.json").read_text())
    importance = report["feature_importance"]
    assert (importance["method"], importance["metric"], importance["repeats"]) == ("permutation", "auc", 5)
    assert importance["random_state"] == 0
    features = [row["feature"] for row in importance["features"]]
    assert sorted(features) == sorted(
        json.loads((job_folders["lib"] / "schema.json").read_text())["features"]
    )
    means = [row["importance_mean"] for row in importance["features"]]
    assert means == sorted(means, reverse=True) and means[0] > 0
    assert "fairness" not in report
    lineage = json.loads((out / "lineage.json").read_text())
    carried = json.loads(lineage["feature_importance"])
    assert list(carried) == features[: len(carried)] and len(lineage["feature_importance"]) <= 1000
    assert lineage["fairness"] == "none"
    # The same numbers on a second run: the random state is fixed.
    run(evaluate_command(job_folders, job_folders["lib"], tmp_path / "again"))
    assert (
        json.loads((tmp_path / "again" / "evaluation.json").read_text())["feature_importance"] == importance
    )


def test_evaluate_reports_group_fairness_over_the_contracts_sensitive_attribute(
    job_folders: dict[str, Path], tmp_path: Path
) -> None:
    import pandas as pd

    folder = tmp_path / "wine-classifier"
    shutil.copytree(REPO / "models" / "wine-classifier", folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = folder / "model.yaml"
    manifest.write_text(
        manifest.read_text() + "fairness: {sensitive_attribute: alcohol_level, favorable_class: 0}\n"
    )
    schema = read_manifest(folder).schema_document()
    assert schema["fairness"] == {"sensitive_attribute": "alcohol_level", "favorable_class": 0}
    lib = tmp_path / "lib"
    shutil.copytree(job_folders["lib"], lib)
    (lib / "schema.json").write_text(json.dumps(schema))
    out = tmp_path / "out"
    run(evaluate_command(job_folders, lib, out))

    fairness = json.loads((out / "evaluation.json").read_text())["fairness"]
    test = pd.read_csv(job_folders["processed"] / "test" / "test.csv")
    groups = {g["group"]: g for g in fairness["groups"]}
    assert set(groups) == set(test["alcohol_level"].astype(str))
    assert sum(g["rows"] for g in groups.values()) == len(test)
    for name, members in test.groupby(test["alcohol_level"].astype(str)):
        assert groups[name]["favorable_rows"] == int((members["cultivar"] == 0).sum())
    rates = [g["selection_rate"] for g in groups.values()]
    assert fairness["demographic_parity_difference"] == pytest.approx(max(rates) - min(rates), abs=1e-6)
    lineage = json.loads((out / "lineage.json").read_text())
    carried = json.loads(lineage["fairness"])
    assert carried == {k: v for k, v in fairness.items() if k != "groups"}
    assert set(carried) == {
        "sensitive_attribute",
        "favorable_class",
        "demographic_parity_difference",
        "equal_opportunity_difference",
    }
