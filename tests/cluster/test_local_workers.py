"""The Job's container command runs as local worker processes with the environment the Job injects,
and the workers really train together: two shards reach the model one worker reaches alone."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from local_aws.eks.job_runner import run_job_locally
from mlops_kit.cluster.training_job import job_manifests, plan_training_job
from mlops_kit.config import Environment
from mlops_kit.model_contract.loading import load_function
from mlops_kit.pipeline.dataset import bundled_dataset_csv
from pipelines.scripts.preprocess import split

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "pipelines" / "scripts"
# The demo model's evaluate entry point (its contract's `entry_points.evaluate`).
metrics_of = load_function(REPO / "models" / "tumor-classifier", "evaluation:metrics")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "data.csv"
    path.write_bytes(bundled_dataset_csv())
    return path


def _run(env: Environment, nodes: int, data_file: Path, work: Path) -> Path:
    manifests = job_manifests(plan_training_job(env, run_id="local", nodes=nodes))
    return run_job_locally(manifests, scripts_dir=SCRIPTS, data_file=data_file, work_dir=work).model_dir


def test_two_workers_write_a_model_that_passes_the_dev_gates(
    environments: dict[str, Environment], data_file: Path, tmp_path: Path
) -> None:
    model_dir = _run(environments["dev"], 2, data_file, tmp_path)
    test = split(pd.read_csv(data_file), "target")["test"]
    metrics = metrics_of(model_dir, test)
    gates = environments["dev"].gates.min_metrics
    assert all(metrics[name] >= floor for name, floor in gates.items()), metrics
    assert json.loads((model_dir / "hyperparameters.json").read_text())["world_size"] == "2"
    # Its answers on the validation data, recorded for prediction drift as train.py records them.
    answers = pd.read_csv(model_dir / "validation_predictions.csv")
    assert list(answers.columns) == ["label", "probability"] and len(answers) > 0


def test_two_workers_reach_the_same_weights_as_one(
    environments: dict[str, Environment], data_file: Path, tmp_path: Path
) -> None:
    alone = joblib.load(_run(environments["dev"], 1, data_file, tmp_path / "one") / "model.joblib")
    together = joblib.load(_run(environments["dev"], 2, data_file, tmp_path / "two") / "model.joblib")
    assert np.allclose(alone["classify"].coef_, together["classify"].coef_, atol=1e-9)
