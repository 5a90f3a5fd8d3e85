"""The local runner: executes a SageMaker pipeline definition (the JSON SageMaker would receive).

Steps run one at a time in dependency order: processing and training jobs as subprocesses under the
container contract (`containers`), condition steps choose a branch, fail steps end the run with their
message, register steps call CreateModelPackage. Inputs and outputs live in (emulated) S3; every
step's status goes to a `StepListener`, which is how the emulator reports it through
ListPipelineExecutionSteps.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from local_aws.sagemaker.containers import (
    JobFailed,
    S3Transfer,
    run_processing_job,
    run_training_job,
    split_s3_uri,
)
from local_aws.sagemaker.tuning_jobs import run_tuning_job
from mlops_kit.pipeline.expressions import ExpressionError, Resolver, referenced_steps, walk

SUPPORTED_STEP_TYPES = ("Processing", "Training", "Tuning", "Condition", "Fail", "RegisterModel")


class StepListener(Protocol):
    """Receives step status changes as they happen."""

    def step_started(self, name: str, step_type: str) -> None: ...

    def step_finished(
        self, name: str, status: str, failure_reason: str, metadata: dict[str, Any]
    ) -> None: ...


@dataclass(frozen=True)
class ExecutionContext:
    """Who and where: the execution's identity, and the clients and folders the runner uses."""

    pipeline_name: str
    pipeline_arn: str
    execution_arn: str
    s3: Any
    sagemaker: Any
    logs_dir: Path
    work_dir: Path | None = None
    # What a job's container gets from its role in SageMaker (AWS credentials, endpoint, region):
    # `job_environment_of(the job's RoleArn)` when given (SageMaker runs a job as the job's own
    # execution role, not the pipeline's), else `job_environment`.
    job_environment: dict[str, str] = field(default_factory=dict)
    job_environment_of: Callable[[str], dict[str, str]] | None = None

    def environment_for(self, role_arn: str | None) -> dict[str, str]:
        if role_arn and self.job_environment_of is not None:
            return self.job_environment_of(role_arn)
        return self.job_environment

    @property
    def execution_id(self) -> str:
        return self.execution_arn.rsplit("/", 1)[-1]

    @property
    def region(self) -> str:
        return self.execution_arn.split(":")[3]

    @property
    def account_id(self) -> str:
        return self.execution_arn.split(":")[4]


@dataclass(frozen=True)
class ExecutionResult:
    status: str  # Succeeded | Failed
    failure_reason: str = ""


