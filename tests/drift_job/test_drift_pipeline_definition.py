"""The drift pipeline definition: plain JSON, sharded capture, and acceptable to SageMaker's API shapes."""

from __future__ import annotations

import json
import sys

import pytest
from botocore.session import get_session
from botocore.validate import ParamValidator

from local_aws.sagemaker.local_runner import parameter_values
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.expressions import Resolver
from mlops_kit.pipeline.platform import PlatformFacts, derived_facts
from pipelines.drift_definition import MERGE, SHARDS
from tests.pipeline.test_pipeline_definition import PlaceholderProperties

SUBNETS = ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
SECURITY_GROUPS = ("sg-0a1b2c3d4e5f60001",)


@pytest.fixture(scope="module")
def dev(environments: dict[str, Environment]) -> tuple[Environment, PlatformFacts]:
    env = environments["dev"]
    return env, derived_facts(env, SUBNETS, SECURITY_GROUPS)


@pytest.fixture(scope="module")
def drift_pipeline(dev: tuple[Environment, PlatformFacts]) -> BuiltPipeline:
    from pipelines.drift import build_drift_pipeline

    return build_drift_pipeline(*dev)


def resolved(pipeline: BuiltPipeline, step: dict) -> dict:  # type: ignore[type-arg]
    execution = {
        "PipelineExecutionId": "abc123",
        "PipelineExecutionArn": "arn:aws:sagemaker:us-east-1:111111111111:pipeline/p/execution/abc123",
        "StartDateTime": "2026-11-25T09:00:00Z",
    }
    resolver = Resolver(parameter_values(pipeline.document, {}), execution, PlaceholderProperties())
    return dict(resolver.resolve(step["Arguments"]))


def steps(pipeline: BuiltPipeline) -> dict[str, dict]:  # type: ignore[type-arg]
    return {step["Name"]: step for step in pipeline.document["Steps"]}


def test_definition_module_imports_neither_the_sdk_nor_pandas() -> None:
    import subprocess

    code = (
        "import sys, pipelines.drift_definition; "
        "print(sorted(m for m in ('sagemaker', 'pandas', 'boto3') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_definition_is_deterministic(
    dev: tuple[Environment, PlatformFacts], drift_pipeline: BuiltPipeline
) -> None:
    from pipelines.drift import build_drift_pipeline

    assert build_drift_pipeline(*dev).definition == drift_pipeline.definition


@pytest.mark.parametrize("step", [SHARDS, MERGE])
def test_step_arguments_satisfy_the_create_processing_job_shape(
    drift_pipeline: BuiltPipeline, step: str
) -> None:
    shape = get_session().get_service_model("sagemaker").operation_model("CreateProcessingJob").input_shape
    arguments = resolved(drift_pipeline, steps(drift_pipeline)[step])
    arguments["ProcessingJobName"] = f"pipelines-abc123-{step}"
    report = ParamValidator().validate(arguments, shape)
    assert not report.has_errors(), report.generate_report()


def test_parameters_are_window_baseline_and_capture_prefix(
    dev: tuple[Environment, PlatformFacts], drift_pipeline: BuiltPipeline
) -> None:
    env, _ = dev
    model = env.models[0]
    parameters = drift_pipeline.parameters
    assert parameters["WindowHours"] == {"Type": "Integer", "DefaultValue": env.drift.window_hours}
    assert parameters["CapturePrefix"]["DefaultValue"] == ResourceNames(env).data_capture_prefix(model)
    assert parameters["BaselineUri"]["DefaultValue"].endswith(f"/drift-baselines/{model}/baseline.json")


def test_shards_run_on_the_environments_instances_over_capture_sharded_by_key(
    dev: tuple[Environment, PlatformFacts], drift_pipeline: BuiltPipeline
) -> None:
    env, platform = dev
    arguments = steps(drift_pipeline)[SHARDS]["Arguments"]
    cluster = arguments["ProcessingResources"]["ClusterConfig"]
    assert (cluster["InstanceType"], cluster["InstanceCount"]) == (
        env.drift.instance_type,
        env.drift.instance_count,
    )
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["capture"]["S3Uri"] == {"Get": "Parameters.CapturePrefix"}
    assert inputs["capture"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert inputs["baseline"]["S3DataDistributionType"] == "FullyReplicated"
    assert arguments["RoleArn"] == platform.execution_role_arn
    assert arguments["NetworkConfig"]["VpcConfig"]["Subnets"] == list(SUBNETS)


def test_merge_writes_to_the_drift_report_prefix_with_the_environments_thresholds(
    dev: tuple[Environment, PlatformFacts], drift_pipeline: BuiltPipeline
) -> None:
    env, _ = dev
    model = env.models[0]
    arguments = steps(drift_pipeline)[MERGE]["Arguments"]
    assert arguments["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    outputs = {
        o["OutputName"]: o["S3Output"]["S3Uri"] for o in arguments["ProcessingOutputConfig"]["Outputs"]
    }
    assert outputs["report"] == ResourceNames(env).drift_report_prefix(model)
    container = arguments["AppSpecification"]["ContainerArguments"]
    thresholds = json.loads(container[container.index("--thresholds") + 1])
    assert thresholds["psi"] == env.drift.psi
    assert thresholds["min_samples"] == env.drift.min_samples


def test_engine_ships_as_source_under_a_content_hash_prefix(drift_pipeline: BuiltPipeline) -> None:
    names = {
        upload.key.removeprefix(drift_pipeline.code.prefix + "/") for upload in drift_pipeline.code.uploads
    }
    assert {"drift_shard.py", "drift_merge.py", "lib/mlops_kit/errors.py"} <= names
    assert {"lib/mlops_kit/drift/__init__.py", "lib/mlops_kit/drift/publication.py"} <= names
    assert drift_pipeline.code.prefix.startswith("code/")
