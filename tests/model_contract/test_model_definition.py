"""The training pipeline of the second model is built from its contract: its hyperparameters as
parameters, its data set as the default DataUri, its train program, its task's report in the gates,
its code in the bundle; a tuning range its train program does not take is refused. Offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.config import Environment
from mlops_kit.config.models import ModelSpec, Tuning
from mlops_kit.errors import BadInput
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.platform import derived_facts

WINE = Path(__file__).resolve().parents[2] / "models" / "wine-classifier"


def with_wine(env: Environment, **training: Any) -> Environment:
    """`env` registering wine-classifier beside the demo model."""
    spec = ModelSpec(name="wine-classifier", path=str(WINE))
    registry = env.registry.model_copy(update={"models": [*env.registry.models, spec]})
    return env.model_copy(update={"registry": registry, "training": env.training.model_copy(update=training)})


def build(env: Environment) -> BuiltPipeline:
    from pipelines.training import build_training_pipeline

    return build_training_pipeline(env, derived_facts(env, ("subnet-1",), ("sg-1",)), "wine-classifier")


@pytest.fixture(scope="module")
def wine_pipeline(environments: dict[str, Environment]) -> BuiltPipeline:
    return build(with_wine(environments["dev"]))


def steps(pipeline: BuiltPipeline) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def visit(items: list[dict[str, Any]]) -> None:
        for step in items:
            found[step["Name"]] = step
            visit(step["Arguments"].get("IfSteps", []) + step["Arguments"].get("ElseSteps", []))

    visit(pipeline.document["Steps"])
    return found


def test_parameters_are_the_contracts_hyperparameters_and_data_set(wine_pipeline: BuiltPipeline) -> None:
    parameters = wine_pipeline.parameters
    assert (
        parameters["NEstimators"]["DefaultValue"] == "200" and parameters["MaxDepth"]["DefaultValue"] == "6"
    )
    assert "LearningRate" not in parameters
    assert parameters["DataUri"]["DefaultValue"].endswith("/datasets/wine-classifier/wine.csv")
    assert wine_pipeline.dataset_key == "datasets/wine-classifier/wine.csv"
    assert wine_pipeline.dataset is not None and wine_pipeline.dataset().startswith(b"cultivar,alcohol,")


def test_train_runs_the_contracts_program_and_the_gates_read_the_multiclass_report(
    wine_pipeline: BuiltPipeline,
) -> None:
    found = steps(wine_pipeline)
    hyperparameters = found["Train"]["Arguments"]["HyperParameters"]
    assert hyperparameters["sagemaker_program"] == "train.py"
    assert set(hyperparameters) >= {"n_estimators", "max_depth"} and "learning_rate" not in hyperparameters
    condition = found["GateAuc"]["Arguments"]["Conditions"][0]
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "multiclass_classification_metrics.auc.value"
    [register] = [s["Arguments"] for s in found.values() if s["Type"] == "RegisterModel"]
    assert (
        register["InferenceSpecification"]["Containers"][0]["Environment"]["SAGEMAKER_PROGRAM"]
        == "inference.py"
    )


def test_the_code_bundle_carries_the_models_code_and_schema(wine_pipeline: BuiltPipeline) -> None:
    bodies = {u.key.removeprefix(wine_pipeline.code.prefix + "/"): u.body for u in wine_pipeline.code.uploads}
    assert {"lib/model/evaluation.py", "lib/model/train.py", "lib/schema.json"} <= set(bodies)
    schema = json.loads(bodies["lib/schema.json"])
    assert schema["task"] == "multiclass_classification" and schema["categorical"] == ["alcohol_level"]
    assert schema["evaluate"] == "evaluation:metrics"


def test_a_tuning_range_the_models_train_program_does_not_take_is_refused(
    environments: dict[str, Environment],
) -> None:
    tuning = Tuning.model_validate({"ranges": {"learning_rate": {"min": 0.01, "max": 0.3}}})
    with pytest.raises(
        BadInput, match="wine-classifier's train step takes no hyperparameter 'learning_rate'"
    ):
        build(with_wine(environments["dev"], tuning=tuning))


def test_a_contract_missing_its_train_program_stops_the_build_naming_the_field(
    environments: dict[str, Environment], tmp_path: Path
) -> None:
    import shutil

    from mlops_kit.errors import ConfigError

    folder = tmp_path / "wine-classifier"
    shutil.copytree(WINE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "train.py").unlink()
    spec = ModelSpec(name="wine-classifier", path=str(folder))
    env = environments["dev"]
    env = env.model_copy(
        update={"registry": env.registry.model_copy(update={"models": [*env.registry.models, spec]})}
    )
    with pytest.raises(ConfigError) as raised:
        build(env)
    assert raised.value.exit_code == 2
    assert raised.value.problems == [
        f"{folder / 'model.yaml'}: entry_points.train: no file train.py in {folder}"
    ]
