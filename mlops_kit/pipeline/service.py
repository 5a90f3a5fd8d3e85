"""Training pipeline runs: validate input, upload code and data, upsert, start, follow, report.

The same SageMaker calls serve AWS and the emulator (CreatePipeline/UpdatePipeline,
StartPipelineExecution, DescribePipelineExecution, ListPipelineExecutionSteps). The definition is
built by a `Builder` the caller passes (the `pipelines` package), so the core never depends on it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_kit.aws import AwsClients, clients_for
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput, NotFound, OperationFailed
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.dataset import bundled_dataset_csv, dataset_key
from mlops_kit.pipeline.platform import PlatformFacts, resolve_platform
from mlops_kit.s3_uri import is_s3_uri, split_s3_uri

Builder = Callable[[Environment, PlatformFacts], BuiltPipeline]
TERMINAL = ("Succeeded", "Failed", "Stopped")
THRESHOLD_PREFIX = "Min"


@dataclass(frozen=True)
class StepStatus:
    name: str
    status: str
    started: datetime | None = None
    ended: datetime | None = None
    failure_reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        if self.started and self.ended:
            return (self.ended - self.started).total_seconds()
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "started": self.started,
            "ended": self.ended,
            "seconds": self.seconds,
            "failure_reason": self.failure_reason,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class ExecutionStatus:
    arn: str
    status: str
    failure_reason: str
    started: datetime | None
    steps: tuple[StepStatus, ...]  # in the order they started

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def execution_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "execution_id": self.execution_id,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "started": self.started,
            "steps": [s.as_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class StartedRun:
    pipeline: str
    pipeline_arn: str
    execution_arn: str
    parameters: dict[str, str]


def git_commit(start: Path | None = None) -> str:
    """The repository's HEAD commit (with `-dirty` when the work tree has changes), or "unknown"."""
    try:
        cwd = start or Path.cwd()
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def parse_parameters(items: list[str]) -> dict[str, str]:
    """`["K=V", ...]` -> {K: V}; BadInput names a malformed item."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadInput("expected NAME=VALUE", argument=f"param {item!r}")
        values[key.strip()] = value
    return values


def validate_parameters(pipeline: BuiltPipeline, env: Environment, values: dict[str, str]) -> dict[str, str]:
    """Check overrides against the definition: names, types, and gate thresholds (which may be raised
    for a run, never lowered below the environment's)."""
    declared = pipeline.parameters
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise BadInput(
            f"unknown parameter (the pipeline takes {', '.join(declared)})", argument=f"param {unknown[0]}"
        )
    for name, value in values.items():
        kind = declared[name].get("Type", "String")
        if kind in ("Float", "Integer"):
            try:
                number = float(value) if kind == "Float" else int(value)
            except ValueError:
                raise BadInput(f"not a {kind.lower()}", argument=f"param {name}={value}") from None
            default = declared[name].get("DefaultValue")
            if name.startswith(THRESHOLD_PREFIX) and default is not None and number < float(default):
                raise BadInput(
                    f"below {env.name}'s gate threshold {default}; a run may raise a gate, not lower it",
                    argument=f"param {name}={value}",
                )
    return values


def _check_data_uri(clients: AwsClients, uri: str) -> None:
    if not is_s3_uri(uri):
        raise BadInput("not an s3:// URI", argument=f"param DataUri={uri}")
    bucket, key = split_s3_uri(uri)
    s3 = clients.client("s3")
    try:
        listing = clients.call(f"read {uri}", s3.list_objects_v2, Bucket=bucket, Prefix=key, MaxKeys=1)
    except (NotFound, OperationFailed) as exc:
        raise BadInput(f"cannot read it ({exc})", argument=f"param DataUri={uri}") from None
    if not listing.get("Contents"):
        raise BadInput("no object at or under this URI", argument=f"param DataUri={uri}")


def upload_inputs(clients: AwsClients, pipeline: BuiltPipeline, *, dataset_bucket: str) -> None:
    """Put the step code and the bundled data set in S3. Content-addressed: an object already at its
    key (an earlier run's, or the stack's drift code) holds these bytes and is left alone, so a run
    never rewrites what Terraform manages."""
    s3 = clients.client("s3")
    present = {
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=pipeline.code.bucket, Prefix=pipeline.code.prefix + "/"
        )
        for item in page.get("Contents", [])
    }
    for upload in pipeline.code.uploads:
        if upload.key in present:
            continue
        clients.call(
            f"upload s3://{pipeline.code.bucket}/{upload.key}",
            s3.put_object,
            Bucket=pipeline.code.bucket,
            Key=upload.key,
            Body=upload.body,
            ContentType=upload.content_type,
        )
    key = pipeline.dataset_key or dataset_key(pipeline.model)
    existing = s3.list_objects_v2(Bucket=dataset_bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    if not any(item["Key"] == key for item in existing):
        clients.call(
            f"upload the bundled data set to s3://{dataset_bucket}/{key}",
            s3.put_object,
            Bucket=dataset_bucket,
            Key=key,
            Body=(pipeline.dataset or bundled_dataset_csv)(),
        )


def data_version_id(clients: AwsClients, uri: str) -> str:
    """The S3 version id of the object at `uri`; "" for a prefix or an unversioned bucket."""
    bucket, key = split_s3_uri(uri)
    if not key or key.endswith("/"):
        return ""
    s3 = clients.client("s3")
    try:
        head = clients.call(f"read {uri}", s3.head_object, Bucket=bucket, Key=key)
    except (NotFound, OperationFailed):
        return ""
    version = str(head.get("VersionId") or "")
    return "" if version == "null" else version


def upsert_pipeline(clients: AwsClients, pipeline: BuiltPipeline) -> str:
    """Create the pipeline, or update its definition; its ARN."""
    sagemaker = clients.client("sagemaker")
    # A missing pipeline is ResourceNotFound in SageMaker and a ValidationException in moto: list instead.
    listed = clients.call("list pipelines", sagemaker.list_pipelines, PipelineNamePrefix=pipeline.name)
    if not any(p["PipelineName"] == pipeline.name for p in listed.get("PipelineSummaries", [])):
        response = clients.call(
            f"create pipeline {pipeline.name}",
            sagemaker.create_pipeline,
            PipelineName=pipeline.name,
            PipelineDefinition=pipeline.definition,
            RoleArn=pipeline.role_arn,
            PipelineDescription=f"mlops-kit training pipeline of {pipeline.model}",
        )
        return str(response["PipelineArn"])
    response = clients.call(
        f"update pipeline {pipeline.name}",
        sagemaker.update_pipeline,
        PipelineName=pipeline.name,
        PipelineDefinition=pipeline.definition,
        RoleArn=pipeline.role_arn,
    )
    return str(response["PipelineArn"])


def build_for(env: Environment, build: Builder, clients: AwsClients | None = None) -> BuiltPipeline:
    """The environment's pipeline, built against its deployed platform."""
    clients = clients or clients_for(env)
    return build(env, resolve_platform(clients, env))


def start_training_run(env: Environment, build: Builder, parameters: dict[str, str]) -> StartedRun:
    """Validate the run's parameters and data, upload code and data, upsert the pipeline and start it.
    Bad input raises BadInput before anything is uploaded or started."""
    clients = clients_for(env)
    pipeline = build_for(env, build, clients)
    values = validate_parameters(pipeline, env, dict(parameters))
    values.setdefault("GitCommit", git_commit())
    # MLflow's own variable: the run is tracked where the caller's MLflow client would log.
    tracking = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if tracking and "MlflowTrackingUri" in pipeline.parameters:
        values.setdefault("MlflowTrackingUri", tracking)
    bucket = ResourceNames(env).artifact_bucket
    if "DataUri" in values:
        _check_data_uri(clients, values["DataUri"])
    upload_inputs(clients, pipeline, dataset_bucket=bucket)
    if "DataVersionId" in pipeline.parameters and "DataVersionId" not in values:
        data_uri = values.get("DataUri") or str(pipeline.parameters["DataUri"].get("DefaultValue", ""))
        version = data_version_id(clients, data_uri)
        if version:
            values["DataVersionId"] = version
    pipeline_arn = upsert_pipeline(clients, pipeline)
    sagemaker = clients.client("sagemaker")
    response = clients.call(
        f"start pipeline {pipeline.name}",
        sagemaker.start_pipeline_execution,
        PipelineName=pipeline.name,
        PipelineParameters=[{"Name": k, "Value": v} for k, v in sorted(values.items())],
    )
    return StartedRun(pipeline.name, pipeline_arn, str(response["PipelineExecutionArn"]), values)


def _execution_arn(clients: AwsClients, env: Environment, model: str, execution: str | None) -> str:
    if execution and execution.startswith("arn:"):
        return execution
    name = ResourceNames(env).training_pipeline(model)
    summaries = list_executions(env, model, clients=clients)
    if not summaries:
        raise NotFound(f"pipeline {name} has no executions", hint=f"start one in {env.name} first")
    if execution is None:
        return str(summaries[0]["arn"])
    for summary in summaries:
        if summary["execution_id"] == execution:
            return str(summary["arn"])
    raise NotFound(f"pipeline {name} has no execution '{execution}'")


def execution_status(
    env: Environment,
    execution: str | None = None,
    *,
    model: str | None = None,
    clients: AwsClients | None = None,
) -> ExecutionStatus:
    """One execution (default: the latest) and its steps."""
    clients = clients or clients_for(env)
    arn = _execution_arn(clients, env, model or env.models[0], execution)
    sagemaker = clients.client("sagemaker")
    described = clients.call(
        f"describe execution {arn}", sagemaker.describe_pipeline_execution, PipelineExecutionArn=arn
    )
    steps: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"PipelineExecutionArn": arn, "SortOrder": "Ascending"}
        if token:
            kwargs["NextToken"] = token
        page = clients.call(f"list the steps of {arn}", sagemaker.list_pipeline_execution_steps, **kwargs)
        steps += page.get("PipelineExecutionSteps", [])
        token = page.get("NextToken")
        if not token:
            break
    return ExecutionStatus(
        arn=arn,
        status=str(described["PipelineExecutionStatus"]),
        failure_reason=str(described.get("FailureReason") or ""),
        started=described.get("CreationTime"),
        steps=tuple(
            StepStatus(
                name=s["StepName"],
                status=s["StepStatus"],
                started=s.get("StartTime"),
                ended=s.get("EndTime"),
                failure_reason=s.get("FailureReason", ""),
                metadata=s.get("Metadata", {}),
            )
            for s in steps
        ),
    )


