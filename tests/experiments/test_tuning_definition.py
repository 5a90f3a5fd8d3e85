"""The tuning step in the training pipeline definition, and the tuning config it is built from."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_kit.config import Environment
from mlops_kit.config.models import Tuning
from mlops_kit.errors import BadInput
from mlops_kit.pipeline.platform import derived_facts

RANGES = {
    "learning_rate": {"min": 0.01, "max": 0.3, "scaling": "Logarithmic"},
    "max_depth": {"type": "integer", "min": 1, "max": 4},
}


def tuned(env: Environment, **tuning: Any) -> Environment:
    config = Tuning.model_validate({"ranges": RANGES, "max_trials": 4, **tuning})
    return env.model_copy(update={"training": env.training.model_copy(update={"tuning": config})})


def definition(env: Environment) -> dict[str, Any]:
    from pipelines.training import build_training_pipeline

    built = build_training_pipeline(env, derived_facts(env, ("subnet-1", "subnet-2"), ("sg-1",)))
    return dict(json.loads(built.definition))


def test_tuning_replaces_the_train_step_with_a_tuning_job_of_the_configured_budget_and_objective(
    dev_env: Environment,
) -> None:
    steps = {s["Name"]: s for s in definition(tuned(dev_env))["Steps"]}
    assert "Train" not in steps
    config = steps["Tune"]["Arguments"]["HyperParameterTuningJobConfig"]
    assert config["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 4
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert [r["Name"] for r in config["ParameterRanges"]["ContinuousParameterRanges"]] == ["learning_rate"]
    assert [r["Name"] for r in config["ParameterRanges"]["IntegerParameterRanges"]] == ["max_depth"]
    static = steps["Tune"]["Arguments"]["TrainingJobDefinition"]["StaticHyperParameters"]
    assert "learning_rate" not in static and static["n_estimators"] == {"Get": "Parameters.NEstimators"}


def test_evaluate_scores_the_best_trials_model(dev_env: Environment) -> None:
    steps = {s["Name"]: s for s in definition(tuned(dev_env))["Steps"]}
    [model] = [i for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"] if i["InputName"] == "model"]
    values = model["S3Input"]["S3Uri"]["Std:Join"]["Values"]
    assert {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"} in values
    assert values[-1] == "output/model.tar.gz"


def test_a_range_for_a_hyperparameter_the_train_step_lacks_is_refused_before_building(
    dev_env: Environment,
) -> None:
    from pipelines.training import build_training_pipeline

    env = tuned(dev_env, ranges={"subsample": {"min": 0.5, "max": 1.0}})
    with pytest.raises(BadInput, match="no hyperparameter 'subsample'") as raised:
        build_training_pipeline(env, derived_facts(env, ("subnet-1",), ("sg-1",)))
    assert raised.value.exit_code == 2


def test_a_range_outside_what_the_train_step_accepts_is_refused(dev_env: Environment) -> None:
    from pipelines.training import build_training_pipeline

    env = tuned(dev_env, ranges={"learning_rate": {"min": 0.1, "max": 2.0}})
    with pytest.raises(BadInput, match="learning_rate must stay within"):
        build_training_pipeline(env, derived_facts(env, ("subnet-1",), ("sg-1",)))


def test_an_inverted_range_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="must be below max"):
        Tuning.model_validate({"ranges": {"max_depth": {"type": "integer", "min": 5, "max": 2}}})


def test_an_objective_the_evaluate_step_does_not_write_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="objective"):
        Tuning.model_validate({"ranges": RANGES, "objective": "loss"})
