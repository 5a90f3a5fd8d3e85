"""Canary analysis: compare the canary variant with the baseline variant over one window.

Each variant's numbers come from where SageMaker puts them: requests, 5xx errors and model latency
from its AWS/SageMaker metrics in CloudWatch (dimensions EndpointName and VariantName), its model
outputs from the endpoint's data capture (`<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/`).
The outputs' distributions are compared with the drift engine: the baseline variant's outputs
make a drift baseline, the canary's are checked against it, and the largest PSI over the output
fields is the `output_psi` metric.

Each rule of `serving.rollout.analysis` passes, fails, or is inconclusive: too few requests on a
side (`min_requests`), or a metric its source cannot give (counted apart from failures). The
analysis fails when any rule fails, is inconclusive when none fails but one is inconclusive, and
passes otherwise.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.models import AnalysisRule
from mlops_kit.errors import KitError
from mlops_kit.s3_uri import split_s3_uri

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"


@dataclass(frozen=True)
class VariantSample:
    """One variant's numbers over the window (None: the source could not give it)."""

    variant: str
    requests: int
    errors: int
    latency_mean_ms: float | None
    latency_p99_ms: float | None
    outputs: tuple[dict[str, float], ...]

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "latency_mean_ms": self.latency_mean_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "outputs": len(self.outputs),
        }


@dataclass(frozen=True)
class RuleResult:
    rule: AnalysisRule
    verdict: str
    baseline: float | None
    canary: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.rule.model_dump(),
            "verdict": self.verdict,
            "baseline": self.baseline,
            "canary": self.canary,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AnalysisResult:
    verdict: str
    rules: tuple[RuleResult, ...]
    baseline: VariantSample
    canary: VariantSample
    dry_run: bool = False

    @property
    def summary(self) -> str:
        parts = [f"{r.rule.metric} {r.verdict} ({r.detail})" for r in self.rules]
        return f"canary analysis {self.verdict}: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "dry_run": self.dry_run,
            "rules": [r.as_dict() for r in self.rules],
            "baseline": self.baseline.as_dict(),
            "canary": self.canary.as_dict(),
        }


def _statistic(
    clients: AwsClients,
    endpoint: str,
    variant: str,
    metric: str,
    start: datetime,
    end: datetime,
    *,
    statistic: str = "Sum",
) -> float | None:
    """`statistic` (Sum, Average or a pNN) of one AWS/SageMaker metric over the window; None when
    CloudWatch gives no value for it."""
    cloudwatch = clients.client("cloudwatch")
    seconds = max(60, math.ceil((end - start).total_seconds() / 60) * 60 + 60)
    kwargs: dict[str, Any] = {
        "Namespace": "AWS/SageMaker",
        "MetricName": metric,
        "Dimensions": [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ],
        "StartTime": start,
        "EndTime": start + timedelta(seconds=seconds),
        "Period": seconds,
    }
    if statistic.startswith("p"):
        kwargs["ExtendedStatistics"] = [statistic]
    else:
        kwargs["Statistics"] = [statistic]
    try:
        points = clients.call(
            f"read {metric} of {endpoint}/{variant}", cloudwatch.get_metric_statistics, **kwargs
        )
    except KitError:
        return None
    values = [
        (p.get("ExtendedStatistics") or {}).get(statistic) if statistic.startswith("p") else p.get(statistic)
        for p in points.get("Datapoints", [])
    ]
    found = [float(v) for v in values if v is not None]
    if not found:
        return 0.0 if statistic == "Sum" else None
    if statistic == "Sum":
        return sum(found)
    return max(found) if statistic.startswith("p") else sum(found) / len(found)


