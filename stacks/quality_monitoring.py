"""Model quality monitoring: per model the quality pipeline (and its code in the artifact bucket) and
the schedule that starts it with the drift schedule's cadence. Its metrics feed the quality alarm
(`stacks/monitoring.py`). The definition is plain JSON (`pipelines.quality_definition`)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.sagemaker_pipeline import SagemakerPipeline
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleTargetSagemakerPipelineParametersPipelineParameter,
)
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from pipelines.processing_steps import JobPlatform
from pipelines.quality_definition import (
    WINDOW_HOURS,
    quality_code_objects,
    quality_code_prefix,
    quality_pipeline_definition,
)
from stacks.encryption import EnvironmentKey
from stacks.identity import Identity, SageMakerArns
from stacks.monitoring import job_code_objects
from stacks.policy import terraform_json
from stacks.registry import Registry


class QualityMonitoring(Construct):
    """Per model: the quality pipeline, its code, and its schedule."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        key: EnvironmentKey,
        identity: Identity,
        registry: Registry,
        platform: JobPlatform,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        code = quality_code_objects()
        self.pipelines: dict[str, SagemakerPipeline] = {}
        for model in env.models:
            prefix = quality_code_prefix(model, code)
            uploads = job_code_objects(self, "quality", model, prefix, code, registry=registry, key=key)
            self.pipelines[model] = SagemakerPipeline(
                self,
                f"quality-pipeline-{model}",
                pipeline_name=names.quality_pipeline(model),
                pipeline_display_name=names.quality_pipeline(model),
                pipeline_description=f"Quality job of {model} in {env.name}: labels joined with capture",
                role_arn=identity.pipeline.arn,
                pipeline_definition=terraform_json(
                    quality_pipeline_definition(env, platform, model, prefix), sort_keys=True
                ),
                depends_on=uploads,
            )
            SchedulerSchedule(
                self,
                f"quality-schedule-{model}",
                name=names.quality_schedule(model),
                description=f"Runs the quality job of {model} in {env.name}",
                schedule_expression=env.drift.schedule,
                schedule_expression_timezone="UTC",
                flexible_time_window={"mode": "OFF"},
                kms_key_arn=key.key.arn,
                target={
                    "arn": SageMakerArns(env).of("pipeline", names.quality_pipeline(model)),
                    "role_arn": identity.scheduler.arn,
                    "sagemaker_pipeline_parameters": {
                        "pipeline_parameter": [
                            SchedulerScheduleTargetSagemakerPipelineParametersPipelineParameter(
                                name=WINDOW_HOURS, value=str(env.drift.window_hours)
                            ),
                        ]
                    },
                    "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
                },
            )
