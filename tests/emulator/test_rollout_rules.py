"""The emulator's pure rules: blue/green traffic phases and routing, and metric alarm evaluation."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from local_aws.cloudwatch.alarm_evaluation import Datapoint, datapoint_of, evaluate
from local_aws.sagemaker.traffic import TrafficPhase, TrafficShift, traffic_phases

NOW = datetime(2026, 11, 25, 12, 0, 0)


def blue_green(routing: dict[str, Any], termination: int = 300) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination,
        }
    }


def test_canary_bakes_its_share_then_sends_all_for_the_termination_wait() -> None:
    canary = {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
        "WaitIntervalInSeconds": 600,
    }
    assert traffic_phases(blue_green(canary)) == [TrafficPhase(0.2, 600), TrafficPhase(1.0, 300)]


def test_canary_by_instance_count_is_its_share_of_the_blue_fleet() -> None:
    canary = {
        "Type": "CANARY",
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
    assert traffic_phases(blue_green(canary), blue_instances=4)[0] == TrafficPhase(0.25, 60)


def test_linear_steps_each_wait_before_the_next() -> None:
    linear = {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 60,
    }
    assert [p.green_share for p in traffic_phases(blue_green(linear))] == [0.25, 0.5, 0.75, 1.0]


def test_all_at_once_and_no_policy_shift_everything_at_once() -> None:
    all_at_once = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    assert traffic_phases(blue_green(all_at_once, termination=0)) == [TrafficPhase(1.0, 0)]
    assert traffic_phases({}) == [TrafficPhase(1.0, 0)]


def test_a_shift_sends_every_nth_request_to_green() -> None:
    shift = TrafficShift("blue", "green", 0.2)
    routed = [shift.next_config() for _ in range(20)]
    assert [i for i, name in enumerate(routed, start=1) if name == "green"] == [5, 10, 15, 20]
    half = TrafficShift("blue", "green", 0.5)
    assert [half.next_config() for _ in range(4)] == ["blue", "green", "blue", "green"]


def alarm(**overrides: Any) -> Any:
    settings = {
        "metric_data_queries": [],
        "metric_name": "Invocation5XXErrors",
        "comparison_operator": "GreaterThanThreshold",
        "threshold": 5,
        "period": 60,
        "evaluation_periods": 1,
        "datapoints_to_alarm": None,
        "treat_missing_data": "notBreaching",
        "statistic": "Sum",
        "extended_statistic": None,
    }
    return SimpleNamespace(**(settings | overrides))


def errors(count: int, seconds_ago: float, invocations: int = 10) -> Datapoint:
    stats = {"SampleCount": invocations, "Sum": count, "Minimum": 0, "Maximum": 1 if count else 0}
    return datapoint_of({"StatisticValues": stats, "Timestamp": NOW - timedelta(seconds=seconds_ago)}, NOW)


def test_errors_summed_over_the_period_cross_the_threshold() -> None:
    assert evaluate(alarm(), deque([errors(3, 50), errors(3, 10)]), NOW) == "ALARM"
    assert evaluate(alarm(), deque([errors(3, 50), errors(2, 10)]), NOW) == "OK"


def test_errors_older_than_the_period_no_longer_count() -> None:
    assert evaluate(alarm(), deque([errors(9, 61), errors(0, 5)]), NOW) == "OK"


def test_no_data_is_ok_when_not_breaching_and_leaves_the_state_when_missing() -> None:
    old = deque([errors(9, 120)])
    assert evaluate(alarm(), old, NOW) == "OK"
    assert evaluate(alarm(treat_missing_data="missing"), old, NOW) is None
    assert evaluate(alarm(treat_missing_data="breaching"), old, NOW) == "ALARM"


def latency(micros: list[float], seconds_ago: float) -> Datapoint:
    datum = {"Values": micros, "Timestamp": NOW - timedelta(seconds=seconds_ago)}
    return datapoint_of(datum, NOW)


def test_p99_latency_alarms_only_when_every_evaluated_period_breaches() -> None:
    slow = [1000.0] * 98 + [900_000.0, 900_000.0]
    p99 = alarm(metric_name="ModelLatency", statistic=None, extended_statistic="p99", threshold=500_000)
    three = p99.__class__(**(vars(p99) | {"evaluation_periods": 3}))
    every_minute = deque([latency(slow, 150), latency(slow, 90), latency(slow, 30)])
    assert evaluate(three, every_minute, NOW) == "ALARM"
    assert evaluate(three, deque([latency(slow, 30)]), NOW) == "OK"
    assert evaluate(p99, deque([latency([1000.0] * 100, 30)]), NOW) == "OK"
