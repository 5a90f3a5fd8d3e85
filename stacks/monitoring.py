"""Drift monitoring: each model's drift pipeline (and its code in the artifact bucket), a schedule
that starts it, an alarm on the dataset drift metric it publishes, and a rule that starts retraining
when the alarm fires. No Lambda: EventBridge Scheduler and EventBridge start SageMaker pipelines
directly. The pipeline definition is plain JSON (`pipelines.drift_definition`): no SDK at synth."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.sagemaker_pipeline import SagemakerPipeline
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleTargetSagemakerPipelineParametersPipelineParameter,
)
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.pipeline.code_objects import code_content_type
from pipelines.drift_definition import drift_code_objects, drift_code_prefix, drift_pipeline_definition
from stacks.encryption import EnvironmentKey
from stacks.identity import DRIFT_NAMESPACE, Identity, SageMakerArns
from stacks.network import Network
from stacks.policy import terraform_json
from stacks.registry import Registry

DATASET_DRIFT_METRIC = "DatasetDrift"
# mlops_kit.drift.publication's names (importing it would import the drift engine into the synth).
PREDICTION_DRIFT_METRIC = "PredictionDrift"
# mlops_kit.quality.publication's: the gate metric -> the metric `kit quality run` publishes.
QUALITY_METRICS = {"auc": "ModelAUC", "accuracy": "ModelAccuracy"}


def drift_alarm_name(env: Environment, model: str) -> str:
    return ResourceNames(env).drift_alarm(model)


def job_code_objects(
    scope: Construct,
    job: str,
    model: str,
    prefix: str,
    code: dict[str, bytes],
    *,
    registry: Registry,
    key: EnvironmentKey,
) -> list[S3Object]:
    """A scheduled job's code (`job`: "drift", "quality") under its content-hash `prefix` in the
    artifact bucket, KMS-encrypted, typed as the kit's own uploads type it (so both agree)."""
    return [
        S3Object(
            scope,
            f"{job}-code-{model}-{name.replace('/', '-').replace('.', '-')}",
            bucket=registry.artifacts.bucket.id,
            key=f"{prefix}/{name}",
            content_base64=base64.b64encode(body).decode(),
            content_type=code_content_type(name),
            server_side_encryption="aws:kms",
            kms_key_id=key.key.arn,
        )
        for name, body in sorted(code.items())
    ]


@dataclass(frozen=True)
class _JobPlatform:
    """The drift jobs' bucket, role, key and network, as Terraform references."""

    artifact_bucket: str
    execution_role_arn: str
    kms_key_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]


