"""Tuning on the emulator: the local runner runs a budget of trials, each an MLflow child run, and
the best trial by the objective is the model that is evaluated and registered."""

from __future__ import annotations

import pytest

from mlops_kit.config import Environment
from mlops_kit.config.models import Tuning
from mlops_kit.registry.lineage import Lineage
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def test_a_budget_of_four_trials_registers_the_best_trial_by_the_objective(
    tracked: dict[str, str], dev_env: Environment, tracking_server: str
) -> None:
    from mlflow import MlflowClient

    from mlops_kit.pipeline.service import start_training_run, wait_for_execution
    from pipelines.training import build_training_pipeline

    tuning = Tuning.model_validate(
        {
            "objective": "auc",
            "max_trials": 4,
            "ranges": {
                "learning_rate": {"min": 0.05, "max": 0.5, "scaling": "Logarithmic"},
                "max_depth": {"type": "integer", "min": 1, "max": 3},
            },
        }
    )
    env = dev_env.model_copy(update={"training": dev_env.training.model_copy(update={"tuning": tuning})})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", tracking_server)
        started = start_training_run(env, build_training_pipeline, {"NEstimators": "20"})
    final = wait_for_execution(env, started.execution_arn, timeout=900)
    assert final.status == "Succeeded", final.failure_reason
    assert [s.name for s in final.steps][:3] == ["Preprocess", "Tune", "Evaluate"]

    client = MlflowClient(tracking_uri=tracking_server)
    experiment = client.get_experiment_by_name("tumor-classifier")
    assert experiment is not None
    execution_id = final.arn.rsplit("/", 1)[-1]
    [parent] = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`kit.run_key` = '{execution_id}'"
    )
    trials = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'",
        order_by=["attributes.start_time ASC"],
    )
    assert len(trials) == 4
    scores = [round(t.data.metrics["train.validation_auc"], 6) for t in trials]
    best = trials[scores.index(max(scores))]

    [register] = [s for s in final.steps if "RegisterModel" in s.metadata]
    described = (
        admin_clients(env)
        .client("sagemaker")
        .describe_model_package(ModelPackageName=register.metadata["RegisterModel"]["Arn"])
    )
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    assert lineage.hyperparameters["learning_rate"] == best.data.params["learning_rate"]
    assert lineage.hyperparameters["max_depth"] == best.data.params["max_depth"]
    assert lineage.extra["mlflow_run_id"] == parent.info.run_id
