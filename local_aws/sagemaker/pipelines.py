"""SageMaker Pipelines in the emulator: executions really run, on the kit's local runner.

moto 5.2.5 stores pipelines and executions but reports every execution Succeeded at once and lacks
ListPipelineExecutionSteps. Here StartPipelineExecution hands the stored definition to
`local_aws.sagemaker.local_runner` on a background thread; the execution reports Executing, then
Succeeded or Failed with a FailureReason, and its steps are listed as SageMaker lists them. The
runner reaches S3 and SageMaker through this emulator over HTTP, with the pipeline role's credentials.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_aws.patching import wrap as _wrap
from mlops_kit import clock

logger = logging.getLogger(__name__)
_lock = threading.Lock()


class _ExecutionRecorder:
    """Keeps a moto execution's status and steps current (the runner's StepListener)."""

    def __init__(self, execution: Any) -> None:
        self.execution = execution

    def step_started(self, name: str, step_type: str) -> None:
        with _lock:
            self.execution.kit_steps.append(
                {
                    "StepName": name,
                    "StepDisplayName": name,
                    "StepStatus": "Executing",
                    "StartTime": clock.now(),
                    "AttemptCount": 1,
                    "Metadata": {},
                    "kit_type": step_type,
                }
            )
            self.execution.last_modified_time = clock.now()

    def step_finished(self, name: str, status: str, failure_reason: str, metadata: dict[str, Any]) -> None:
        with _lock:
            step = next(s for s in reversed(self.execution.kit_steps) if s["StepName"] == name)
            step.update({"StepStatus": status, "EndTime": clock.now(), "Metadata": metadata})
            if failure_reason:
                step["FailureReason"] = failure_reason
            self.execution.last_modified_time = clock.now()

    def finish(self, status: str, failure_reason: str) -> None:
        with _lock:
            self.execution.pipeline_execution_status = status
            self.execution.pipeline_execution_failure_reason = failure_reason or None
            self.execution.last_modified_time = clock.now()


def _endpoint() -> str:
    port = os.environ.get("MOTO_PORT")
    if not port:
        raise RuntimeError("MOTO_PORT is not set: the runner cannot reach the emulator it runs in")
    return f"http://127.0.0.1:{port}"


def _run_in_background(pipeline: Any, execution: Any, region: str) -> None:
    from local_aws.server import state_dir

    recorder = _ExecutionRecorder(execution)

    def target() -> None:
        import boto3

        from local_aws.sagemaker.local_runner import ExecutionContext, run_pipeline_execution

        try:
            endpoint = _endpoint()
            from local_aws.iam.service_identity import service_client

            # Like SageMaker, act as the pipeline's role (which puts the calls in the pipeline's
            # account): SageMaker assumes it, judged by the role's service trust.
            sts = service_client(
                "sagemaker.amazonaws.com",
                "sts",
                endpoint_url=endpoint,
                region=region,
                source_arn=pipeline.arn,
                source_account=pipeline.arn.split(":")[4],
            )

            def role_environment(role_arn: str, session_name: str) -> dict[str, str]:
                credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
                return {
                    "AWS_ENDPOINT_URL": endpoint,
                    "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": credentials["SessionToken"],
                    "AWS_DEFAULT_REGION": region,
                }

            pipeline_role = role_environment(pipeline.role_arn, "SageMaker-pipeline")
            session = boto3.session.Session(
                aws_access_key_id=pipeline_role["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=pipeline_role["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=pipeline_role["AWS_SESSION_TOKEN"],
                region_name=region,
            )
            context = ExecutionContext(
                pipeline_name=pipeline.pipeline_name,
                pipeline_arn=pipeline.arn,
                execution_arn=execution.arn,
                s3=session.client("s3", endpoint_url=endpoint),
                sagemaker=session.client("sagemaker", endpoint_url=endpoint),
                logs_dir=state_dir() / "pipelines" / pipeline.pipeline_name,
                # A job's container acts as the job's own role (its RoleArn), as in SageMaker.
                job_environment=pipeline_role,
                job_environment_of=lambda role_arn: role_environment(role_arn, "SageMaker-job"),
            )
            overrides = {p["Name"]: str(p["Value"]) for p in (execution.pipeline_parameters or [])}
            result = run_pipeline_execution(
                json.loads(execution.pipeline_definition_for_execution), overrides, context, recorder
            )
            recorder.finish(result.status, result.failure_reason)
        except Exception as exc:
            logger.exception("pipeline execution %s crashed", execution.arn)
            recorder.finish("Failed", f"InternalError: the local runner crashed: {type(exc).__name__}: {exc}")

    threading.Thread(target=target, name=f"pipeline-{execution.arn.rsplit('/', 1)[-1]}", daemon=True).start()


def _start_runs_the_definition() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def start_pipeline_execution(self: Any, pipeline_name: str, *args: Any, **kwargs: Any) -> Any:
            result = original(self, pipeline_name, *args, **kwargs)
            pipeline = self.pipelines[pipeline_name.split("/")[-1]]
            execution = pipeline.pipeline_executions[result["PipelineExecutionArn"]]
            execution.pipeline_execution_status = "Executing"
            execution.kit_steps = []
            _run_in_background(pipeline, execution, self.region_name)
            return result

        return start_pipeline_execution

    _wrap(SageMakerModelBackend, "start_pipeline_execution", make)


def _statuses_report_failures() -> None:
    """DescribePipelineExecution always says FailureReason "" and ListPipelineExecutions says "None"."""
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.utils import get_pipeline_execution_from_arn, get_pipeline_from_name

    def make_describe(original: Callable[..., Any]) -> Callable[..., Any]:
        def describe_pipeline_execution(self: Any, pipeline_execution_arn: str) -> dict[str, Any]:
            result: dict[str, Any] = original(self, pipeline_execution_arn)
            execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
            result["LastModifiedTime"] = execution.last_modified_time
            if execution.pipeline_execution_failure_reason:
                result["FailureReason"] = execution.pipeline_execution_failure_reason
            else:
                result.pop("FailureReason", None)
            return result

        return describe_pipeline_execution

    def make_list(original: Callable[..., Any]) -> Callable[..., Any]:
        def list_pipeline_executions(self: Any, pipeline_name: str) -> dict[str, Any]:
            pipeline = get_pipeline_from_name(self.pipelines, pipeline_name)
            summaries: list[dict[str, Any]] = []
            for arn, execution in pipeline.pipeline_executions.items():
                summary: dict[str, Any] = {
                    "PipelineExecutionArn": arn,
                    "StartTime": execution.start_time,
                    "PipelineExecutionStatus": execution.pipeline_execution_status,
                    "PipelineExecutionDisplayName": execution.pipeline_execution_display_name,
                }
                if execution.pipeline_execution_description:
                    summary["PipelineExecutionDescription"] = execution.pipeline_execution_description
                if execution.pipeline_execution_failure_reason:
                    summary["PipelineExecutionFailureReason"] = execution.pipeline_execution_failure_reason
                summaries.append(summary)
            # Like SageMaker: newest first.
            summaries.sort(key=lambda s: s["StartTime"], reverse=True)
            return {"PipelineExecutionSummaries": summaries}

        return list_pipeline_executions

    _wrap(SageMakerModelBackend, "describe_pipeline_execution", make_describe)
    _wrap(SageMakerModelBackend, "list_pipeline_executions", make_list)


def _list_pipeline_execution_steps() -> None:
    """moto lacks ListPipelineExecutionSteps."""
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import get_pipeline_execution_from_arn

    def timestamp(value: Any) -> Any:
        return value.timestamp() if isinstance(value, datetime) else value

    def list_pipeline_execution_steps(self: Any) -> str:
        arn = self._get_param("PipelineExecutionArn")
        execution = get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)
        with _lock:
            steps = [
                {k: timestamp(v) for k, v in step.items() if not k.startswith("kit_")}
                for step in getattr(execution, "kit_steps", [])
            ]
        # SageMaker's default order: newest step first.
        if self._get_param("SortOrder", "Descending") == "Descending":
            steps.reverse()
        return json.dumps({"PipelineExecutionSteps": steps})

    SageMakerResponse.list_pipeline_execution_steps = list_pipeline_execution_steps  # type: ignore[attr-defined]


def _idempotent_create_pipeline() -> None:
    """moto gap: CreatePipeline ignores ClientRequestToken. SageMaker answers a create resent with the
    same token (the SDK's retry after a lost answer) with the pipeline it made, not a conflict; the
    Terraform provider depends on that when a loaded machine drops a connection."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    original = SageMakerResponse.create_pipeline

    def create_pipeline(self: Any) -> ActionResult:
        name, token = self._get_param("PipelineName"), self._get_param("ClientRequestToken")
        existing = self.sagemaker_backend.pipelines.get(name)
        if existing is not None and token and getattr(existing, "local_aws_request_token", None) == token:
            return ActionResult({"PipelineArn": existing.arn})
        result = original(self)
        created = self.sagemaker_backend.pipelines.get(name)
        if created is not None:
            created.local_aws_request_token = token
        return result

    SageMakerResponse.create_pipeline = create_pipeline  # type: ignore[method-assign]


def install() -> None:
    """Apply this module's patches."""
    _idempotent_create_pipeline()
    _start_runs_the_definition()
    _statuses_report_failures()
    _list_pipeline_execution_steps()
