"""The drift job's code on the Python of the image it runs in (3.9, see image_python.py): the shard
and merge scripts with the shipped engine, and the baseline builder the preprocess step ships, give
the answers the kit's own Python gives."""

from __future__ import annotations

import json
import math
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import mlops_kit.drift.baseline
import mlops_kit.drift.baseline_document
from mlops_kit.drift import (
    build_baseline,
    evaluate_drift,
    histogram_of_capture_lines,
    load_baseline,
)
from mlops_kit.drift.publication import DRIFT_NAMESPACE
from pipelines.drift_definition import drift_code_objects
from tests.conftest import Emulator
from tests.drift_job.conftest import SHIFTED_FEATURES, capture_line
from tests.drift_job.image_python import IMAGE_PYTHON, ImagePythonUnavailable, image_python

pytestmark = [pytest.mark.slow, pytest.mark.emulator]
MODEL = "image-python-check"


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return image_python()
    except ImagePythonUnavailable as error:
        pytest.skip(f"cannot run code on the drift image's Python {IMAGE_PYTHON}: {error}")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The step scripts and lib/ exactly as the drift pipeline uploads them."""
    folder = tmp_path_factory.mktemp("shipped")
    for name, body in drift_code_objects().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return folder


def run(python: Path, *arguments: object, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        [str(python), *map(str, arguments)], capture_output=True, text=True, env=env, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_python_is_the_image_version(python: Path) -> None:
    assert run(python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").strip() == IMAGE_PYTHON


def test_shard_and_merge_steps_on_the_image_python_agree_with_the_kit(
    python: Path, shipped: Path, breast_cancer: pd.DataFrame, emulator: Emulator, tmp_path: Path
) -> None:
    baseline_dir = tmp_path / "input" / "baseline"
    baseline_dir.mkdir(parents=True)
    baseline_text = build_baseline(breast_cancer).to_json()
    (baseline_dir / "baseline.json").write_text(baseline_text)
    shifted = breast_cancer.sample(n=400, random_state=5)
    for column in SHIFTED_FEATURES:
        shifted[column] = shifted[column] + breast_cancer[column].std()
    end = datetime(2026, 11, 25, 9, tzinfo=UTC)
    lines = [capture_line(list(row), end - timedelta(hours=1)) for row in shifted.itertuples(index=False)]
    lines.append("{not json")
    histograms = tmp_path / "histograms"
    for host in ("algo-1", "algo-2"):  # two instances, two capture objects each
        capture = tmp_path / host / "capture"
        capture.mkdir(parents=True)
        for part in range(2):
            share = lines[(host == "algo-2") * 2 + part :: 4]
            (capture / f"{part}.jsonl").write_text("\n".join(share) + "\n")
        config = tmp_path / host / "resourceconfig.json"
        config.write_text(json.dumps({"current_host": host, "hosts": ["algo-1", "algo-2"]}))
        run(
            python, shipped / "drift_shard.py",
            "--capture-dir", capture, "--baseline-dir", baseline_dir, "--lib-dir", shipped / "lib",
            "--output-dir", histograms, "--resource-config", config,
            "--window-end", "2026-11-25T09:00:00Z", "--window-hours", "24",
        )  # fmt: skip
    reports = tmp_path / "report"
    run(
        python, shipped / "drift_merge.py",
        "--histogram-dir", histograms, "--baseline-dir", baseline_dir, "--lib-dir", shipped / "lib",
        "--report-dir", reports, "--html-dir", tmp_path / "html",
        "--thresholds", "{}", "--environment", "dev", "--model", MODEL, "--region", "us-east-1",
        "--window-end", "2026-11-25T09:00:00Z", "--window-hours", "24",
        "--baseline-uri", "s3://bucket/baseline.json", "--capture-prefix", "s3://bucket/capture",
        "--execution-arn", "arn:aws:sagemaker:us-east-1:000000000000:pipeline/p/execution/e",
        env={"PATH": "/usr/bin:/bin", **emulator.aws_env},
    )  # fmt: skip

    written = json.loads((reports / "2026-11-25T09-00-00Z.json").read_text())
    baseline = load_baseline(baseline_text)
    expected = evaluate_drift(baseline, histogram_of_capture_lines(lines, baseline)).to_dict()
    assert sorted(written["drifted_features"]) == sorted(SHIFTED_FEATURES)
    assert (written["rows_current"], written["rows_skipped"]) == (400, 1)
    assert_same_numbers({key: written[key] for key in expected}, expected)
    published = boto3_client(emulator, "cloudwatch").list_metrics(
        Namespace=DRIFT_NAMESPACE, Dimensions=[{"Name": "Model", "Value": MODEL}]
    )
    assert {"DatasetDrift", "DriftedShare", "FeatureDrift"} <= {m["MetricName"] for m in published["Metrics"]}


def test_baseline_builder_shipped_alone_gives_the_kits_baseline_on_the_image_python(
    python: Path, breast_cancer: pd.DataFrame, tmp_path: Path
) -> None:
    # The training pipeline's preprocess step ships baseline.py and baseline_document.py by
    # themselves (mlops_kit/pipeline/bundle.py).
    frame = breast_cancer.assign(grade=(breast_cancer["mean radius"] // 5).astype(int).astype(str))
    frame.to_csv(tmp_path / "train.csv", index=False)
    for module in (mlops_kit.drift.baseline, mlops_kit.drift.baseline_document):
        (tmp_path / Path(module.__file__).name).write_bytes(Path(module.__file__).read_bytes())
    build = (
        "import sys, pandas as pd; sys.path.insert(0, sys.argv[1]); from baseline import build_baseline; "
        "frame = pd.read_csv(sys.argv[2], float_precision='round_trip'); "
        "print(build_baseline(frame, categorical=['grade']).to_json())"
    )

    text = run(python, "-c", build, tmp_path, tmp_path / "train.csv")

    read_back = pd.read_csv(tmp_path / "train.csv")
    expected = build_baseline(read_back, categorical=["grade"]).to_dict()
    assert_same_numbers(json.loads(text), expected)


def assert_same_numbers(actual: Any, expected: Any, *, path: str = "") -> None:
    """Equal documents, floats within 1e-12 relative (numpy and scipy versions differ in last bits)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), path
        for key in sorted(expected):
            assert_same_numbers(actual[key], expected[key], path=f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for index, (left, right) in enumerate(zip(actual, expected, strict=True)):
            assert_same_numbers(left, right, path=f"{path}[{index}]")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-300), (
            f"{path}: {actual} != {expected}"
        )
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def boto3_client(emulator: Emulator, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1")
