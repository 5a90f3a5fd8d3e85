"""Gaps promotion hits: blue/green `UpdateEndpoint`, `UpdateModelPackage` semantics, tags on versions.

`UpdateEndpoint` behaves like SageMaker's deployment guardrails, with time compressed: the endpoint
goes `Updating` and the new (green) fleet is provisioned (its model hosts start); traffic shifts
in the policy's phases (`traffic.py`): InvokeEndpoint sends the canary's share of requests
(or each linear step's) to green and the rest to the old (blue) fleet for `WaitIntervalInSeconds`,
then all of it to green while blue stays for `TerminationWaitInSeconds`. Meanwhile the alarms named
in `AutoRollbackConfiguration` are watched (in the same emulated account's CloudWatch, where the
invocations publish their AWS/SageMaker metrics, so a failing canary trips a 5xx alarm by itself).
An alarm in `ALARM` rolls the endpoint back: all traffic returns to blue, it keeps its old
configuration, returns to `InService` and says why in `FailureReason`. Otherwise the new
configuration serves. `cloudwatch:SetAlarmState` fires an alarm by hand.

Policy seconds pass `KIT_EMULATOR_TIME_SCALE` times faster here (default 60: a minute of bake in one
second), read when the emulator starts.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local_aws.patching import wrap as _wrap

log = logging.getLogger(__name__)

TIME_SCALE_VARIABLE = "KIT_EMULATOR_TIME_SCALE"
DEFAULT_TIME_SCALE = 60.0
_POLL_SECONDS = 0.02


def time_scale() -> float:
    try:
        return max(float(os.environ.get(TIME_SCALE_VARIABLE, DEFAULT_TIME_SCALE)), 1.0)
    except ValueError:
        return DEFAULT_TIME_SCALE


def _alarms_firing(account_id: str, region: str, names: list[str]) -> list[str]:
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[account_id][region].alarms
    return [n for n in names if n in alarms and alarms[n].state_value == "ALARM"]


def _watch(account_id: str, region: str, alarm_names: list[str], seconds: float) -> list[str]:
    """Watch the alarms for `seconds`; the ones in ALARM, as soon as any is. The invocation
    metrics still pending are put (and so evaluated) before the phase ends."""
    from local_aws.sagemaker import invocation_metrics

    deadline = time.monotonic() + seconds
    while True:
        firing = _alarms_firing(account_id, region, alarm_names) if alarm_names else []
        if firing or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_SECONDS)
    if not firing and alarm_names:
        invocation_metrics.flush()
        firing = _alarms_firing(account_id, region, alarm_names)
    return firing


def _run_rollout(
    endpoint: Any, new_config: Any, deployment: dict[str, Any], account_id: str, region: str
) -> None:
    """Background: provision the green fleet, shift traffic phase by phase while watching the
    alarms, then serve `new_config` only, or roll all traffic back to the blue fleet."""
    from local_aws.sagemaker import serving
    from local_aws.sagemaker.traffic import TrafficShift, traffic_phases

    alarm_names = [
        a["AlarmName"] for a in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms", [])
    ]
    blue_config = endpoint.endpoint_config_name
    blue_instances = sum(int(v.get("CurrentInstanceCount") or 1) for v in endpoint.production_variants or [])
    # Green's hosts start while the clock runs (rather than before, as SageMaker provisions): a
    # promotion is not slowed by a model's start-up; requests routed to green wait for it.
    threading.Thread(
        target=serving.provision_fleet,
        args=(account_id, region, endpoint.endpoint_name, new_config),
        daemon=True,
    ).start()
    scale = time_scale()
    phases = traffic_phases(deployment, blue_instances)
    for number, phase in enumerate(phases):
        endpoint.kit_traffic = TrafficShift(blue_config, new_config.endpoint_config_name, phase.green_share)
        grace = 0.05 if number == len(phases) - 1 else 0.0
        firing = _watch(account_id, region, alarm_names, phase.policy_seconds / scale + grace)
        if firing:
            endpoint.kit_traffic = None
            endpoint.pending_deployment_summary = None
            endpoint.endpoint_status = "InService"
            endpoint.failure_reason = (
                f"Rolled back to {blue_config}: alarm(s) {', '.join(firing)} "
                f"in ALARM during the deployment of {new_config.endpoint_config_name}"
            )
            endpoint.last_modified_time = datetime.now(UTC)
            serving.retire_fleets(account_id, region, endpoint.endpoint_name, blue_config)
            return
    endpoint.endpoint_config_name = new_config.endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(new_config.production_variants)
    endpoint.data_capture_config = new_config.data_capture_config
    endpoint.kit_traffic = None
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = datetime.now(UTC)
    serving.retire_fleets(account_id, region, endpoint.endpoint_name, new_config.endpoint_config_name)


def _run_rollout_safely(endpoint: Any, new_config: Any, *args: Any) -> None:
    try:
        _run_rollout(endpoint, new_config, *args)
    except Exception as exc:  # an emulator fault must not leave the endpoint Updating for ever
        log.exception("the rollout of %s failed", endpoint.endpoint_name)
        endpoint.kit_traffic = None
        endpoint.pending_deployment_summary = None
        endpoint.endpoint_status = "InService"
        endpoint.failure_reason = f"Update to {new_config.endpoint_config_name} failed in the emulator: {exc}"


def _update_endpoint() -> None:
    """moto lacks UpdateEndpoint."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpointConfig
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(self: Any) -> str:
        backend = self.sagemaker_backend
        name = self._get_param("EndpointName")
        config_name = self._get_param("EndpointConfigName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f"Could not find endpoint '{name}'.")
        new_config = backend.endpoint_configs.get(config_name)
        if new_config is None:
            arn = FakeEndpointConfig.arn_formatter(config_name, backend.account_id, backend.region_name)
            raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
        if endpoint.endpoint_status != "InService":
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if config_name == endpoint.endpoint_config_name:
            raise ValidationError(message=f"The endpoint already uses endpoint configuration {config_name}.")
        deployment = self._get_param("DeploymentConfig") or {}
        endpoint.endpoint_status = "Updating"
        endpoint.failure_reason = None
        endpoint.last_deployment_config = deployment or None
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": config_name,
            "StartTime": datetime.now(UTC),
        }
        endpoint.last_modified_time = datetime.now(UTC)
        threading.Thread(
            target=_run_rollout_safely,
            args=(endpoint, new_config, deployment, backend.account_id, backend.region_name),
            daemon=True,
        ).start()
        return json.dumps({"EndpointArn": endpoint.arn})

    SageMakerResponse.update_endpoint = update_endpoint  # type: ignore[attr-defined]