def _numbers(payload: Any) -> dict[str, float]:
    """The numeric fields of one model answer: a number, a list of numbers, or a JSON object."""
    if isinstance(payload, bool):
        return {}
    if isinstance(payload, int | float):
        return {"output": float(payload)}
    if isinstance(payload, list) and payload and all(isinstance(v, int | float) for v in payload):
        return {f"output_{i}": float(v) for i, v in enumerate(payload)}
    if isinstance(payload, dict):
        return {
            str(k): float(v)
            for k, v in payload.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
    return {}


def _decoded_output(record: dict[str, Any]) -> Any:
    output = (record.get("captureData") or {}).get("endpointOutput") or {}
    data = str(output.get("data", ""))
    if output.get("encoding") == "BASE64":
        data = base64.b64decode(data).decode("utf-8", errors="replace")
    try:
        return json.loads(data)
    except ValueError:
        try:
            return float(data.strip().split(",")[0])
        except ValueError:
            return None


def captured_outputs(
    clients: AwsClients, env: Environment, model: str, variant: str, start: datetime, end: datetime
) -> tuple[dict[str, float], ...]:
    """The numeric outputs the variant answered inside the window, from data capture."""
    endpoint = ResourceNames(env).endpoint(model)
    bucket, prefix = split_s3_uri(ResourceNames(env).data_capture_prefix(model) + "/")
    s3 = clients.client("s3")
    outputs: list[dict[str, float]] = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour <= end:
        folder = f"{prefix.rstrip('/')}/{endpoint}/{variant}/{hour:%Y/%m/%d/%H}/"
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        for key in keys:
            body = clients.call(f"read s3://{bucket}/{key}", s3.get_object, Bucket=bucket, Key=key)[
                "Body"
            ].read()
            for line in body.decode("utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                    at = datetime.fromisoformat(
                        record["eventMetadata"]["inferenceTime"].replace("Z", "+00:00")
                    )
                except (ValueError, KeyError, TypeError):
                    continue
                if start <= at <= end:
                    numbers = _numbers(_decoded_output(record))
                    if numbers:
                        outputs.append(numbers)
        hour += timedelta(hours=1)
    return tuple(outputs)


def read_variant(
    clients: AwsClients, env: Environment, model: str, variant: str, start: datetime, end: datetime
) -> VariantSample:
    endpoint = ResourceNames(env).endpoint(model)
    requests = _statistic(clients, endpoint, variant, "Invocations", start, end) or 0.0
    errors = _statistic(clients, endpoint, variant, "Invocation5XXErrors", start, end) or 0.0
    mean = _statistic(clients, endpoint, variant, "ModelLatency", start, end, statistic="Average")
    p99 = _statistic(clients, endpoint, variant, "ModelLatency", start, end, statistic="p99")
    return VariantSample(
        variant,
        int(requests),
        int(errors),
        None if mean is None else mean / 1000,
        None if p99 is None else p99 / 1000,
        captured_outputs(clients, env, model, variant, start, end),
    )


def output_psi(baseline: VariantSample, canary: VariantSample) -> float | None:
    """The largest PSI over the output fields of the canary against the baseline's outputs."""
    import pandas as pd

    from mlops_kit.drift import build_baseline
    from mlops_kit.drift.evaluation import check_frame

    if not baseline.outputs or not canary.outputs:
        return None
    reference = pd.DataFrame(list(baseline.outputs)).dropna(axis=1)
    current = pd.DataFrame(list(canary.outputs))
    shared = [c for c in reference.columns if c in current.columns]
    if not shared:
        return None
    report = check_frame(build_baseline(reference[shared], bins=10), current[shared])
    values = [f.statistics.get("psi") for f in report.features]
    found = [float(v) for v in values if v is not None]
    return max(found) if found else None


def _values(metric: str, baseline: VariantSample, canary: VariantSample) -> tuple[float | None, float | None]:
    if metric == "error_rate":
        return baseline.error_rate, canary.error_rate
    if metric == "latency_mean_ms":
        return baseline.latency_mean_ms, canary.latency_mean_ms
    if metric == "latency_p99_ms":
        return baseline.latency_p99_ms, canary.latency_p99_ms
    return 0.0, output_psi(baseline, canary)


def evaluate_rule(rule: AnalysisRule, baseline: VariantSample, canary: VariantSample) -> RuleResult:
    fewest = min(baseline.requests, canary.requests)
    if fewest < rule.min_requests:
        return RuleResult(
            rule,
            INCONCLUSIVE,
            None,
            None,
            f"too few requests: baseline {baseline.requests}, canary {canary.requests}, "
            f"need {rule.min_requests} each",
        )
    base, value = _values(rule.metric, baseline, canary)
    if base is None or value is None:
        return RuleResult(rule, INCONCLUSIVE, base, value, f"{rule.metric} unavailable from its source")
    if rule.comparison == "difference":
        measured, shown = value - base, f"canary - baseline = {value - base:.4g}"
    elif rule.comparison == "ratio":
        measured = value / base if base else (math.inf if value else 1.0)
        shown = f"canary / baseline = {measured:.4g}"
    else:
        measured, shown = value, f"canary = {value:.4g}"
    verdict = PASS if measured <= rule.threshold else FAIL
    return RuleResult(rule, verdict, base, value, f"{shown}, limit {rule.threshold:g}")


def analyse(
    clients: AwsClients, env: Environment, model: str, start: datetime, end: datetime, *, canary_variant: str
) -> AnalysisResult:
    """Evaluate the environment's analysis rules on the window [start, end]."""
    from mlops_kit.promotion.rollout import VARIANT_NAME

    analysis = env.serving.rollout.analysis
    if analysis is None:
        raise ValueError(f"{env.name} has no serving.rollout.analysis")
    baseline = read_variant(clients, env, model, VARIANT_NAME, start, end)
    canary = read_variant(clients, env, model, canary_variant, start, end)
    results = tuple(evaluate_rule(rule, baseline, canary) for rule in analysis.rules)
    verdicts = {r.verdict for r in results}
    verdict = FAIL if FAIL in verdicts else INCONCLUSIVE if INCONCLUSIVE in verdicts else PASS
    return AnalysisResult(verdict, results, baseline, canary, analysis.dry_run)
