"""The training pipeline: preprocess -> train -> evaluate -> gate(s) -> register, as SageMaker JSON.

Built with the SageMaker Python SDK v3 under a `PipelineSession`, offline: code is referenced by S3
URI (a content-hash prefix), the session's bucket is given, telemetry is off, and nothing reads the
network, so identical inputs give byte-identical JSON. The SDK's workflow modules take seconds to
import, so they are imported inside `build_training_pipeline` only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput
from mlops_kit.pipeline.bundle import BuiltPipeline, code_bundle
from mlops_kit.pipeline.dataset import dataset_uri
from mlops_kit.pipeline.platform import PlatformFacts
from mlops_kit.registry.lineage import METRIC_NAMES, Lineage
from mlops_kit.serving.images import sklearn_image_uri

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
PIPELINE_KIND = "training"
PROCESSING_ROOT = "/opt/ml/processing"

# Step names: the CLI, the tests and `kit pipeline status` refer to them.
PREPROCESS, TRAIN, EVALUATE, REGISTER = "Preprocess", "Train", "Evaluate", "RegisterModel"

HYPERPARAMETERS = {
    "LearningRate": ("learning_rate", "0.1"),
    "NEstimators": ("n_estimators", "100"),
    "MaxDepth": ("max_depth", "3"),
}
INSTANCE_TYPES_FOR_SERVING = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.c5.xlarge")


def gate_parameter(metric: str) -> str:
    """`auc` -> `MinAuc`: the pipeline parameter holding a gate's threshold."""
    return "Min" + metric.capitalize()


def gate_step(metric: str) -> str:
    return f"Gate{metric.capitalize()}"


def gate_failure_step(metric: str) -> str:
    return f"{metric.capitalize()}BelowThreshold"


def gated_metrics(env: Environment) -> list[str]:
    """The environment's gated metrics, in the kit's metric order."""
    return [m for m in METRIC_NAMES if m in env.gates.min_metrics]


def lineage_keys() -> list[str]:
    """Metadata keys every registered version carries (from the lineage contract itself)."""
    sample = Lineage(
        git_commit="x",
        data_uri="x",
        data_sha256="x",
        hyperparameters={"x": "x"},
        image_uris={"x": "x"},
        metrics={"auc": 1.0},
        execution_arn="x",
        drift_baseline_uri="x",
        artifact_sha256="x",
        extra={"model_data_uri": "x"},
    )
    return sorted(sample.to_metadata())


@contextmanager
def _validated_once() -> Iterator[None]:
    """Validate the SDK config against its JSON schema with one compiled validator.

    The SDK calls `jsonschema.validate(config, schema)` on every config lookup (dozens per build), and
    each call first re-checks the large schema itself: ~0.5 s a time, 90% of the build. Validation
    still happens, with the schema checked once.
    """
    import jsonschema
    from sagemaker.core.config import config_manager
    from sagemaker.core.config.config_schema import SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA
    from sagemaker.core.helper import session_helper

    validator_class = jsonschema.validators.validator_for(SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA)
    validator = validator_class(SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA)

    def validate(sagemaker_config: dict[str, Any] | None = None) -> None:
        validator.validate(sagemaker_config)

    saved = (
        config_manager.SageMakerConfig.__dict__["validate_sagemaker_config"],
        session_helper.validate_sagemaker_config,
    )
    config_manager.SageMakerConfig.validate_sagemaker_config = staticmethod(validate)  # type: ignore[assignment]
    session_helper.validate_sagemaker_config = validate
    try:
        yield
    finally:
        config_manager.SageMakerConfig.validate_sagemaker_config = saved[0]  # type: ignore[assignment]
        session_helper.validate_sagemaker_config = saved[1]


def _sdk_environment(region: str) -> None:
    # The SDK reads these at import and session time; set them before the first import.
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "offline")  # the SDK builds clients it never calls
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "offline")


def build_training_pipeline(
    env: Environment, platform: PlatformFacts, model: str | None = None
) -> BuiltPipeline:
    """The training pipeline of `model` (default: the environment's first) in `env`. Pure and offline."""
    model = model or env.models[0]
    if model not in env.models:
        raise BadInput(f"--model: {env.name} registers no model '{model}' (it has {', '.join(env.models)})")
    _sdk_environment(env.region)
    with _validated_once():
        return _build(env, platform, model)