class DriftMonitoring(Construct):
    """Per model: drift pipeline and its code, drift schedule, the drift, prediction drift and quality
    alarms (all notify the alert topic), and the retraining trigger (drift or quality)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        key: EnvironmentKey,
        identity: Identity,
        network: Network,
        registry: Registry,
        alert_topic_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        arns = SageMakerArns(env)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        self.pipelines: dict[str, SagemakerPipeline] = {}
        platform = _JobPlatform(
            artifact_bucket=names.artifact_bucket,
            execution_role_arn=identity.sagemaker_execution.arn,
            kms_key_id=key.key.arn,
            subnet_ids=network.subnet_ids,
            security_group_ids=[network.workload_security_group.id],
        )
        self.platform = platform  # the quality jobs run on the same (stacks/quality_monitoring.py)
        code = drift_code_objects()
        for model in env.models:
            prefix = drift_code_prefix(model, code)
            uploads = job_code_objects(self, "drift", model, prefix, code, registry=registry, key=key)
            self.pipelines[model] = SagemakerPipeline(
                self,
                f"drift-pipeline-{model}",
                pipeline_name=names.drift_pipeline(model),
                pipeline_display_name=names.drift_pipeline(model),
                pipeline_description=f"Drift job of {model} in {env.name}: shard histograms, merge, report",
                role_arn=identity.pipeline.arn,
                pipeline_definition=terraform_json(
                    drift_pipeline_definition(env, platform, model, prefix), sort_keys=True
                ),
                depends_on=uploads,
            )
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
                alarm_actions=[alert_topic_arn],
                ok_actions=[alert_topic_arn],
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
            CloudwatchMetricAlarm(
                self,
                f"prediction-drift-alarm-{model}",
                alarm_name=names.prediction_drift_alarm(model),
                alarm_description=(
                    f"Prediction drift of {model} in {env.name}: a served version answers unlike it "
                    "did on its validation data"
                ),
                namespace=DRIFT_NAMESPACE,
                metric_name=PREDICTION_DRIFT_METRIC,
                dimensions={"Environment": env.name, "Model": model},
                statistic="Maximum",
                period=3600,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[alert_topic_arn],
                ok_actions=[alert_topic_arn],
            )
            quality = self._quality_alarm(env, model, alert_topic_arn)
            if not env.drift.retrain_on_drift:
                continue
            self._retrain_trigger(env, model, [alarm, *([quality] if quality else [])], identity)

    def _quality_alarm(
        self, env: Environment, model: str, alert_topic_arn: str
    ) -> CloudwatchMetricAlarm | None:
        """An alarm on the gated quality metric's floor (AUC, else accuracy, of `gates.min_metrics`)
        as `kit quality run` publishes it from labelled answers; none without such a gate."""
        floors = {str(metric): floor for metric, floor in env.gates.min_metrics.items()}
        gated = next((m for m in QUALITY_METRICS if m in floors), None)
        if gated is None:
            return None
        floor = floors[gated]
        return CloudwatchMetricAlarm(
            self,
            f"quality-alarm-{model}",
            alarm_name=ResourceNames(env).quality_alarm(model),
            alarm_description=(
                f"Quality of {model} in {env.name}: {gated} of labelled answers below the gate's "
                f"{floor}; starts retraining"
            ),
            namespace=DRIFT_NAMESPACE,
            metric_name=QUALITY_METRICS[gated],
            dimensions={"Environment": env.name, "Model": model},
            statistic="Minimum",
            period=3600,
            evaluation_periods=1,
            threshold=floor,
            comparison_operator="LessThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[alert_topic_arn],
            ok_actions=[alert_topic_arn],
        )

    def _retrain_trigger(
        self, env: Environment, model: str, alarms: list[CloudwatchMetricAlarm], identity: Identity
    ) -> None:
        """Drift (and quality) alarm -> retraining, without a Lambda.

        The training environment (no `drift.retrain_account_id`) runs a rule that starts its training
        pipeline on the ALARM state of this model's drift or quality alarm in any accepted account.
        The other environments forward their alarms' events to the training environment's default
        event bus.
        """
        names = ResourceNames(env)
        alarm_state = {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
        }
        forward_to = env.drift.retrain_account_id
        if forward_to == env.account_id:
            # The training environment shares this account: its rule already sees this alarm's
            # events on the account's default bus (an EventBridge rule cannot target its own bus).
            return
        if forward_to:
            rule = CloudwatchEventRule(
                self,
                f"retrain-rule-{model}",
                name=f"{names.endpoint(model)}-retrain",
                description=f"Sends the drift and quality alarms of {model} to the account {forward_to}",
                event_pattern=terraform_json(
                    {
                        **alarm_state,
                        "resources": [alarm.arn for alarm in alarms],
                        "detail": {"state": {"value": ["ALARM"]}},
                    }
                ),
            )
            CloudwatchEventTarget(
                self,
                f"retrain-target-{model}",
                rule=rule.name,
                arn=retrain_event_bus_arn(env),
                role_arn=identity.retrain.arn,
            )
            return
        rule = CloudwatchEventRule(
            self,
            f"retrain-rule-{model}",
            name=f"{names.endpoint(model)}-retrain",
            description=f"Starts the training pipeline of {model} when a drift or quality alarm of it fires",
            event_pattern=terraform_json(
                {
                    **alarm_state,
                    "account": [env.account_id, *env.drift.accept_retrain_from],
                    "detail": {
                        "state": {"value": ["ALARM"]},
                        "alarmName": [
                            {"prefix": names.drift_alarm_prefix(model)},
                            {"prefix": names.quality_alarm_prefix(model)},
                        ],
                    },
                }
            ),
        )
        CloudwatchEventTarget(
            self,
            f"retrain-target-{model}",
            rule=rule.name,
            arn=SageMakerArns(env).of("pipeline", names.training_pipeline(model)),
            role_arn=identity.retrain.arn,
            sagemaker_pipeline_target={"pipeline_parameter_list": []},
        )


def retrain_event_bus_arn(env: Environment) -> str:
    """The default event bus of the account where this environment's drift alarms start retraining."""
    return f"arn:aws:events:{env.region}:{env.drift.retrain_account_id or env.account_id}:event-bus/default"


def other_retrain_accounts(env: Environment) -> list[str]:
    """The accounts of `drift.accept_retrain_from` other than this one (alarms of environments that
    share this account reach its default bus without a policy)."""
    return sorted({a for a in env.drift.accept_retrain_from if a != env.account_id})


class RetrainEventBus(Construct):
    """Lets the other accounts named in `drift.accept_retrain_from` put their drift alarm events here."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment) -> None:
        super().__init__(scope, id_)
        accounts = other_retrain_accounts(env)
        CloudwatchEventBusPolicy(
            self,
            "policy",
            event_bus_name="default",
            policy=terraform_json(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DriftAlarmsOfOtherEnvironments",
                            "Effect": "Allow",
                            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                            "Action": "events:PutEvents",
                            "Resource": f"arn:aws:events:{env.region}:{env.account_id}:event-bus/default",
                            "Condition": {"StringEquals": {"events:source": "aws.cloudwatch"}},
                        }
                    ],
                }
            ),
        )
