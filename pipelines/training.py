"""The training pipeline: preprocess -> train -> evaluate -> gate(s) -> register, as SageMaker JSON.

Built with the SageMaker Python SDK v3 under a `PipelineSession`, offline: code is referenced by S3
URI (a content-hash prefix), the session's bucket is given, telemetry is off, and nothing reads the
network, so identical inputs give byte-identical JSON (pipelines/offline_sdk.py). The SDK's workflow
modules take seconds to import, so they are imported inside `build_training_pipeline` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput
from mlops_kit.model_contract.loading import ModelContract, bundled_data, load_model_contract
from mlops_kit.model_contract.manifest import pipeline_parameter
from mlops_kit.pipeline.bundle import BuiltPipeline, code_bundle
from mlops_kit.pipeline.dataset import dataset_key, dataset_uri
from mlops_kit.pipeline.platform import PlatformFacts
from mlops_kit.registry.lineage import METRIC_NAMES, Lineage
from mlops_kit.serving.images import sklearn_image_uri
from pipelines.offline_sdk import offline_sdk, offline_session
from pipelines.training_jobs import PROCESSING_ROOT, TrainingJobs, output_uri
from pipelines.training_tuning import best_model_uri, check_tuning, tune_step

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
PIPELINE_KIND = "training"

# Step names: the CLI, the tests and `kit pipeline status` refer to them.
PREPROCESS, TRAIN, EVALUATE, REGISTER = "Preprocess", "Train", "Evaluate", "RegisterModel"

TRACKING_PARAMETER = "MlflowTrackingUri"
DATA_VERSION_PARAMETER = "DataVersionId"
INSTANCE_TYPES_FOR_SERVING = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.c5.xlarge")


def gate_parameter(metric: str) -> str:
    """`auc` -> `MinAuc`: the pipeline parameter holding a gate's threshold."""
    return "Min" + metric.capitalize()


def gate_step(metric: str) -> str:
    return f"Gate{metric.capitalize()}"


def gate_failure_step(metric: str) -> str:
    return f"{metric.capitalize()}BelowThreshold"


def _camel(metric: str) -> str:
    return "".join(part.capitalize() for part in metric.split("_"))


def ceiling_parameter(metric: str) -> str:
    """`demographic_parity_difference` -> `MaxDemographicParityDifference`: a fairness ceiling."""
    return "Max" + _camel(metric)


def ceiling_step(metric: str) -> str:
    return f"Gate{_camel(metric)}"


def ceiling_failure_step(metric: str) -> str:
    return f"{_camel(metric)}AboveCeiling"


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
        extra={
            "model_data_uri": "x",
            "mlflow_run_id": "x",
            "mlflow_run_url": "x",
            "data_version_id": "x",
            "feature_importance": "x",
            "fairness": "x",
        },
    )
    return sorted(sample.to_metadata())


def hyperparameters(contract: ModelContract) -> dict[str, tuple[str, str]]:
    """Pipeline parameter -> (the train program's hyperparameter, its default), from the contract."""
    return {
        pipeline_parameter(name): (name, str(default))
        for name, default in contract.manifest.hyperparameters.items()
    }


def image_uri(env: Environment, contract: ModelContract) -> str:
    """The image the model's jobs and endpoint run: its framework's SageMaker image, or its own."""
    manifest = contract.manifest
    if manifest.image is not None:
        return manifest.image
    if manifest.framework is None:
        raise BadInput(
            f"{contract.manifest_file}: dockerfile: building the model's image is not supported yet; "
            "name a pushed image in `image` instead"
        )
    return sklearn_image_uri(env.region, manifest.framework.version)


def build_training_pipeline(
    env: Environment, platform: PlatformFacts, model: str | None = None
) -> BuiltPipeline:
    """The training pipeline of `model` (default: the environment's first) in `env`, from the model's
    contract (`models/<model>/model.yaml`). Pure and offline."""
    model = model or env.models[0]
    if model not in env.models:
        raise BadInput(
            f"{env.name} registers no model '{model}' (it has {', '.join(env.models)})", argument="model"
        )
    contract = load_model_contract(env, model)
    if env.training.tuning is not None:
        check_tuning(env, env.training.tuning, contract)
    with offline_sdk(env.region):
        return _build(env, platform, contract)


