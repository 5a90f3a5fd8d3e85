"""The AWS/SageMaker metrics an endpoint's invocations publish, as SageMaker publishes them.

Per (endpoint, variant): `Invocations`, `InvocationsPerInstance`, `Invocation4XXErrors`,
`Invocation5XXErrors` (0 or 1 per request, so Sum counts errors and Average is the error rate),
`ModelLatency` and `OverheadLatency` (microseconds), with dimensions EndpointName and VariantName.
Invocations only add to an in-memory batch; a background thread puts the batches into the same
account's CloudWatch every `FLUSH_SECONDS` (SageMaker, too, publishes aggregates, once a minute),
through the backend's own `put_metric_data`, so alarms evaluate them (`alarms.py`). Latencies go as
value/count arrays, so percentile statistics (the latency alarm's p99) have the raw values.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_kit import clock

log = logging.getLogger(__name__)

NAMESPACE = "AWS/SageMaker"
FLUSH_SECONDS = 0.2
# CloudWatch takes at most 150 distinct values in one datum's Values.
_MAX_VALUES = 150


@dataclass
class _Batch:
    instances: int = 1
    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    model_latency: Counter[int] = field(default_factory=Counter)
    overhead_latency: Counter[int] = field(default_factory=Counter)


# Pending batches by (account, region, endpoint, variant).
_batches: dict[tuple[str, str, str, str], _Batch] = {}
_lock = threading.Lock()
_flusher: threading.Thread | None = None


def record_invocation(
    account_id: str,
    region: str,
    endpoint: str,
    variant: str,
    *,
    status: int,
    model_latency_us: int | None,
    overhead_latency_us: int,
    instances: int = 1,
) -> None:
    """Count one invocation the variant answered with `status` (the model's, or 500 when the
    model could not answer); cheap: the metrics are put by the flusher."""
    with _lock:
        batch = _batches.setdefault((account_id, region, endpoint, variant), _Batch())
        batch.instances = max(instances, 1)
        batch.invocations += 1
        batch.errors_4xx += 400 <= status < 500
        batch.errors_5xx += status >= 500
        if model_latency_us is not None:
            batch.model_latency[max(model_latency_us, 0)] += 1
        batch.overhead_latency[max(overhead_latency_us, 0)] += 1
        _start_flusher()


def _start_flusher() -> None:
    global _flusher
    if _flusher is None or not _flusher.is_alive():
        _flusher = threading.Thread(target=_flush_forever, name="sagemaker-metrics", daemon=True)
        _flusher.start()


def _flush_forever() -> None:
    import time

    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # the emulator keeps serving even if one put fails
            log.exception("publishing SageMaker invocation metrics failed")


def _count_datum(name: str, count: int, invocations: int, **common: Any) -> dict[str, Any]:
    """A 0-or-1-per-request metric as a statistic set over `invocations` requests."""
    return {
        **common,
        "MetricName": name,
        "StatisticValues": {
            "SampleCount": float(invocations),
            "Sum": float(count),
            "Minimum": 0.0 if count < invocations else 1.0,
            "Maximum": 1.0 if count else 0.0,
        },
    }


def _latency_data(name: str, values: Counter[int], **common: Any) -> list[dict[str, Any]]:
    items = sorted(values.items())
    return [
        {
            **common,
            "MetricName": name,
            "Unit": "Microseconds",
            "Values": [float(v) for v, _ in items[i : i + _MAX_VALUES]],
            "Counts": [float(c) for _, c in items[i : i + _MAX_VALUES]],
        }
        for i in range(0, len(items), _MAX_VALUES)
    ]


def metric_data(endpoint: str, variant: str, batch: _Batch, timestamp: datetime) -> list[dict[str, Any]]:
    """The PutMetricData items of one batch."""
    common: dict[str, Any] = {
        "Dimensions": [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ],
        "Timestamp": timestamp,
    }
    n = batch.invocations
    per_instance = n / batch.instances
    return [
        {
            **common,
            "MetricName": "Invocations",
            "Unit": "None",
            "StatisticValues": {"SampleCount": float(n), "Sum": float(n), "Minimum": 1.0, "Maximum": 1.0},
        },
        {
            **common,
            "MetricName": "InvocationsPerInstance",
            "Unit": "None",
            "StatisticValues": {
                "SampleCount": float(n),
                "Sum": per_instance,
                "Minimum": 1.0 / batch.instances,
                "Maximum": 1.0 / batch.instances,
            },
        },
        _count_datum("Invocation4XXErrors", batch.errors_4xx, n, Unit="None", **common),
        _count_datum("Invocation5XXErrors", batch.errors_5xx, n, Unit="None", **common),
        *_latency_data("ModelLatency", batch.model_latency, **common),
        *_latency_data("OverheadLatency", batch.overhead_latency, **common),
    ]


def flush() -> None:
    """Put every pending batch into its account's CloudWatch now."""
    from moto.cloudwatch.models import cloudwatch_backends

    with _lock:
        pending = dict(_batches)
        _batches.clear()
    # moto compares metric timestamps as naive UTC.
    now = clock.now().replace(tzinfo=None)
    for (account_id, region, endpoint, variant), batch in pending.items():
        backend = cloudwatch_backends[account_id][region]
        backend.put_metric_data(NAMESPACE, metric_data(endpoint, variant, batch, now))
