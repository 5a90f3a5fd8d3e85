"""`kit drift run`: find the baseline and the current data, run the drift engine, publish the result.

Two ways in: explicit sources (`check_sources`: local files or s3:// URIs, nothing published), or an
environment (`check_environment`: the baseline of the version serving there, the endpoint's data
capture inside a time window; the report goes to the drift report prefix and the metrics to
CloudWatch, as the scheduled drift pipeline does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.models import DriftSettings
from mlops_kit.drift import (
    Baseline,
    CurrentHistogram,
    DriftReport,
    DriftThresholds,
    LocalDirectoryStore,
    ObjectStore,
    TimeWindow,
    baseline_of_table,
    evaluate_drift,
    histogram_of_capture_keys,
    histogram_of_files,
    histogram_of_keys,
    load_baseline,
)
from mlops_kit.drift.predictions import VariantPredictions
from mlops_kit.drift.publication import (
    DRIFT_NAMESPACE,
    metric_batches,
    metric_data,
    prediction_metric_data,
    report_document,
    report_json,
    report_name,
)
from mlops_kit.drift.sources import is_table_name
from mlops_kit.errors import BadInput, NotFound
from mlops_kit.monitoring.prediction_drift import check_prediction_drift
from mlops_kit.monitoring.s3_store import S3ObjectStore
from mlops_kit.s3_uri import split_s3_uri

CAPTURE_SUFFIXES = (".jsonl", ".jsonl.gz", ".json")
_SINCE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# SageMaker writes capture objects under .../yyyy/mm/dd/hh/: the hour says when they were written.
_CAPTURE_HOUR = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")


@dataclass(frozen=True)
class DriftCheck:
    """The report, the document stored and printed for it, and where it went (if published)."""

    report: DriftReport
    document: dict[str, Any]
    report_uri: str | None = None
    metrics_published: int = 0
    predictions: tuple[VariantPredictions, ...] = ()

    @property
    def predictions_drifted(self) -> bool:
        return any(p.drifted for p in self.predictions)


def thresholds_from_settings(settings: DriftSettings) -> DriftThresholds:
    """The engine's thresholds from an environment's `drift:` settings."""
    return DriftThresholds(
        pvalue=settings.pvalue,
        wasserstein_normed=settings.wasserstein_normed,
        psi=settings.psi,
        js_distance=settings.js_distance,
        missing_share=settings.missing_share,
        drifted_share=settings.drifted_share,
        min_samples=settings.min_samples,
        critical_features=frozenset(settings.critical_features),
    )


def parse_since(text: str) -> timedelta:
    """`24h`, `90m`, `7d`, `3600s` -> a positive duration; BadInput otherwise."""
    match = _SINCE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise BadInput("expected a positive duration like 24h, 90m, 7d or 3600s", argument=f"since {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def check_sources(
    baseline: str,
    current: str,
    thresholds: DriftThresholds | None = None,
    *,
    clients: AwsClients | None = None,
    now: datetime | None = None,
) -> DriftCheck:
    """Drift of `current` (a CSV/Parquet/capture file, a folder, an S3 key or prefix) against the
    baseline at `baseline` (a path or an S3 URI of a baseline document, or of a CSV/Parquet data
    file to build one from). Publishes nothing."""
    needs_s3 = baseline.startswith("s3://") or current.startswith("s3://")
    clients = clients or (_default_clients() if needs_s3 else None)
    loaded = _baseline_of_source(baseline, clients)
    histogram = _current_histogram(current, loaded, clients)
    report = evaluate_drift(loaded, histogram, thresholds)
    generated_at = _moment(now)
    document = report_document(report, generated_at, {"baseline_uri": baseline, "current": current})
    return DriftCheck(report=report, document=document)


def check_environment(
    env: Environment,
    model: str | None = None,
    *,
    since: timedelta | None = None,
    baseline: str | None = None,
    clients: AwsClients | None = None,
    now: datetime | None = None,
) -> DriftCheck:
    """Drift of `model`'s endpoint capture in the last `since` (default: the env's window) against
    the serving version's baseline (or `baseline`); writes the report to the drift report prefix
    and publishes the metrics."""
    from mlops_kit.aws import clients_for

    model = _model_of(env, model)
    names = ResourceNames(env)
    clients = clients or clients_for(env)
    generated_at = _moment(now)
    window = TimeWindow(generated_at - (since or timedelta(hours=env.drift.window_hours)), generated_at)
    baseline_uri, baseline_from = (baseline, "given") if baseline else serving_baseline(clients, env, model)
    loaded = load_baseline(_read_source(baseline_uri, clients, what="baseline"), source=baseline_uri)
    capture_bucket, capture_prefix = split_s3_uri(names.data_capture_prefix(model) + "/")
    store = S3ObjectStore(clients, capture_bucket)
    keys = capture_keys_in_window(store.list_keys(capture_prefix), window)
    if not keys:
        raise NotFound(
            f"no data capture of {model} in {env.name} between {window.start:%Y-%m-%d %H:%M} and "
            f"{window.end:%Y-%m-%d %H:%M} UTC (under s3://{capture_bucket}/{capture_prefix})",
            hint="is data capture enabled on the endpoint? widen the window",
            argument="since",
        )
    thresholds = thresholds_from_settings(env.drift)
    report = evaluate_drift(loaded, histogram_of_capture_keys(store, keys, loaded, window), thresholds)
    predictions = tuple(check_prediction_drift(clients, env, model, store, keys, window, thresholds))
    document = report_document(
        report,
        generated_at,
        {
            "environment": env.name,
            "model": model,
            "baseline_uri": baseline_uri,
            "baseline_from": baseline_from,
            "current": f"s3://{capture_bucket}/{capture_prefix}",
            "window": {"start": _iso(window.start), "end": _iso(window.end)},
            "capture_objects": len(keys),
            "prediction_drift": {
                "drifted": any(p.drifted for p in predictions),
                "variants": [p.to_dict() for p in predictions],
            },
        },
    )
    report_uri = f"{names.drift_report_prefix(model)}/{report_name(generated_at)}"
    bucket, key = split_s3_uri(report_uri)
    S3ObjectStore(clients, bucket).write_bytes(key, report_json(document).encode(), "application/json")
    published = publish_metrics(
        clients, report, environment=env.name, model=model, timestamp=generated_at, predictions=predictions
    )
    return DriftCheck(
        report=report,
        document=document,
        report_uri=report_uri,
        metrics_published=published,
        predictions=predictions,
    )


def serving_baseline(clients: AwsClients, env: Environment, model: str) -> tuple[str, str]:
    """The drift baseline URI of the version serving `model` in `env` (else the latest approved
    one), and which of the two it came from."""
    from mlops_kit.registry.versions import get_version, latest_version, list_versions
    from mlops_kit.serving.state import serving_state

    try:
        serving = serving_state(clients, env, model).version
    except NotFound:
        serving = None
    if serving is not None:
        version, source = get_version(clients, env, model, serving), f"serving version {serving}"
    else:
        approved = latest_version(list_versions(clients, env, model), statuses=("Approved",))
        if approved is None:
            raise NotFound(
                f"{env.name}: no version of {model} is serving or approved, so there is no drift baseline",
                hint="name a baseline file or S3 URI",
                argument="baseline",
            )
        version, source = approved, f"latest approved version {approved.version} (none is serving)"
    if not version.lineage.drift_baseline_uri:
        raise NotFound(
            f"{version.label} of {model} has no drift_baseline_uri in its lineage",
            hint="name a baseline file or S3 URI",
            argument="baseline",
        )
    return version.lineage.drift_baseline_uri, source


def capture_keys_in_window(keys: Iterable[str], window: TimeWindow) -> list[str]:
    """Capture objects that may hold requests inside the window, judged by their hour folder
    (objects outside the yyyy/mm/dd/hh layout are kept; the engine filters each request)."""
    kept = []
    for key in keys:
        match = _CAPTURE_HOUR.search(key)
        if match:
            year, month, day, hour_of_day = (int(part) for part in match.groups())
            hour = datetime(year, month, day, hour_of_day, tzinfo=UTC)
            if (window.end and hour >= window.end) or (
                window.start and hour + timedelta(hours=1) <= window.start
            ):
                continue
        kept.append(key)
    return sorted(kept)


def publish_metrics(
    clients: AwsClients,
    report: DriftReport,
    *,
    environment: str,
    model: str,
    timestamp: datetime,
    predictions: Iterable[VariantPredictions] = (),
) -> int:
    """Put the report's metrics, and those of the variants' prediction drift compared, in
    CloudWatch (namespace mlops-kit/drift); the number put."""
    cloudwatch = clients.client("cloudwatch")
    compared = {p.variant: p.drifted for p in predictions if p.report is not None}
    data = metric_data(report, environment=environment, model=model, timestamp=timestamp)
    data += prediction_metric_data(compared, environment=environment, model=model, timestamp=timestamp)
    for batch in metric_batches(data):
        clients.call(
            f"publish drift metrics of {model} in {environment}",
            cloudwatch.put_metric_data,
            Namespace=DRIFT_NAMESPACE,
            MetricData=batch,
        )
    return len(data)


def _model_of(env: Environment, model: str | None) -> str:
    if model is None:
        return env.models[0]
    if model not in env.models:
        raise BadInput(
            f"{env.name} has no model '{model}' (it has {', '.join(env.models)})", argument="model"
        )
    return model


def _moment(now: datetime | None) -> datetime:
    return (now or clock.now()).astimezone(UTC).replace(microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _default_clients() -> AwsClients:
    import boto3

    return AwsClients(env=None, session=boto3.session.Session())


def _baseline_of_source(source: str, clients: AwsClients | None) -> Baseline:
    """The baseline document at `source`, or the baseline of the data file there."""
    data = _read_source(source, clients, what="baseline")
    if is_table_name(source):
        try:
            return baseline_of_table(source.rsplit("/", 1)[-1], data)
        except BadInput as error:
            raise BadInput(f"baseline: {error.message}") from error
    return load_baseline(data, source=source)


def _read_source(source: str, clients: AwsClients | None, *, what: str) -> bytes:
    if source.startswith("s3://"):
        assert clients is not None
        bucket, key = split_s3_uri(source)
        return S3ObjectStore(clients, bucket).read_bytes(key)
    path = Path(source)
    if not path.is_file():
        raise BadInput(f"{what}: {source} is not a file")
    return path.read_bytes()


def _is_capture_name(name: str) -> bool:
    return name.lower().endswith(CAPTURE_SUFFIXES)


def _current_histogram(source: str, baseline: Baseline, clients: AwsClients | None) -> CurrentHistogram:
    """Histogram of tables (CSV/Parquet) or capture files (JSON lines) at a path or S3 URI."""
    store: ObjectStore
    if source.startswith("s3://"):
        assert clients is not None
        bucket, key = split_s3_uri(source)
        s3_store = S3ObjectStore(clients, bucket)
        keys = (
            [key]
            if key and s3_store.exists(key)
            else list(s3_store.list_keys(key.rstrip("/") + "/" if key else ""))
        )
        store = s3_store
    else:
        path = Path(source)
        if path.is_file():
            if not _is_capture_name(path.name):
                return histogram_of_files([path], baseline)
            store, keys = LocalDirectoryStore(path.parent), [path.name]
        elif path.is_dir():
            store = LocalDirectoryStore(path)
            keys = store.list_keys("")
        else:
            raise BadInput(f"current: {source} does not exist")
    tables = [key for key in keys if is_table_name(key)]
    if tables:
        return histogram_of_keys(store, tables, baseline)
    captures = [key for key in keys if _is_capture_name(key)]
    if captures:
        return histogram_of_capture_keys(store, captures, baseline)
    raise BadInput(f"current: no CSV, Parquet or data capture (.jsonl) files in {source}")
