"""The training pipeline definition: deterministic, offline, and acceptable to SageMaker's API shapes."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import pytest
from botocore.session import get_session
from botocore.validate import ParamValidator

from local_aws.sagemaker.local_runner import parameter_values
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.expressions import Resolver
from mlops_kit.pipeline.platform import PlatformFacts
from mlops_kit.registry.lineage import Lineage


def all_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for step in steps:
        found.append(step)
        if step["Type"] == "Condition":
            found += all_steps(step["Arguments"].get("IfSteps", []) + step["Arguments"].get("ElseSteps", []))
    return found


class PlaceholderProperties:
    """Step properties as a finished run would give them: S3 URIs and strings."""

    def step_property(self, step: str, path: list[str | int]) -> Any:
        return f"s3://placeholder/{step}/{'/'.join(map(str, path))}"

    def property_file(self, step: str, name: str) -> Any:
        raise AssertionError("not used")


class PlaceholderResolver(Resolver):
    def json_get(self, spec: dict[str, Any]) -> Any:
        return "0.5"


def resolved(pipeline: BuiltPipeline, step: dict[str, Any]) -> dict[str, Any]:
    resolver = PlaceholderResolver(
        parameter_values(pipeline.document, {}),
        {
            "PipelineExecutionId": "abc123",
            "PipelineExecutionArn": "arn:aws:sagemaker:us-east-1:111111111111:pipeline/p/execution/abc123",
        },
        PlaceholderProperties(),
    )
    return dict(resolver.resolve(step["Arguments"]))


def test_definition_is_byte_identical_and_built_without_network(
    dev_env: Environment,
    dev_platform: PlatformFacts,
    dev_pipeline: BuiltPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines.training import build_training_pipeline

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the definition build attempted a network call: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    again = build_training_pipeline(dev_env, dev_platform)
    assert again.definition == dev_pipeline.definition
    assert again.code.prefix == dev_pipeline.code.prefix


def test_building_the_definition_leaves_the_process_environment_as_it_was(
    dev_env: Environment, dev_platform: PlatformFacts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.training import build_training_pipeline

    for name in (
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "SAGEMAKER_VALIDATE_ROLE",
    ):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    build_training_pipeline(dev_env, dev_platform)
    assert dict(os.environ) == before


@pytest.mark.parametrize(
    ("step_type", "operation", "name_field"),
    [
        ("Processing", "CreateProcessingJob", "ProcessingJobName"),
        ("Training", "CreateTrainingJob", "TrainingJobName"),
        ("RegisterModel", "CreateModelPackage", None),
    ],
)
def test_step_arguments_satisfy_the_sagemaker_api_shape(
    dev_pipeline: BuiltPipeline, step_type: str, operation: str, name_field: str | None
) -> None:
    shape = get_session().get_service_model("sagemaker").operation_model(operation).input_shape
    steps = [s for s in all_steps(dev_pipeline.document["Steps"]) if s["Type"] == step_type]
    assert steps, f"no {step_type} step"
    for step in steps:
        arguments = resolved(dev_pipeline, step)
        if name_field:
            arguments[name_field] = f"pipelines-abc123-{step['Name']}"
        report = ParamValidator().validate(arguments, shape)
        assert not report.has_errors(), f"{step['Name']}: {report.generate_report()}"


def test_steps_run_with_the_environments_instances_key_network_and_role(
    dev_env: Environment, dev_platform: PlatformFacts, dev_pipeline: BuiltPipeline
) -> None:
    steps = {s["Name"]: s["Arguments"] for s in dev_pipeline.document["Steps"]}
    for name in ("Preprocess", "Evaluate"):
        cluster = steps[name]["ProcessingResources"]["ClusterConfig"]
        assert cluster["InstanceType"] == dev_env.training.processing_instance_type
        assert cluster["InstanceCount"] == dev_env.training.instance_count
        assert cluster["VolumeKmsKeyId"] == dev_platform.kms_key_id
        assert steps[name]["NetworkConfig"]["VpcConfig"]["Subnets"] == list(dev_platform.subnet_ids)
        assert steps[name]["RoleArn"] == dev_platform.execution_role_arn
    train = steps["Train"]
    assert train["ResourceConfig"]["InstanceType"] == dev_env.training.training_instance_type
    assert train["ResourceConfig"]["VolumeKmsKeyId"] == dev_platform.kms_key_id
    assert train["VpcConfig"] == {
        "SecurityGroupIds": list(dev_platform.security_group_ids),
        "Subnets": list(dev_platform.subnet_ids),
    }
    assert train["RoleArn"] == dev_platform.execution_role_arn
    assert dev_pipeline.role_arn == dev_platform.pipeline_role_arn


def test_hyperparameters_data_uri_and_thresholds_are_pipeline_parameters(
    dev_env: Environment, dev_pipeline: BuiltPipeline
) -> None:
    parameters = dev_pipeline.parameters
    assert parameters["DataUri"]["DefaultValue"] == (
        f"s3://{ResourceNames(dev_env).artifact_bucket}/datasets/tumor-classifier/breast-cancer-wisconsin.csv"
    )
    assert {"LearningRate", "NEstimators", "MaxDepth"} <= set(parameters)
    assert parameters["MinAuc"] == {"Type": "Float", "DefaultValue": dev_env.gates.min_metrics["auc"]}
    assert parameters["MinAccuracy"] == {
        "Type": "Float",
        "DefaultValue": dev_env.gates.min_metrics["accuracy"],
    }
    train = next(s for s in dev_pipeline.document["Steps"] if s["Name"] == "Train")
    assert train["Arguments"]["HyperParameters"]["learning_rate"] == {"Get": "Parameters.LearningRate"}


def test_each_gate_ends_in_a_fail_step_naming_metric_value_and_threshold(dev_pipeline: BuiltPipeline) -> None:
    steps = {s["Name"]: s for s in all_steps(dev_pipeline.document["Steps"])}
    for metric, gate, failure in (
        ("auc", "GateAuc", "AucBelowThreshold"),
        ("accuracy", "GateAccuracy", "AccuracyBelowThreshold"),
    ):
        condition = steps[gate]["Arguments"]["Conditions"][0]
        assert condition["Type"] == "GreaterThanOrEqualTo"
        assert (
            condition["LeftValue"]["Std:JsonGet"]["Path"] == f"binary_classification_metrics.{metric}.value"
        )
        assert [s["Name"] for s in steps[gate]["Arguments"]["ElseSteps"]] == [failure]
        message = json.dumps(steps[failure]["Arguments"]["ErrorMessage"])
        assert (
            metric in message
            and "Std:JsonGet" in message
            and f"Parameters.Min{metric.capitalize()}" in message
        )


def test_register_step_carries_pending_approval_metrics_baseline_and_lineage(
    dev_env: Environment, dev_pipeline: BuiltPipeline
) -> None:
    from mlops_kit.serving.images import sklearn_image_uri

    register = next(s for s in all_steps(dev_pipeline.document["Steps"]) if s["Type"] == "RegisterModel")[
        "Arguments"
    ]
    assert register["ModelPackageGroupName"] == ResourceNames(dev_env).model_package_group("tumor-classifier")
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert "evaluation.json" in json.dumps(register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"])
    assert "baseline.json" in json.dumps(register["DriftCheckBaselines"])
    container = register["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == sklearn_image_uri(dev_env.region)
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    expected = {
        "git_commit",
        "data_uri",
        "data_sha256",
        "hyperparameters",
        "image_uris",
        "metrics",
        "execution_arn",
        "drift_baseline_uri",
        "artifact_sha256",
    }
    assert expected <= set(register["CustomerMetadataProperties"])
    assert set(
        Lineage.from_metadata(dict.fromkeys(register["CustomerMetadataProperties"], "x")).to_metadata()
    )


def test_code_is_referenced_by_a_content_hash_prefix(dev_pipeline: BuiltPipeline) -> None:
    text = dev_pipeline.definition
    assert f"s3://{dev_pipeline.code.bucket}/{dev_pipeline.code.prefix}/preprocess.py" in text
    assert f"{dev_pipeline.code.prefix}/sourcedir.tar.gz" in text
    keys = {u.key.rsplit("/", 1)[-1] for u in dev_pipeline.code.uploads}
    assert {
        "preprocess.py",
        "evaluate.py",
        "sourcedir.tar.gz",
        "baseline.py",
        "baseline_document.py",
        "lineage.py",
        "schema.json",
    } <= keys


def test_train_and_evaluate_jobs_get_the_tracking_uri_parameter_and_the_execution_as_run_key(
    dev_pipeline: BuiltPipeline,
) -> None:
    assert dev_pipeline.parameters["MlflowTrackingUri"] == {"Type": "String", "DefaultValue": ""}
    steps = {s["Name"]: s for s in dev_pipeline.document["Steps"]}
    for name in ("Train", "Evaluate"):
        environment = steps[name]["Arguments"]["Environment"]
        assert environment["MLFLOW_TRACKING_URI"] == {"Get": "Parameters.MlflowTrackingUri"}
        assert environment["KIT_RUN_KEY"] == {"Get": "Execution.PipelineExecutionId"}
        assert environment["MLFLOW_EXPERIMENT_NAME"] == "tumor-classifier"
    assert "Environment" not in steps["Preprocess"]["Arguments"]


def fairness_gated(env: Environment, folder: Any) -> Environment:
    """`env` registering the model of `folder` only, with both fairness ceilings set."""
    from mlops_kit.config.models import ModelSpec

    return env.model_copy(
        update={
            "registry": env.registry.model_copy(
                update={"models": [ModelSpec(name="wine-classifier", path=str(folder))]}
            ),
            "gates": env.gates.model_copy(
                update={"max_demographic_parity_difference": 0.2, "max_equal_opportunity_difference": 0.3}
            ),
        }
    )


def wine_copy(tmp_path: Any, fairness: str) -> Any:
    import shutil
    from pathlib import Path

    folder = tmp_path / "wine-classifier"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "models" / "wine-classifier",
        folder,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (folder / "model.yaml").write_text((folder / "model.yaml").read_text() + fairness)
    return folder


def test_each_fairness_ceiling_is_a_gate_ending_in_a_fail_step_naming_metric_value_and_ceiling(
    dev_env: Environment, dev_platform: PlatformFacts, tmp_path: Any
) -> None:
    from pipelines.training import build_training_pipeline

    folder = wine_copy(tmp_path, "fairness: {sensitive_attribute: alcohol_level, favorable_class: 0}\n")
    pipeline = build_training_pipeline(fairness_gated(dev_env, folder), dev_platform)
    assert pipeline.parameters["MaxDemographicParityDifference"] == {"Type": "Float", "DefaultValue": 0.2}
    assert pipeline.parameters["MaxEqualOpportunityDifference"] == {"Type": "Float", "DefaultValue": 0.3}
    steps = {s["Name"]: s for s in all_steps(pipeline.document["Steps"])}
    for metric, gate, failure, parameter in (
        (
            "demographic_parity_difference",
            "GateDemographicParityDifference",
            "DemographicParityDifferenceAboveCeiling",
            "MaxDemographicParityDifference",
        ),
        (
            "equal_opportunity_difference",
            "GateEqualOpportunityDifference",
            "EqualOpportunityDifferenceAboveCeiling",
            "MaxEqualOpportunityDifference",
        ),
    ):
        condition = steps[gate]["Arguments"]["Conditions"][0]
        assert condition["Type"] == "LessThanOrEqualTo"
        assert condition["LeftValue"]["Std:JsonGet"]["Path"] == f"fairness.{metric}"
        assert condition["RightValue"] == {"Get": f"Parameters.{parameter}"}
        assert [s["Name"] for s in steps[gate]["Arguments"]["ElseSteps"]] == [failure]
        message = json.dumps(steps[failure]["Arguments"]["ErrorMessage"])
        assert metric in message and "Std:JsonGet" in message and f"Parameters.{parameter}" in message
    # Nothing registers unless every gate, the metric gates included, passes.
    assert "GateAuc" in steps and "RegisterModel" not in {s["Type"] for s in pipeline.document["Steps"]}


def test_a_fairness_ceiling_for_a_model_that_measures_no_fairness_stops_the_build(
    dev_env: Environment, dev_platform: PlatformFacts, tmp_path: Any
) -> None:
    from mlops_kit.errors import BadInput
    from pipelines.training import build_training_pipeline

    folder = wine_copy(tmp_path, "")
    with pytest.raises(BadInput) as raised:
        build_training_pipeline(fairness_gated(dev_env, folder), dev_platform)
    message = str(raised.value)
    assert "max_demographic_parity_difference, max_equal_opportunity_difference" in message
    assert "names no fairness.sensitive_attribute" in message and str(folder / "model.yaml") in message