def wait_for_execution(
    env: Environment,
    arn: str,
    on_update: Callable[[ExecutionStatus], None] | None = None,
    *,
    poll_seconds: float = 0.5,
    timeout: float = 3600,
) -> ExecutionStatus:
    """Poll the execution until it ends, calling `on_update` with every status read."""
    clients = clients_for(env)
    deadline = time.monotonic() + timeout
    while True:
        status = execution_status(env, arn, clients=clients)
        if on_update:
            on_update(status)
        if status.finished:
            return status
        if time.monotonic() > deadline:
            raise OperationFailed(f"execution {arn} still {status.status} after {timeout:.0f} s")
        time.sleep(poll_seconds)


def list_executions(
    env: Environment, model: str | None = None, *, clients: AwsClients | None = None
) -> list[dict[str, Any]]:
    """The pipeline's executions, newest first."""
    clients = clients or clients_for(env)
    name = ResourceNames(env).training_pipeline(model or env.models[0])
    sagemaker = clients.client("sagemaker")
    response = clients.call(
        f"list the executions of {name}", sagemaker.list_pipeline_executions, PipelineName=name
    )
    rows = [
        {
            "arn": s["PipelineExecutionArn"],
            "execution_id": s["PipelineExecutionArn"].rsplit("/", 1)[-1],
            "status": s["PipelineExecutionStatus"],
            "started": s.get("StartTime"),
            "failure_reason": s.get("PipelineExecutionFailureReason", ""),
        }
        for s in response.get("PipelineExecutionSummaries", [])
    ]
    rows.sort(key=lambda r: r["started"] or 0, reverse=True)
    return rows


def step_graph(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step (branches included) with its type, the steps it waits on and the branch it sits in."""
    from mlops_kit.pipeline.expressions import referenced_steps

    rows: list[dict[str, Any]] = []

    def visit(steps: list[dict[str, Any]], branch: str) -> None:
        for step in steps:
            arguments = step.get("Arguments", {})
            after = sorted(referenced_steps(arguments) | set(step.get("DependsOn", []) or []))
            row: dict[str, Any] = {
                "name": step["Name"],
                "type": step["Type"],
                "after": after,
                "branch": branch,
            }
            rows.append(row)
            if step["Type"] == "Condition":
                row["if_steps"] = [s["Name"] for s in arguments.get("IfSteps", [])]
                row["else_steps"] = [s["Name"] for s in arguments.get("ElseSteps", [])]
                visit(arguments.get("IfSteps", []), f"{step['Name']}: true")
                visit(arguments.get("ElseSteps", []), f"{step['Name']}: false")

    visit(definition.get("Steps", []), "")
    return rows
