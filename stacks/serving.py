"""Real-time serving: per model a SageMaker endpoint with data capture, autoscaling and the alarms
that promotion's blue/green rollout watches for automatic rollback.

Ownership boundary: Terraform creates each endpoint with the bootstrap model; from then on what the
endpoint serves belongs to `kit promote` / `kit rollback`. They point it at endpoint configurations
of their own, with a blue/green deployment policy of their own (SageMaker then reports it as the
endpoint's `LastDeploymentConfig`, which the provider reads into `deployment_config`, a block whose
change forces replacement). The endpoint therefore ignores both attributes: a `cdktf deploy` never
reverts, replaces or re-rolls a promotion, whatever promotion, rollback or failed canary came last.
Everything else (the bootstrap model and configuration, scaling, alarms) stays Terraform's.
"""

from __future__ import annotations

import base64

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.sagemaker_endpoint import SagemakerEndpoint
from cdktf_cdktf_provider_aws.sagemaker_endpoint_configuration import (
    SagemakerEndpointConfiguration,
    SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions,
    SagemakerEndpointConfigurationProductionVariants,
)
from cdktf_cdktf_provider_aws.sagemaker_model import SagemakerModel
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.serving.bootstrap import bootstrap_model_archive
from mlops_kit.serving.images import sklearn_image_uri
from stacks.encryption import EnvironmentKey
from stacks.identity import Identity
from stacks.network import Network
from stacks.registry import Registry

# Promotion keeps this variant name in every endpoint configuration it creates, so the autoscaling
# target and the alarms below keep pointing at what serves.
VARIANT_NAME = "primary"
# The endpoint attributes that `kit promote` / `kit rollback` own (Terraform ignores their changes).
KIT_OWNED_ENDPOINT_ATTRIBUTES = ("endpoint_config_name", "deployment_config")
BOOTSTRAP_KEY = "bootstrap/model.tar.gz"


def alarm_names(env: Environment, model: str) -> dict[str, str]:
    """The rollback alarms of one endpoint, by purpose."""
    return ResourceNames(env).rollback_alarms(model)


