"""Metric alarms evaluated the way CloudWatch does: over their periods, on the datapoints stored.

Each CloudWatch backend keeps, besides moto's own metric store, an index of recent datapoints per
series (namespace, metric, exact dimensions), so an evaluation reads only its window. An alarm looks
at its last `EvaluationPeriods` periods of `Period` seconds ending now (wall-clock time, like the
metrics' timestamps: the emulator's rollout time scale does not shorten them); each period's
statistic (`Statistic` or a `pNN` `ExtendedStatistic`) is compared with the threshold, missing
periods count as `TreatMissingData` says, and `DatapointsToAlarm` breaching periods mean ALARM.
With no data in any period and missing data neither breaching nor not breaching, the state stays.
A percentile over statistic sets alone (no raw values) is approximated by their maximum.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_kit import clock

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
# Datapoints are kept at least this long for alarms created after they arrive.
MIN_RETENTION_SECONDS = 3600

SeriesKey = tuple[str, str, frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Datapoint:
    """One put datum: raw (value, count) pairs, or a statistic set (count, sum, min, max)."""

    at: datetime  # naive UTC, like moto's timestamps
    values: tuple[tuple[float, float], ...] = ()
    stats: tuple[float, float, float, float] | None = None


def utc_now() -> datetime:
    """Now in UTC, naive like moto's metric timestamps."""
    return clock.now().replace(tzinfo=None)


def _timestamp(value: Any, now: datetime) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return now
    at: datetime = value
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return min(at, now)


def datapoint_of(datum: dict[str, Any], now: datetime) -> Datapoint:
    """The datapoint a PutMetricData item adds."""
    at = _timestamp(datum.get("Timestamp"), now)
    if datum.get("Values"):
        counts = datum.get("Counts") or [1] * len(datum["Values"])
        return Datapoint(
            at, tuple((float(v), float(c)) for v, c in zip(datum["Values"], counts, strict=False))
        )
    stats = datum.get("StatisticValues")
    if stats:
        return Datapoint(
            at,
            stats=(
                float(stats["SampleCount"]),
                float(stats["Sum"]),
                float(stats["Minimum"]),
                float(stats["Maximum"]),
            ),
        )
    return Datapoint(at, ((float(datum.get("Value", 0) or 0), 1.0),))


def series_key(namespace: str, name: str, dimensions: Iterable[tuple[str, str]]) -> SeriesKey:
    return namespace, name, frozenset(dimensions)


def alarm_series(alarm: Any) -> SeriesKey:
    return series_key(alarm.namespace, alarm.metric_name, ((d.name, d.value) for d in alarm.dimensions))


def _percentile(values: list[tuple[float, float]], percent: float) -> float:
    ordered = sorted(values)
    total = sum(c for _, c in ordered)
    rank = max(1.0, math.ceil(percent / 100 * total))
    seen = 0.0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]


def period_statistic(alarm: Any, points: list[Datapoint]) -> float | None:
    """The alarm's statistic over one period's datapoints; None when the period has no data."""
    raw = [pair for p in points for pair in p.values]
    stats = [p.stats for p in points if p.stats is not None]
    count = sum(c for _, c in raw) + sum(s[0] for s in stats)
    if count <= 0:
        return None
    extended = str(alarm.extended_statistic or "")
    if extended.startswith("p"):
        if raw:
            return _percentile(raw, float(extended[1:]))
        return max(s[3] for s in stats)
    total = sum(v * c for v, c in raw) + sum(s[1] for s in stats)
    name = alarm.statistic or "Average"
    if name == "Sum":
        return total
    if name == "SampleCount":
        return count
    if name == "Minimum":
        return min([v for v, _ in raw] + [s[2] for s in stats])
    if name == "Maximum":
        return max([v for v, _ in raw] + [s[3] for s in stats])
    return total / count


def alarm_window_seconds(alarm: Any) -> int:
    return int(float(alarm.period or 60)) * int(alarm.evaluation_periods or 1)


def evaluate(alarm: Any, points: deque[Datapoint], now: datetime) -> str | None:
    """ALARM or OK for `alarm` over its periods ending `now`; None: leave the state as it is."""
    if alarm.metric_data_queries or alarm.comparison_operator not in _COMPARE or not alarm.metric_name:
        return None
    period = int(float(alarm.period or 60))
    periods = int(alarm.evaluation_periods or 1)
    needed = int(alarm.datapoints_to_alarm or periods)
    missing = alarm.treat_missing_data or "missing"
    start = now - timedelta(seconds=period * periods)
    buckets: list[list[Datapoint]] = [[] for _ in range(periods)]
    # Newest first; datapoints arrive (nearly) in time order, so stop at the window's start.
    for point in reversed(points):
        if point.at <= start:
            break
        index = min(int((now - point.at).total_seconds() // period), periods - 1)
        buckets[index].append(point)
    breaching = present = 0
    threshold = float(alarm.threshold)
    for bucket in buckets:
        value = period_statistic(alarm, bucket)
        if value is None:
            breaching += missing == "breaching"
            continue
        present += 1
        breaching += _COMPARE[alarm.comparison_operator](value, threshold)
    if breaching >= needed:
        return "ALARM"
    if present == 0 and missing not in ("breaching", "notBreaching"):
        return None
    return "OK"


def prune(points: deque[Datapoint], now: datetime, keep_seconds: int) -> None:
    """Drop datapoints older than `keep_seconds` (and never less than MIN_RETENTION_SECONDS)."""
    oldest = now - timedelta(seconds=max(keep_seconds, MIN_RETENTION_SECONDS))
    while points and points[0].at < oldest:
        points.popleft()