@dataclass(frozen=True)
class _Parameters:
    """The pipeline's parameters: data, commit, hyperparameters, one threshold per gated metric and
    one ceiling per gated fairness metric."""

    data_uri: Any
    git_commit: Any
    hyper: dict[str, Any]
    thresholds: dict[str, Any]
    ceilings: dict[str, Any]
    tracking_uri: Any
    data_version_id: Any

    def all(self) -> list[Any]:
        return [
            self.data_uri,
            self.data_version_id,
            self.git_commit,
            *self.hyper.values(),
            *self.thresholds.values(),
            *self.ceilings.values(),
            self.tracking_uri,
        ]


def _parameters(env: Environment, contract: ModelContract) -> _Parameters:
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString

    minimums = {str(k): float(v) for k, v in env.gates.min_metrics.items()}
    return _Parameters(
        data_uri=ParameterString(
            "DataUri", default_value=dataset_uri(env, contract.name, contract.manifest.data.file)
        ),
        git_commit=ParameterString("GitCommit", default_value="unknown"),
        hyper={
            name: ParameterString(name, default_value=default)
            for name, (_, default) in hyperparameters(contract).items()
        },
        thresholds={
            metric: ParameterFloat(gate_parameter(metric), default_value=minimums[metric])
            for metric in gated_metrics(env)
        },
        ceilings={
            metric: ParameterFloat(ceiling_parameter(metric), default_value=ceiling)
            for metric, ceiling in sorted(env.gates.fairness_ceilings.items())
        },
        # Empty: untracked. `kit pipeline run` passes the caller's MLFLOW_TRACKING_URI.
        tracking_uri=ParameterString(TRACKING_PARAMETER, default_value=""),
        # The S3 version id of DataUri's object, pinned by `kit pipeline run` (empty for a prefix).
        data_version_id=ParameterString(DATA_VERSION_PARAMETER, default_value=""),
    )


def tracking_environment(model: str, parameters: _Parameters) -> dict[str, Any]:
    """What the train and evaluate jobs need to add to the execution's MLflow run."""
    from sagemaker.core.workflow.execution_variables import ExecutionVariables

    return {
        "MLFLOW_TRACKING_URI": parameters.tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": model,
        "KIT_RUN_KEY": ExecutionVariables.PIPELINE_EXECUTION_ID,
    }