def _update_model_package_keeps_unset_fields() -> None:
    """moto's UpdateModelPackage wipes every field the request omits (approval status, metadata).

    AWS changes only what is given and merges `CustomerMetadataProperties` into the existing map.
    """
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend

    def update_model_package(
        self: Any,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
    ) -> str:
        mapped = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
        package = self.model_packages.get(mapped)
        if package is None:
            raise ValidationError(f"Model package {model_package_arn} not found")
        if model_approval_status is not None:
            package.set_model_approval_status(model_approval_status)
        if approval_description is not None:
            package.approval_description = approval_description
        if customer_metadata_properties:
            package.customer_metadata_properties = {
                **(package.customer_metadata_properties or {}),
                **customer_metadata_properties,
            }
        for key in customer_metadata_properties_to_remove or []:
            (package.customer_metadata_properties or {}).pop(key, None)
        package.add_additional_inference_specifications(additional_inference_specifications_to_add)
        package.modifications_done()
        return str(package.arn)

    SageMakerModelBackend.update_model_package = update_model_package  # type: ignore[method-assign]


def _tags_on_model_package_versions() -> None:
    """moto cannot tag `model-package/<group>/<version>` ARNs (it splits the ARN into two parts)."""
    from moto.sagemaker.models import SageMakerModelBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def _get_resource_from_arn(self: Any, arn: str) -> Any:
            resource = arn.split(":")[-1]
            if resource.startswith("model-package/"):
                for package in self.model_packages.values():
                    if package.arn == arn:
                        if package.tags is None:
                            package.tags = []
                        return package
            return original(self, arn)

        return _get_resource_from_arn

    _wrap(SageMakerModelBackend, "_get_resource_from_arn", make)


def install() -> None:
    """Apply this module's patches."""
    _update_endpoint()
    _update_model_package_keeps_unset_fields()
    _tags_on_model_package_versions()
