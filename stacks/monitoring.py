"""Drift monitoring: a schedule that starts each model's drift pipeline, an alarm on the dataset
drift metric that pipeline publishes, and a rule that starts retraining when the alarm fires.
No Lambda: EventBridge Scheduler and EventBridge start SageMaker pipelines directly."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetSagemakerPipelineTargetPipelineParameterListStruct,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleTargetSagemakerPipelineParametersPipelineParameter,
)
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.encryption import EnvironmentKey
from stacks.identity import Identity, SageMakerArns

DRIFT_NAMESPACE = "mlops-kit/drift"
DATASET_DRIFT_METRIC = "DatasetDrift"


def drift_alarm_name(env: Environment, model: str) -> str:
    return f"{ResourceNames(env).endpoint(model)}-drift"


class DriftMonitoring(Construct):
    """Per model: drift schedule, drift alarm, and the retraining trigger."""

    def __init__(
        self, scope: Construct, id_: str, *, env: Environment, key: EnvironmentKey, identity: Identity
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        arns = SageMakerArns(env)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for model in env.models:
            SchedulerSchedule(
                self,
                f"drift-schedule-{model}",
                name=names.drift_schedule(model),
                description=f"Runs the drift job of {model} in {env.name}",
                schedule_expression=env.drift.schedule,
                schedule_expression_timezone="UTC",
                flexible_time_window={"mode": "OFF"},
                kms_key_arn=key.key.arn,
                target={
                    "arn": arns.of("pipeline", names.drift_pipeline(model)),
                    "role_arn": identity.scheduler.arn,
                    "sagemaker_pipeline_parameters": {
                        "pipeline_parameter": [
                            SchedulerScheduleTargetSagemakerPipelineParametersPipelineParameter(
                                name="WindowHours", value=str(env.drift.window_hours)
                            ),
                        ]
                    },
                    "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
                },
            )
            alarm = CloudwatchMetricAlarm(
                self,
                f"drift-alarm-{model}",
                alarm_name=drift_alarm_name(env, model),
                alarm_description=f"Dataset drift of {model} in {env.name}: starts retraining",
                namespace=DRIFT_NAMESPACE,
                metric_name=DATASET_DRIFT_METRIC,
                dimensions={"Environment": env.name, "Model": model},
                statistic="Maximum",
                period=3600,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
            )
            self.alarms[model] = alarm
            if not env.drift.retrain_on_drift:
                continue
            rule = CloudwatchEventRule(
                self,
                f"retrain-rule-{model}",
                name=f"{names.endpoint(model)}-retrain",
                description=f"Starts the training pipeline of {model} when its drift alarm fires",
                event_pattern=json.dumps(
                    {
                        "source": ["aws.cloudwatch"],
                        "detail-type": ["CloudWatch Alarm State Change"],
                        "resources": [alarm.arn],
                        "detail": {"state": {"value": ["ALARM"]}},
                    }
                ),
            )
            CloudwatchEventTarget(
                self,
                f"retrain-target-{model}",
                rule=rule.name,
                arn=arns.of("pipeline", names.training_pipeline(model)),
                role_arn=identity.retrain.arn,
                sagemaker_pipeline_target={
                    "pipeline_parameter_list": [
                        CloudwatchEventTargetSagemakerPipelineTargetPipelineParameterListStruct(
                            name="TriggeredBy", value="drift-alarm"
                        )
                    ]
                },
            )