class ModelEndpoint(Construct):
    """One model's endpoint, its bootstrap model, data capture, autoscaling and rollback alarms."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        model: str,
        key: EnvironmentKey,
        network: Network,
        identity: Identity,
        registry: Registry,
        bootstrap_artifact: S3Object,
        alert_topic_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        endpoint_name = ResourceNames(env).endpoint(model)
        self.model = self._bootstrap_model(
            env, endpoint_name, network, identity, registry, bootstrap_artifact
        )
        self.endpoint_configuration = self._bootstrap_configuration(env, model, endpoint_name, key)
        self.endpoint = SagemakerEndpoint(
            self,
            "endpoint",
            name=endpoint_name,
            endpoint_config_name=self.endpoint_configuration.name,
            # What serves, and how it was rolled out, belong to promotion (see the module docstring).
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(KIT_OWNED_ENDPOINT_ATTRIBUTES)),
        )
        self._autoscaling(env, endpoint_name)
        self.error_alarm, self.latency_alarm = self._rollback_alarms(
            env, model, endpoint_name, alert_topic_arn
        )

    def _bootstrap_model(
        self,
        env: Environment,
        endpoint_name: str,
        network: Network,
        identity: Identity,
        registry: Registry,
        bootstrap_artifact: S3Object,
    ) -> SagemakerModel:
        """The model an endpoint serves until the first promotion: the bootstrap artifact."""
        bucket = registry.artifacts.bucket.bucket
        return SagemakerModel(
            self,
            "bootstrap-model",
            name=f"{endpoint_name}-bootstrap",
            execution_role_arn=identity.sagemaker_execution.arn,
            enable_network_isolation=True,
            primary_container={
                "image": sklearn_image_uri(env.region),
                "model_data_url": f"s3://{bucket}/{BOOTSTRAP_KEY}",
                "environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            },
            vpc_config={
                "subnets": network.subnet_ids,
                "security_group_ids": [network.workload_security_group.id],
            },
            depends_on=[bootstrap_artifact],
        )

    def _bootstrap_configuration(
        self, env: Environment, model: str, endpoint_name: str, key: EnvironmentKey
    ) -> SagemakerEndpointConfiguration:
        """The bootstrap model's endpoint configuration: the variant, its size and data capture."""
        names, spec = ResourceNames(env), env.serving
        return SagemakerEndpointConfiguration(
            self,
            "bootstrap-config",
            name=f"{endpoint_name}-bootstrap",
            kms_key_arn=key.key.arn,
            production_variants=[
                SagemakerEndpointConfigurationProductionVariants(
                    variant_name=VARIANT_NAME,
                    model_name=self.model.name,
                    instance_type=spec.instance_type,
                    initial_instance_count=spec.initial_instance_count,
                )
            ],
            data_capture_config={
                "enable_capture": spec.data_capture_percent > 0,
                "initial_sampling_percentage": max(spec.data_capture_percent, 1),
                "destination_s3_uri": names.data_capture_prefix(model),
                "kms_key_id": key.key.arn,
                "capture_options": [
                    SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions(capture_mode=mode)
                    for mode in ("Input", "Output")
                ],
                "capture_content_type_header": {
                    "csv_content_types": ["text/csv"],
                    "json_content_types": ["application/json"],
                },
            },
        )

    def _autoscaling(self, env: Environment, endpoint_name: str) -> None:
        """Target tracking on invocations per instance, within the environment's capacity range."""
        spec = env.serving
        resource_id = f"endpoint/{endpoint_name}/variant/{VARIANT_NAME}"
        target = AppautoscalingTarget(
            self,
            "scaling-target",
            service_namespace="sagemaker",
            resource_id=resource_id,
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=spec.autoscaling.min_capacity,
            max_capacity=spec.autoscaling.max_capacity,
            depends_on=[self.endpoint],
        )
        AppautoscalingPolicy(
            self,
            "scaling-policy",
            name=f"{endpoint_name}-invocations",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": spec.autoscaling.target_invocations_per_instance,
                "predefined_metric_specification": {
                    "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
        )

    def _rollback_alarms(
        self, env: Environment, model: str, endpoint_name: str, alert_topic_arn: str
    ) -> tuple[CloudwatchMetricAlarm, CloudwatchMetricAlarm]:
        """The 5xx and p99 latency alarms promotion's rollout watches for automatic rollback; both
        notify the alert topic when they fire and when they recover."""
        spec = env.serving
        dimensions = {"EndpointName": endpoint_name, "VariantName": VARIANT_NAME}
        alarms = alarm_names(env, model)
        error_alarm = CloudwatchMetricAlarm(
            self,
            "errors-alarm",
            alarm_name=alarms["errors"],
            alarm_description=f"{endpoint_name}: 5xx errors; rolls back a promotion in progress",
            namespace="AWS/SageMaker",
            metric_name="Invocation5XXErrors",
            dimensions=dimensions,
            statistic="Sum",
            period=60,
            evaluation_periods=1,
            threshold=spec.alarms.max_5xx_errors,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[alert_topic_arn],
            ok_actions=[alert_topic_arn],
        )
        latency_alarm = CloudwatchMetricAlarm(
            self,
            "latency-alarm",
            alarm_name=alarms["latency"],
            alarm_description=f"{endpoint_name}: p99 model latency; rolls back a promotion in progress",
            namespace="AWS/SageMaker",
            metric_name="ModelLatency",
            dimensions=dimensions,
            extended_statistic="p99",
            period=60,
            evaluation_periods=3,
            # ModelLatency is reported in microseconds.
            threshold=spec.alarms.max_p99_latency_ms * 1000,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[alert_topic_arn],
            ok_actions=[alert_topic_arn],
        )
        return error_alarm, latency_alarm


class Serving(Construct):
    """The bootstrap artifact and one `ModelEndpoint` per model of the environment."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        key: EnvironmentKey,
        network: Network,
        identity: Identity,
        registry: Registry,
        alert_topic_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        artifact = S3Object(
            self,
            "bootstrap-artifact",
            bucket=registry.artifacts.bucket.id,
            key=BOOTSTRAP_KEY,
            content_base64=base64.b64encode(bootstrap_model_archive()).decode(),
            content_type="application/gzip",
            server_side_encryption="aws:kms",
            kms_key_id=key.key.arn,
        )
        self.endpoints = {
            model: ModelEndpoint(
                self,
                f"endpoint-{model}",
                env=env,
                model=model,
                key=key,
                network=network,
                identity=identity,
                registry=registry,
                bootstrap_artifact=artifact,
                alert_topic_arn=alert_topic_arn,
            )
            for model in env.models
        }
