"""The tuning step of the training pipeline: a SageMaker hyperparameter tuning job in place of the
single training job, when the environment's `training.tuning` asks for one.

Ranges name the train script's hyperparameters; the objective is a metric the evaluate step writes,
which the train script also reports on the validation split (`validation:<metric>=<value>` in its
log, read by the tuning job's metric definitions). The best trial's model flows into evaluate.
"""

from __future__ import annotations

from typing import Any

from mlops_kit.config import Environment
from mlops_kit.config.models import Tuning
from mlops_kit.errors import BadInput
from mlops_kit.model_contract.loading import ModelContract
from mlops_kit.registry.lineage import METRIC_NAMES

TUNE = "Tune"
# What the demo model's hyperparameters accept (its train.py refuses values outside): (smallest,
# largest, integer). Other names are checked against the model's contract only.
HYPERPARAMETER_BOUNDS = {
    "learning_rate": (1e-6, 1.0, False),
    "n_estimators": (1.0, 5000.0, True),
    "max_depth": (1.0, 64.0, True),
}


def metric_definitions() -> list[dict[str, str]]:
    """How the tuning job reads the train script's validation metrics from its log."""
    return [{"Name": f"validation:{m}", "Regex": f"validation:{m}=([0-9.]+)"} for m in METRIC_NAMES]


def check_tuning(env: Environment, tuning: Tuning, contract: ModelContract) -> None:
    """BadInput (exit 2) for ranges the model's train program cannot take (its contract's
    hyperparameters) or an objective its evaluate does not write (its contract's metrics)."""
    where = f"environments/{env.name}.yaml: training.tuning"
    if tuning.objective not in METRIC_NAMES or tuning.objective not in contract.manifest.metrics:
        raise BadInput(
            f"{contract.name}'s evaluate step writes no metric '{tuning.objective}'",
            argument=f"{where}.objective",
        )
    takes = set(contract.manifest.hyperparameters)
    for name, spec in tuning.ranges.items():
        if name not in takes:
            known = ", ".join(sorted(takes))
            raise BadInput(
                f"{contract.name}'s train step takes no hyperparameter '{name}' ({known})",
                argument=f"{where}.ranges",
            )
        if name not in HYPERPARAMETER_BOUNDS:
            continue
        low, high, integer = HYPERPARAMETER_BOUNDS[name]
        if spec.min < low or spec.max > high:
            raise BadInput(f"{name} must stay within [{low:g}, {high:g}]", argument=f"{where}.ranges.{name}")
        if integer and spec.type != "integer":
            raise BadInput(f"{name} takes whole numbers: type integer", argument=f"{where}.ranges.{name}")


def tune_step(jobs: Any, trainer: Any, inputs: list[Any], tuning: Tuning) -> Any:
    """The TuningStep searching `tuning.ranges` with `tuning.max_trials` training jobs of `trainer`."""
    from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
    from sagemaker.mlops.workflow import TuningStep
    from sagemaker.train.tuner import HyperparameterTuner

    ranges: dict[str | Any, Any] = {
        name: (
            IntegerParameter(int(spec.min), int(spec.max), scaling_type=spec.scaling)
            if spec.type == "integer"
            else ContinuousParameter(spec.min, spec.max, scaling_type=spec.scaling)
        )
        for name, spec in sorted(tuning.ranges.items())
    }
    tuner = HyperparameterTuner(
        model_trainer=trainer,
        objective_metric_name=f"validation:{tuning.objective}",
        hyperparameter_ranges=ranges,
        metric_definitions=metric_definitions(),
        strategy=tuning.strategy,
        objective_type="Maximize",
        max_jobs=tuning.max_trials,
        max_parallel_jobs=tuning.max_parallel_trials,
    )
    return TuningStep(name=TUNE, step_args=tuner.tune(inputs=inputs))


def best_model_uri(step: Any, jobs: Any) -> Any:
    """The S3 URI of the best trial's model artifact."""
    return step.get_top_model_s3_uri(0, jobs.platform.artifact_bucket, f"pipelines/{jobs.model}/models")
