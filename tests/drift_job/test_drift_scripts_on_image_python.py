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
from tests.conftest import Emulator, platform_session
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


def served_endpoint(emulator: Emulator, tmp_path: Path) -> str:
    """An endpoint of the emulator whose model's artifact recorded its validation predictions
    (label 1 about a third of the time, probabilities spread); its name."""
    import io
    import tarfile

    import numpy as np

    probability = np.random.default_rng(9).beta(2, 4, 1000)
    recorded = pd.DataFrame({"label": (probability >= 0.5).astype(int), "probability": probability.round(6)})
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, body in (
            ("model.joblib", b"weights"),
            ("validation_predictions.csv", recorded.to_csv(index=False).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    s3, sagemaker = boto3_client(emulator, "s3"), boto3_client(emulator, "sagemaker")
    s3.create_bucket(Bucket="image-python-models")
    s3.put_object(Bucket="image-python-models", Key="model.tar.gz", Body=archive.getvalue())
    endpoint = "image-python-endpoint"
    sagemaker.create_model(
        ModelName=f"{endpoint}-v7",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": "image", "ModelDataUrl": "s3://image-python-models/model.tar.gz"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{endpoint}-v7",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": f"{endpoint}-v7",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-v7")
    return endpoint


def answering(line: str, label: int, probability: float) -> str:
    """A capture line whose answer is one prediction, as inference.py gives them."""
    record = json.loads(line)
    record["captureData"]["endpointOutput"]["data"] = json.dumps(
        {"predictions": [{"label": label, "probability": probability}]}
    )
    return json.dumps(record)


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
    # The served model answers label 1 with high probability to every shifted request.
    lines = [
        answering(capture_line(list(row), end - timedelta(hours=1)), 1, 0.9 + (i % 10) / 100)
        for i, row in enumerate(shifted.itertuples(index=False))
    ]
    lines.append("{not json")
    endpoint = served_endpoint(emulator, tmp_path)
    histograms = tmp_path / "histograms"
    for host in ("algo-1", "algo-2"):  # two instances, two capture objects each
        # The layout SageMaker writes below the capture prefix: <endpoint>/<variant>/yyyy/mm/dd/hh/.
        capture = tmp_path / host / "capture"
        folder = capture / endpoint / "primary" / "2026" / "11" / "25" / "08"
        folder.mkdir(parents=True)
        for part in range(2):
            share = lines[(host == "algo-2") * 2 + part :: 4]
            (folder / f"{part}.jsonl").write_text("\n".join(share) + "\n")
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
        "--endpoint", endpoint,
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
    assert {"DatasetDrift", "DriftedShare", "FeatureDrift", "PredictionDrift"} <= {
        m["MetricName"] for m in published["Metrics"]
    }
    (primary,) = written["prediction_drift"]["variants"]
    assert (primary["variant"], primary["model_name"], primary["version"]) == ("primary", f"{endpoint}-v7", 7)
    assert primary["drifted"] is True and written["prediction_drift"]["drifted"] is True
    assert primary["report"]["rows_current"] == 400 and primary["rows_skipped"] == {"corrupt": 1}
    assert set(primary["report"]["drifted_features"]) == {"label", "probability"}


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

    # The operator account, as the scripts' own environment (emulator.aws_env) acts.
    return platform_session().client(service, endpoint_url=emulator.endpoint_url)