def _build(env: Environment, platform: PlatformFacts, contract: ModelContract) -> BuiltPipeline:
    import logging

    from sagemaker.mlops.workflow import Pipeline

    # The SDK logs a warning per popped job name and per pipeline session; none is actionable here.
    for noisy in ("sagemaker", "sagemaker.core", "sagemaker.mlops", "sagemaker.serve", "sagemaker.train"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    model = contract.name
    names = ResourceNames(env)
    bucket = platform.artifact_bucket
    jobs = TrainingJobs(
        env=env,
        model=model,
        platform=platform,
        session=offline_session(env.region, bucket),
        code=code_bundle(bucket, SCRIPTS_DIR, pipeline=f"{model}-{PIPELINE_KIND}", contract=contract),
        image=image_uri(env, contract),
        resources=contract.manifest.resources,
    )
    parameters = _parameters(env, contract)
    preprocess = _preprocess_step(jobs, parameters)
    train, model_data = _train_step(jobs, parameters, preprocess, contract)
    evaluate, evaluation_file, lineage_file = _evaluate_step(jobs, parameters, preprocess, model_data)
    register = _register_step(jobs, preprocess, model_data, evaluate, lineage_file, contract)
    gates = _gates(env, parameters, evaluation_file, register, report=f"{contract.manifest.task}_metrics")
    gates = _fairness_gates(env, contract, parameters, evaluation_file, gates)
    pipeline = Pipeline(
        name=names.training_pipeline(model),
        parameters=parameters.all(),
        steps=[preprocess, train, evaluate, *gates],
        sagemaker_session=jobs.session,
        pipeline_experiment_config=None,
    )
    return BuiltPipeline(
        name=names.training_pipeline(model),
        model=model,
        definition=pipeline.definition(),
        role_arn=platform.pipeline_role_arn,
        code=jobs.code,
        dataset_key=dataset_key(model, contract.manifest.data.file),
        dataset=lambda: bundled_data(contract),
    )


def _baseline_uri(preprocess: Any) -> Any:
    from sagemaker.core.workflow.functions import Join

    return Join(on="/", values=[output_uri(preprocess, "baseline"), "baseline.json"])


def _preprocess_step(jobs: TrainingJobs, parameters: _Parameters) -> Any:
    from sagemaker.mlops.workflow import ProcessingStep

    return ProcessingStep(
        name=PREPROCESS,
        step_args=jobs.processor("preprocess").run(
            code=jobs.code.uri("preprocess.py"),
            inputs=[jobs.s3_in("data", parameters.data_uri, f"{PROCESSING_ROOT}/input/data"), jobs.lib],
            outputs=[jobs.s3_out("preprocess", n) for n in ("train", "validation", "test", "baseline")],
            arguments=[
                "--input-dir",
                f"{PROCESSING_ROOT}/input/data",
                "--lib-dir",
                f"{PROCESSING_ROOT}/input/lib",
                "--output-dir",
                f"{PROCESSING_ROOT}/output",
                "--data-uri",
                parameters.data_uri,
            ],
        ),
    )


def _train_step(
    jobs: TrainingJobs, parameters: _Parameters, preprocess: Any, contract: ModelContract
) -> tuple[Any, Any]:
    """The training step (a tuning step when the environment tunes) and its model artifact's URI."""
    from sagemaker.mlops.workflow import TrainingStep
    from sagemaker.train.configs import InputData

    trainer = _trainer(jobs, parameters, contract)
    inputs = [
        InputData(channel_name="train", data_source=output_uri(preprocess, "train")),
        InputData(channel_name="validation", data_source=output_uri(preprocess, "validation")),
    ]
    tuning = jobs.env.training.tuning
    if tuning is not None:
        step = tune_step(jobs, trainer, inputs, tuning)
        return step, best_model_uri(step, jobs)
    step = TrainingStep(name=TRAIN, step_args=trainer.train(input_data_config=inputs))
    return step, step.properties.ModelArtifacts.S3ModelArtifacts


def _trainer(jobs: TrainingJobs, parameters: _Parameters, contract: ModelContract) -> Any:
    from sagemaker.train.configs import Compute, Networking, OutputDataConfig, StoppingCondition
    from sagemaker.train.model_trainer import ModelTrainer

    training, platform = jobs.env.training, jobs.platform
    return ModelTrainer(
        sagemaker_session=jobs.session,
        role=platform.execution_role_arn,
        training_image=jobs.image,
        base_job_name=f"{ResourceNames(jobs.env).base}-train",
        compute=Compute(
            instance_type=jobs.resources.training_instance_type or training.training_instance_type,
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
        environment=tracking_environment(jobs.model, parameters),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{platform.artifact_bucket}/pipelines/{jobs.model}/models",
            kms_key_id=platform.kms_key_id,
        ),
        # Script mode of SageMaker's framework images: the toolkit fetches the code and runs the program.
        hyperparameters={
            **{hp: parameters.hyper[name] for name, (hp, _) in hyperparameters(contract).items()},
            "sagemaker_program": contract.manifest.entry_points.train,
            "sagemaker_submit_directory": jobs.code.uri("sourcedir.tar.gz"),
        },
    )


def _evaluate_step(
    jobs: TrainingJobs, parameters: _Parameters, preprocess: Any, model_data: Any
) -> tuple[Any, Any, Any]:
    """The evaluate step and its two property files: the metrics and the lineage it reports."""
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import ProcessingStep

    evaluation_file = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    lineage_file = PropertyFile(name="LineageReport", output_name="evaluation", path="lineage.json")
    step = ProcessingStep(
        name=EVALUATE,
        property_files=[evaluation_file, lineage_file],
        step_args=jobs.processor("evaluate", env=tracking_environment(jobs.model, parameters)).run(
            code=jobs.code.uri("evaluate.py"),
            inputs=[
                jobs.s3_in("model", model_data, f"{PROCESSING_ROOT}/input/model"),
                jobs.s3_in("test", output_uri(preprocess, "test"), f"{PROCESSING_ROOT}/input/test"),
                jobs.s3_in("data", output_uri(preprocess, "baseline"), f"{PROCESSING_ROOT}/input/data"),
                jobs.lib,
            ],
            outputs=[jobs.s3_out("evaluate", "evaluation")],
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
                _baseline_uri(preprocess),
                "--data-uri",
                parameters.data_uri,
                "--data-version-id",
                parameters.data_version_id,
                "--git-commit",
                parameters.git_commit,
                "--execution-arn",
                ExecutionVariables.PIPELINE_EXECUTION_ARN,
                "--image",
                f"training={jobs.image}",
                "--image",
                f"inference={jobs.image}",
            ],
        ),
    )
    return step, evaluation_file, lineage_file


