"""CloudWatch alarms that act: evaluation on new metric data, and EventBridge delivery to pipelines.

moto stores metric data but never evaluates alarms against it, never emits the "CloudWatch Alarm
State Change" event, and cannot deliver an EventBridge event to a SageMaker pipeline target. The
stacks rely on exactly that chain (drift metric -> drift alarm -> rule -> training pipeline), so the
emulator closes it here:

- Metric alarms evaluate over their periods on the stored datapoints (`alarm_evaluation.py`): at
  once when `PutMetricData` (or an endpoint's invocation metrics) adds to the alarm's series, and on
  schedule once a period while the series has recent data, so an alarm returns to OK when its
  breaching datapoints age out of its periods. A state set by hand (`SetAlarmState`) holds until
  the next evaluation; alarms whose series never got data keep it.
- Any alarm state change (also `SetAlarmState`) emits the event to the account's default bus; each
  rule whose pattern matches starts its SageMaker pipeline targets, assuming the target's role as
  EventBridge does, with the target's pipeline parameters, and passes the event on to event-bus
  targets in other accounts (bus policies are not evaluated).
- Any alarm state change also notifies the SNS topics among the new state's actions
  (`alarm_actions.py`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_aws.cloudwatch import alarm_actions, alarm_evaluation
from local_aws.patching import wrap
from mlops_kit import clock

log = logging.getLogger(__name__)

EVALUATE_SECONDS = 1.0
_lock = threading.RLock()
_backends_with_data: weakref.WeakSet[Any] = weakref.WeakSet()
_evaluator: threading.Thread | None = None


def _state_change_event(alarm: Any, previous: str) -> dict[str, Any]:
    _, _, _, region, account, _ = alarm.alarm_arn.split(":", 5)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [alarm.alarm_arn],
        "detail": {
            "alarmName": alarm.name,
            "state": {"value": alarm.state_value, "reason": alarm.state_reason or ""},
            "previousState": {"value": previous},
        },
    }


def _start_pipeline(target: dict[str, Any], region: str, rule_arn: str) -> None:
    """Start a pipeline target as EventBridge would: as the target's role (which EventBridge assumes,
    with the rule as aws:SourceArn), in the pipeline's account."""
    import boto3

    from local_aws.iam.service_identity import service_client
    from local_aws.sagemaker.pipelines import _endpoint

    endpoint = _endpoint()
    sts = service_client(
        "events.amazonaws.com",
        "sts",
        endpoint_url=endpoint,
        region=region,
        source_arn=rule_arn,
        source_account=rule_arn.split(":")[4],
    )
    credentials = sts.assume_role(RoleArn=target["RoleArn"], RoleSessionName="EventBridge")["Credentials"]
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
                threading.Thread(
                    target=_start_safely, args=(target, event["region"], rule.arn), daemon=True
                ).start()
            elif ":event-bus/" in arn and hops < 3:
                started += deliver_event(event, account=arn.split(":")[4], hops=hops + 1)
    return started


def _start_safely(target: dict[str, Any], region: str, rule_arn: str) -> None:
    try:
        _start_pipeline(target, region, rule_arn)
    except Exception:  # a failed delivery must not take the emulator down; EventBridge logs it too
        log.exception("EventBridge delivery to %s failed", target.get("Arn"))


def _index_and_evaluate(backend: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    """Add the put datapoints to the backend's series and evaluate the alarms on those series."""
    now = alarm_evaluation.utc_now()
    touched = set()
    with _lock:
        series = _series_of(backend)
        for datum in metric_data:
            key = alarm_evaluation.series_key(
                namespace,
                datum["MetricName"],
                ((d["Name"], d["Value"]) for d in datum.get("Dimensions") or []),
            )
            series.setdefault(key, deque()).append(alarm_evaluation.datapoint_of(datum, now))
            touched.add(key)
        _evaluate_alarms(backend, touched, now)
    _start_evaluator()


def _series_of(backend: Any) -> dict[alarm_evaluation.SeriesKey, deque[alarm_evaluation.Datapoint]]:
    # Kept on the backend itself, so the emulator's reset forgets it with the backend.
    if not hasattr(backend, "kit_series"):
        backend.kit_series = {}
        _backends_with_data.add(backend)
    return backend.kit_series  # type: ignore[no-any-return]


def _evaluate_alarms(backend: Any, keys: set[alarm_evaluation.SeriesKey] | None, now: datetime) -> None:
    """Evaluate the backend's alarms on `keys` (new data), or when None every alarm not evaluated
    (nor set) for a period; prune old datapoints."""
    series = _series_of(backend)
    windows: dict[alarm_evaluation.SeriesKey, int] = {}
    clock = time.monotonic()
    for alarm in list(backend.alarms.values()):
        key = alarm_evaluation.alarm_series(alarm)
        points = series.get(key)
        if points is None or (keys is not None and key not in keys):
            continue
        windows[key] = max(windows.get(key, 0), alarm_evaluation.alarm_window_seconds(alarm))
        # On schedule, once a period, as CloudWatch: a state set by hand holds until then.
        if keys is None and clock - getattr(alarm, "kit_evaluated_at", 0.0) < float(alarm.period or 60):
            continue
        alarm.kit_evaluated_at = clock
        state = alarm_evaluation.evaluate(alarm, points, now)
        if state is not None and state != alarm.state_value:
            reason = (
                f"Threshold Crossed: {alarm.namespace}/{alarm.metric_name} over the last "
                f"{alarm.evaluation_periods} period(s) of {alarm.period} s (evaluated by the emulator)"
            )
            alarm.update_state(reason, json.dumps({"evaluatedBy": "mlops-kit emulator"}), state)
    for key in list(series) if keys is None else keys:
        alarm_evaluation.prune(series[key], now, windows.get(key, 0))
        if not series[key]:
            del series[key]


def _evaluate_forever() -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    while True:
        time.sleep(EVALUATE_SECONDS)
        for backend in list(_backends_with_data):
            try:
                if cloudwatch_backends[backend.account_id][backend.region_name] is not backend:
                    _backends_with_data.discard(backend)  # replaced by the emulator's reset
                    continue
                with _lock:
                    _evaluate_alarms(backend, None, alarm_evaluation.utc_now())
            except Exception:  # one bad alarm must not stop the evaluation of the others
                log.exception(
                    "evaluating the alarms of %s/%s failed", backend.account_id, backend.region_name
                )


def _start_evaluator() -> None:
    global _evaluator
    with _lock:
        if _evaluator is None or not _evaluator.is_alive():
            _evaluator = threading.Thread(target=_evaluate_forever, name="alarm-evaluation", daemon=True)
            _evaluator.start()


def install() -> None:
    """Apply this module's patches."""
    from moto.cloudwatch.models import Alarm, CloudWatchBackend

    def make_update(original: Callable[..., Any]) -> Callable[..., Any]:
        def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
            previous = self.state_value
            original(self, reason, reason_data, state_value)
            self.kit_evaluated_at = time.monotonic()
            if previous != state_value:
                deliver_event(_state_change_event(self, previous))
                alarm_actions.notify(self, previous)

        return update_state

    def make_put(original: Callable[..., Any]) -> Callable[..., Any]:
        def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
            original(self, namespace, metric_data)
            _index_and_evaluate(self, namespace, metric_data)

        return put_metric_data

    wrap(Alarm, "update_state", make_update)
    wrap(CloudWatchBackend, "put_metric_data", make_put)
