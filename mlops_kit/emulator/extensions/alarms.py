"""CloudWatch alarms that act: evaluation on new metric data, and EventBridge delivery to pipelines.

moto stores metric data but never evaluates alarms against it, never emits the "CloudWatch Alarm
State Change" event, and cannot deliver an EventBridge event to a SageMaker pipeline target. The
stacks rely on exactly that chain (drift metric -> drift alarm -> rule -> training pipeline), so the
emulator closes it here:

- `PutMetricData`: every alarm on the same namespace, metric and dimensions is evaluated against the
  datapoints just put (its statistic over them, compared with its threshold), moving to ALARM or OK.
- Any alarm state change (also `SetAlarmState`) emits the event to the account's default bus; each
  rule whose pattern matches starts its SageMaker pipeline targets, assuming the target's role as
  EventBridge does, with the target's pipeline parameters, and passes the event on to event-bus
  targets in other accounts (bus policies are not evaluated).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mlops_kit.emulator.extensions.patching import wrap

log = logging.getLogger(__name__)

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def _statistic(name: str | None, values: list[float]) -> float:
    if name == "Maximum":
        return max(values)
    if name == "Minimum":
        return min(values)
    if name == "Sum":
        return sum(values)
    if name == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)


def alarm_state_for(alarm: Any, namespace: str, metric_data: list[dict[str, Any]]) -> str | None:
    """ALARM or OK for `alarm` given freshly put datapoints; None when none concern it."""
    if alarm.namespace != namespace or alarm.comparison_operator not in _COMPARE:
        return None
    wanted = {d.name: d.value for d in alarm.dimensions}
    values: list[float] = []
    for datum in metric_data:
        dims = {d["Name"]: d["Value"] for d in datum.get("Dimensions") or []}
        if datum["MetricName"] != alarm.metric_name or dims != wanted:
            continue
        if datum.get("Value") is not None:
            values.append(float(datum["Value"]))
        values += [float(v) for v in datum.get("Values") or []]
    if not values:
        return None
    breached = _COMPARE[alarm.comparison_operator](
        _statistic(alarm.statistic, values), float(alarm.threshold)
    )
    return "ALARM" if breached else "OK"


def _state_change_event(alarm: Any, previous: str) -> dict[str, Any]:
    _, _, _, region, account, _ = alarm.alarm_arn.split(":", 5)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [alarm.alarm_arn],
        "detail": {
            "alarmName": alarm.name,
            "state": {"value": alarm.state_value, "reason": alarm.state_reason or ""},
            "previousState": {"value": previous},
        },
    }


def _start_pipeline(target: dict[str, Any], region: str) -> None:
    """Start a pipeline target as EventBridge would: as the target's role, in the pipeline's account."""
    import boto3

    from mlops_kit.emulator.extensions.pipelines import _endpoint
    from mlops_kit.emulator.server import TEST_CREDENTIALS

    endpoint = _endpoint()
    base = boto3.session.Session(
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )
    credentials = base.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=target["RoleArn"], RoleSessionName="EventBridge"
    )["Credentials"]
    sagemaker = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    ).client("sagemaker", endpoint_url=endpoint)
    parameters = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
    sagemaker.start_pipeline_execution(
        PipelineName=target["Arn"].split(":pipeline/", 1)[1],
        PipelineParameters=parameters,
        PipelineExecutionDescription="started by EventBridge (alarm state change)",
    )


def deliver_event(event: dict[str, Any], *, account: str | None = None, hops: int = 0) -> list[str]:
    """Deliver `event` to the default bus of `account` (the event's own by default): start the
    SageMaker pipeline targets of every matching rule, and pass it on to event-bus targets (another
    account's bus, as EventBridge does across accounts). Returns the pipeline ARNs started."""
    from moto.events.models import events_backends

    backend = events_backends[account or event["account"]][event["region"]]
    bus = backend.event_buses.get("default")
    started: list[str] = []
    for rule in list(bus.rules.values()) if bus else []:
        if rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):  # type: ignore[arg-type]
            continue
        for target in rule.targets:
            arn = target["Arn"]
            if ":sagemaker:" in arn and ":pipeline/" in arn:
                started.append(arn)
                # Outside the request thread: the start call comes back into this same server.
                threading.Thread(target=_start_safely, args=(target, event["region"]), daemon=True).start()
            elif ":event-bus/" in arn and hops < 3:
                started += deliver_event(event, account=arn.split(":")[4], hops=hops + 1)
    return started


def _start_safely(target: dict[str, Any], region: str) -> None:
    try:
        _start_pipeline(target, region)
    except Exception:  # a failed delivery must not take the emulator down; EventBridge logs it too
        log.exception("EventBridge delivery to %s failed", target.get("Arn"))


def install() -> None:
    """Apply this module's patches."""
    from moto.cloudwatch.models import Alarm, CloudWatchBackend

    def make_update(original: Callable[..., Any]) -> Callable[..., Any]:
        def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
            previous = self.state_value
            original(self, reason, reason_data, state_value)
            if previous != state_value:
                deliver_event(_state_change_event(self, previous))

        return update_state

    def make_put(original: Callable[..., Any]) -> Callable[..., Any]:
        def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
            original(self, namespace, metric_data)
            for alarm in list(self.alarms.values()):
                state = alarm_state_for(alarm, namespace, metric_data)
                if state is not None and state != alarm.state_value:
                    reason = f"Threshold Crossed: datapoints put to {namespace}/{alarm.metric_name}"
                    alarm.update_state(reason, json.dumps({"evaluatedBy": "mlops-kit emulator"}), state)

        return put_metric_data

    wrap(Alarm, "update_state", make_update)
    wrap(CloudWatchBackend, "put_metric_data", make_put)