def _register_step(
    jobs: TrainingJobs,
    preprocess: Any,
    model_data: Any,
    evaluate: Any,
    lineage_file: Any,
    contract: ModelContract,
) -> Any:
    """Register the trained model as a PendingManualApproval version with its metrics and lineage."""
    from sagemaker.core.shapes import (
        DriftCheckBaselines,
        DriftCheckModelDataQuality,
        MetricsSource,
        ModelMetrics,
        ModelQuality,
    )
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow import ModelStep
    from sagemaker.serve.model_builder import ModelBuilder

    env = jobs.env
    evaluation_uri = Join(on="/", values=[output_uri(evaluate, "evaluation"), "evaluation.json"])
    builder = ModelBuilder(
        sagemaker_session=jobs.session,
        role_arn=jobs.platform.execution_role_arn,
        image_uri=jobs.image,
        s3_model_data_url=model_data,
        # The contract's inference entry point, which the train program copies into the model's code/.
        env_vars={
            "SAGEMAKER_PROGRAM": contract.manifest.entry_points.inference,
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        },
    )
    return ModelStep(
        name=REGISTER,
        step_args=builder.register(
            model_package_group_name=ResourceNames(env).model_package_group(jobs.model),
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
                    statistics=MetricsSource(
                        content_type="application/json", s3_uri=_baseline_uri(preprocess)
                    )
                )
            ),
            customer_metadata_properties={
                key: JsonGet(step_name=EVALUATE, property_file=lineage_file, json_path=key)
                for key in lineage_keys()
            },
        ),
    )


def _gates(
    env: Environment, parameters: _Parameters, evaluation_file: Any, register: Any, *, report: str
) -> list[Any]:
    """One gate per metric, chained before `register`: the first failing gate ends the run in a fail
    step naming it. `report` is the evaluation report's key of the model's task. Returns the first
    gate (or `register` when nothing is gated)."""
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.functions import JsonGet

    next_steps: list[Any] = [register]
    for metric in reversed(gated_metrics(env)):
        threshold = parameters.thresholds[metric]
        value = JsonGet(
            step_name=EVALUATE,
            property_file=evaluation_file,
            json_path=f"{report}.{metric}.value",
        )
        next_steps = [
            _gate(
                metric,
                value,
                threshold,
                ConditionGreaterThanOrEqualTo,
                "is below the threshold",
                (gate_step(metric), gate_failure_step(metric)),
                next_steps,
            )
        ]
    return next_steps


def _gate(
    metric: str,
    value: Any,
    bound: Any,
    condition: Any,
    wording: str,
    names: tuple[str, str],
    next_steps: list[Any],
) -> Any:
    """A gate step (`names[0]`) going on to `next_steps` when `condition(value, bound)` holds, else to
    a fail step (`names[1]`) naming the metric, its value and the bound."""
    from sagemaker.core.workflow.functions import Join
    from sagemaker.mlops.workflow import ConditionStep, FailStep

    failure = FailStep(
        name=names[1],
        error_message=Join(on="", values=[f"gate failed: {metric} ", value, f" {wording} ", bound]),
    )
    return ConditionStep(
        name=names[0],
        conditions=[condition(left=value, right=bound)],
        if_steps=next_steps,
        else_steps=[failure],
    )


def _fairness_gates(
    env: Environment,
    contract: ModelContract,
    parameters: _Parameters,
    evaluation_file: Any,
    next_steps: list[Any],
) -> list[Any]:
    """One gate per fairness ceiling of the environment, chained before the metric gates: the
    report's difference must not exceed it, or the run ends in a fail step naming the metric, its
    value and the ceiling. A ceiling the model's contract gives nothing to measure by stops the build
    (exit 2) before anything runs."""
    from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
    from sagemaker.core.workflow.functions import JsonGet

    if parameters.ceilings and contract.manifest.fairness is None:
        gated = ", ".join(f"max_{m}" for m in parameters.ceilings)
        raise BadInput(
            f"{env.name}'s gates set {gated}, but {contract.manifest_file} names no "
            "fairness.sensitive_attribute to measure it by",
            argument="fairness.sensitive_attribute",
        )
    for metric in reversed(list(parameters.ceilings)):
        ceiling = parameters.ceilings[metric]
        value = JsonGet(step_name=EVALUATE, property_file=evaluation_file, json_path=f"fairness.{metric}")
        next_steps = [
            _gate(
                metric,
                value,
                ceiling,
                ConditionLessThanOrEqualTo,
                "is above the ceiling",
                (ceiling_step(metric), ceiling_failure_step(metric)),
                next_steps,
            )
        ]
    return next_steps