def _build(env: Environment, platform: PlatformFacts, model: str) -> BuiltPipeline:
    import logging

    import boto3
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import (
        DriftCheckBaselines,
        DriftCheckModelDataQuality,
        MetricsSource,
        ModelMetrics,
        ModelQuality,
        ProcessingInput,
        ProcessingOutput,
        ProcessingS3Input,
        ProcessingS3Output,
    )
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import (
        ConditionStep,
        FailStep,
        ModelStep,
        Pipeline,
        ProcessingStep,
        TrainingStep,
    )
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.configs import Compute, InputData, Networking, OutputDataConfig, StoppingCondition
    from sagemaker.train.model_trainer import ModelTrainer

    # The SDK logs a warning per popped job name and per pipeline session; none is actionable here.
    for noisy in ("sagemaker", "sagemaker.core", "sagemaker.mlops", "sagemaker.serve", "sagemaker.train"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    names = ResourceNames(env)
    training = env.training
    bucket = platform.artifact_bucket
    code = code_bundle(bucket, SCRIPTS_DIR, pipeline=f"{model}-{PIPELINE_KIND}")
    image = sklearn_image_uri(env.region)
    sdk_config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = PipelineSession(
        boto_session=boto3.session.Session(region_name=env.region),
        default_bucket=bucket,
        sagemaker_config=sdk_config,
    )
    # default_bucket() would otherwise call S3 to create the bucket; the platform already has it.
    session._default_bucket = bucket

    data_uri = ParameterString("DataUri", default_value=dataset_uri(env, model))
    git_commit = ParameterString("GitCommit", default_value="unknown")
    hyper = {
        name: ParameterString(name, default_value=default) for name, (_, default) in HYPERPARAMETERS.items()
    }
    minimums = {str(k): float(v) for k, v in env.gates.min_metrics.items()}
    thresholds = {
        metric: ParameterFloat(gate_parameter(metric), default_value=minimums[metric])
        for metric in gated_metrics(env)
    }
    run_prefix = Join(
        on="/", values=[f"s3://{bucket}/pipelines/{model}", ExecutionVariables.PIPELINE_EXECUTION_ID]
    )

    def s3_in(name: str, uri: Any, local: str) -> Any:
        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri, local_path=local, s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        )

    def s3_out(step: str, name: str) -> Any:
        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=Join(on="/", values=[run_prefix, step, name]),
                local_path=f"{PROCESSING_ROOT}/output/{name}",
                s3_upload_mode="EndOfJob",
            ),
        )

    def processor(job: str) -> Any:
        return ScriptProcessor(
            role=platform.execution_role_arn,
            image_uri=image,
            command=["python3"],
            instance_count=training.instance_count,
            instance_type=training.processing_instance_type,
            volume_size_in_gb=training.volume_size_gib,
            volume_kms_key=platform.kms_key_id,
            output_kms_key=platform.kms_key_id,
            max_runtime_in_seconds=training.max_runtime_seconds,
            base_job_name=f"{names.base}-{job}",
            sagemaker_session=session,
            network_config=network(),
        )

    def network() -> Any:
        from sagemaker.core.network import NetworkConfig

        return NetworkConfig(
            subnets=list(platform.subnet_ids),
            security_group_ids=list(platform.security_group_ids),
            enable_network_isolation=False,
            encrypt_inter_container_traffic=True,
        )

    lib = s3_in("lib", code.uri("lib/"), f"{PROCESSING_ROOT}/input/lib")
    preprocess = ProcessingStep(
        name=PREPROCESS,
        step_args=processor("preprocess").run(
            code=code.uri("preprocess.py"),
            inputs=[s3_in("data", data_uri, f"{PROCESSING_ROOT}/input/data"), lib],
            outputs=[s3_out("preprocess", n) for n in ("train", "validation", "test", "baseline")],
            arguments=[
                "--input-dir",
                f"{PROCESSING_ROOT}/input/data",
                "--lib-dir",
                f"{PROCESSING_ROOT}/input/lib",
                "--output-dir",
                f"{PROCESSING_ROOT}/output",
                "--data-uri",
                data_uri,
            ],
        ),
    )

    def preprocess_output(name: str) -> Any:
        return preprocess.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri

    trainer = ModelTrainer(
        sagemaker_session=session,
        role=platform.execution_role_arn,
        training_image=image,
        base_job_name=f"{names.base}-train",
        compute=Compute(
            instance_type=training.training_instance_type,
            instance_count=training.instance_count,
            volume_size_in_gb=training.volume_size_gib,
            volume_kms_key_id=platform.kms_key_id,
        ),
        networking=Networking(
            subnets=list(platform.subnet_ids),
            security_group_ids=list(platform.security_group_ids),
            enable_inter_container_traffic_encryption=True,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=training.max_runtime_seconds),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{bucket}/pipelines/{model}/models", kms_key_id=platform.kms_key_id
        ),
        # Script mode of SageMaker's framework images: the toolkit fetches the code and runs the program.
        hyperparameters={
            **{hp: hyper[name] for name, (hp, _) in HYPERPARAMETERS.items()},
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": code.uri("sourcedir.tar.gz"),
        },
    )
    train = TrainingStep(
        name=TRAIN,
        step_args=trainer.train(
            input_data_config=[
                InputData(channel_name="train", data_source=preprocess_output("train")),
                InputData(channel_name="validation", data_source=preprocess_output("validation")),
            ]
        ),
    )
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluation_file = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    lineage_file = PropertyFile(name="LineageReport", output_name="evaluation", path="lineage.json")
    baseline_uri = Join(on="/", values=[preprocess_output("baseline"), "baseline.json"])
    evaluate = ProcessingStep(
        name=EVALUATE,
        property_files=[evaluation_file, lineage_file],
        step_args=processor("evaluate").run(
            code=code.uri("evaluate.py"),
            inputs=[
                s3_in("model", model_data, f"{PROCESSING_ROOT}/input/model"),
                s3_in("test", preprocess_output("test"), f"{PROCESSING_ROOT}/input/test"),
                s3_in("data", preprocess_output("baseline"), f"{PROCESSING_ROOT}/input/data"),
                lib,
            ],
            outputs=[s3_out("evaluate", "evaluation")],
            arguments=[
                "--model-dir",
                f"{PROCESSING_ROOT}/input/model",
                "--test-dir",
                f"{PROCESSING_ROOT}/input/test",
                "--data-dir",
                f"{PROCESSING_ROOT}/input/data",
                "--lib-dir",
                f"{PROCESSING_ROOT}/input/lib",
                "--output-dir",
                f"{PROCESSING_ROOT}/output/evaluation",
                "--model-uri",
                model_data,
                "--baseline-uri",
                baseline_uri,
                "--data-uri",
                data_uri,
                "--git-commit",
                git_commit,
                "--execution-arn",
                ExecutionVariables.PIPELINE_EXECUTION_ARN,
                "--image",
                f"training={image}",
                "--image",
                f"inference={image}",
            ],
        ),
    )
    evaluation_uri = Join(
        on="/",
        values=[
            evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri,
            "evaluation.json",
        ],
    )

    builder = ModelBuilder(
        sagemaker_session=session,
        role_arn=platform.execution_role_arn,
        image_uri=image,
        s3_model_data_url=model_data,
        env_vars={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    register = ModelStep(
        name=REGISTER,
        step_args=builder.register(
            model_package_group_name=names.model_package_group(model),
            content_types=["text/csv", "application/json"],
            response_types=["application/json"],
            inference_instances=sorted({env.serving.instance_type, *INSTANCE_TYPES_FOR_SERVING}),
            transform_instances=[env.serving.instance_type],
            approval_status="PendingManualApproval",
            model_metrics=ModelMetrics(
                model_quality=ModelQuality(
                    statistics=MetricsSource(content_type="application/json", s3_uri=evaluation_uri)
                )
            ),
            drift_check_baselines=DriftCheckBaselines(
                model_data_quality=DriftCheckModelDataQuality(
                    statistics=MetricsSource(content_type="application/json", s3_uri=baseline_uri)
                )
            ),
            customer_metadata_properties={
                key: JsonGet(step_name=EVALUATE, property_file=lineage_file, json_path=key)
                for key in lineage_keys()
            },
        ),
    )

    # One gate per metric, chained: the first failing gate ends the run in a fail step naming it.
    next_steps: list[Any] = [register]
    for metric in reversed(gated_metrics(env)):
        value = JsonGet(
            step_name=EVALUATE,
            property_file=evaluation_file,
            json_path=f"binary_classification_metrics.{metric}.value",
        )
        failure = FailStep(
            name=gate_failure_step(metric),
            error_message=Join(
                on="",
                values=[f"gate failed: {metric} ", value, " is below the threshold ", thresholds[metric]],
            ),
        )
        gate = ConditionStep(
            name=gate_step(metric),
            conditions=[ConditionGreaterThanOrEqualTo(left=value, right=thresholds[metric])],
            if_steps=next_steps,
            else_steps=[failure],
        )
        next_steps = [gate]

    parameters = [data_uri, git_commit, *hyper.values(), *thresholds.values()]
    pipeline = Pipeline(
        name=names.training_pipeline(model),
        parameters=parameters,
        steps=[preprocess, train, evaluate, *next_steps],
        sagemaker_session=session,
        pipeline_experiment_config=None,
    )
    return BuiltPipeline(
        name=names.training_pipeline(model),
        model=model,
        definition=pipeline.definition(),
        role_arn=platform.pipeline_role_arn,
        code=code,
    )