def parameter_values(definition: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Defaults of the definition's parameters, overridden and typed; ExpressionError for unknown names."""
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ExpressionError(f"unknown parameter(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        raw = overrides.get(name, spec.get("DefaultValue"))
        kind = spec.get("Type", "String")
        try:
            if raw is None:
                raise ExpressionError(f"parameter {name} has no value")
            values[name] = (
                float(raw)
                if kind == "Float"
                else int(raw)
                if kind == "Integer"
                else (str(raw).lower() == "true" if kind == "Boolean" else str(raw))
            )
        except ValueError:
            raise ExpressionError(f"parameter {name}: '{raw}' is not a {kind}") from None
    return values


@dataclass
class _Properties:
    """Describe-like records of finished steps, and their property files, for `Get Steps.*`."""

    context: ExecutionContext
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> property file -> S3 URI
    cache: dict[str, Any] = field(default_factory=dict)

    def step_property(self, step: str, path: list[str | int]) -> Any:
        if step not in self.records:
            raise ExpressionError(f"step '{step}' has not run")
        return walk(self.records[step], path, where=f"Steps.{step}")

    def property_file(self, step: str, name: str) -> Any:
        uri = self.files.get(step, {}).get(name)
        if uri is None:
            raise ExpressionError(f"step '{step}' has no property file '{name}'")
        if uri not in self.cache:
            bucket, key = split_s3_uri(uri)
            body = self.context.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            self.cache[uri] = json.loads(body)
        return self.cache[uri]


def _job_name(context: ExecutionContext, step: str) -> str:
    # SageMaker names pipeline jobs `pipelines-<execution id>-<step>-<suffix>`; 63 characters at most.
    return f"pipelines-{context.execution_id}-{step}"[:63].rstrip("-")


def run_pipeline_execution(
    definition: dict[str, Any], overrides: dict[str, str], context: ExecutionContext, listener: StepListener
) -> ExecutionResult:
    """Run every step of `definition` that its conditions select; never raises for a step failure."""
    try:
        parameters = parameter_values(definition, overrides)
    except ExpressionError as exc:
        return ExecutionResult("Failed", str(exc))
    execution = {
        "PipelineExecutionId": context.execution_id,
        "PipelineExecutionArn": context.execution_arn,
        "PipelineName": context.pipeline_name,
        "PipelineArn": context.pipeline_arn,
        "StartDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "CurrentDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    properties = _Properties(context)
    resolver = Resolver(parameters, execution, properties)
    work = Path(tempfile.mkdtemp(prefix="kit-pipeline-", dir=context.work_dir))
    pending: list[dict[str, Any]] = list(definition.get("Steps", []))
    done: set[str] = set()
    try:
        while pending:
            ready = next((s for s in pending if _dependencies(s) <= done), None)
            if ready is None:
                names = ", ".join(s["Name"] for s in pending)
                return ExecutionResult("Failed", f"steps {names} wait on steps that never ran")
            pending.remove(ready)
            name, step_type = ready["Name"], ready["Type"]
            listener.step_started(name, step_type)
            try:
                metadata, branch = _run_step(ready, resolver, properties, context, work)
            except (JobFailed, ExpressionError) as exc:
                reason = exc.reason if isinstance(exc, JobFailed) else f"ExpressionError: {exc}"
                listener.step_finished(name, "Failed", reason, _failed_metadata(ready, context, reason))
                return ExecutionResult("Failed", f"step {name} failed: {reason}")
            except Exception as exc:
                reason = f"InternalError: {type(exc).__name__}: {exc}"
                listener.step_finished(name, "Failed", reason, {})
                return ExecutionResult("Failed", f"step {name} failed: {reason}")
            listener.step_finished(name, "Succeeded", "", metadata)
            done.add(name)
            pending.extend(branch)
        return ExecutionResult("Succeeded")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _dependencies(step: dict[str, Any]) -> set[str]:
    return referenced_steps(step.get("Arguments", {})) | set(step.get("DependsOn", []) or [])


def _failed_metadata(step: dict[str, Any], context: ExecutionContext, reason: str) -> dict[str, Any]:
    arn = f"arn:aws:sagemaker:{context.region}:{context.account_id}"
    if step["Type"] == "Processing":
        return {"ProcessingJob": {"Arn": f"{arn}:processing-job/{_job_name(context, step['Name']).lower()}"}}
    if step["Type"] == "Training":
        return {"TrainingJob": {"Arn": f"{arn}:training-job/{_job_name(context, step['Name']).lower()}"}}
    if step["Type"] == "Fail":
        return {"Fail": {"ErrorMessage": reason}}
    return {}


def _run_step(
    step: dict[str, Any], resolver: Resolver, properties: _Properties, context: ExecutionContext, work: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one step; return its ListPipelineExecutionSteps metadata and the steps it adds (a branch)."""
    name, step_type = step["Name"], step["Type"]
    arn = f"arn:aws:sagemaker:{context.region}:{context.account_id}"
    log = context.logs_dir / context.execution_id / f"{name}.log"
    transfer = S3Transfer(context.s3)
    if step_type == "Processing":
        arguments = resolver.resolve(step["Arguments"])
        job = _job_name(context, name)
        run_processing_job(
            arguments,
            root=work / name,
            log=log,
            transfer=transfer,
            environment=context.environment_for(arguments.get("RoleArn")),
        )
        job_arn = f"{arn}:processing-job/{job.lower()}"
        properties.records[name] = {
            **arguments,
            "ProcessingJobName": job,
            "ProcessingJobArn": job_arn,
            "ProcessingJobStatus": "Completed",
        }
        outputs = arguments.get("ProcessingOutputConfig", {}).get("Outputs", [])
        properties.files[name] = {
            spec["PropertyFileName"]: walk(
                outputs, [spec["OutputName"], "S3Output", "S3Uri"], where=name
            ).rstrip("/")
            + "/"
            + spec["FilePath"]
            for spec in step.get("PropertyFiles", [])
        }
        return {"ProcessingJob": {"Arn": job_arn}}, []
    if step_type == "Training":
        arguments = resolver.resolve(step["Arguments"])
        job = _job_name(context, name)
        model_uri = run_training_job(arguments, job_name=job, root=work / name, log=log, transfer=transfer)
        job_arn = f"{arn}:training-job/{job.lower()}"
        properties.records[name] = {
            **arguments,
            "TrainingJobName": job,
            "TrainingJobArn": job_arn,
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": model_uri},
        }
        return {"TrainingJob": {"Arn": job_arn}}, []
    if step_type == "Tuning":
        arguments = resolver.resolve(step["Arguments"])
        job = _job_name(context, name)
        job_arn = f"{arn}:hyper-parameter-tuning-job/{job.lower()}"
        properties.records[name] = run_tuning_job(
            arguments, job_name=job, job_arn=job_arn, root=work / name, log=log, transfer=transfer
        )
        return {"TuningJob": {"Arn": job_arn}}, []
    if step_type == "Condition":
        arguments = step["Arguments"]
        outcome = all(resolver.condition(c) for c in arguments.get("Conditions", []))
        properties.records[name] = {"Outcome": outcome}
        branch = arguments.get("IfSteps" if outcome else "ElseSteps", [])
        return {"Condition": {"Outcome": "True" if outcome else "False"}}, list(branch)
    if step_type == "Fail":
        message = str(resolver.resolve(step.get("Arguments", {}).get("ErrorMessage", "")))
        raise JobFailed(message or "the pipeline reached a fail step")
    if step_type == "RegisterModel":
        arguments = resolver.resolve(step["Arguments"])
        response = context.sagemaker.create_model_package(**arguments)
        package_arn = response["ModelPackageArn"]
        described = context.sagemaker.describe_model_package(ModelPackageName=package_arn)
        properties.records[name] = {k: v for k, v in described.items() if k != "ResponseMetadata"}
        return {"RegisterModel": {"Arn": package_arn}}, []
    raise JobFailed(
        f"step type {step_type} is not supported by the local runner "
        f"(supported: {', '.join(SUPPORTED_STEP_TYPES)})"
    )
