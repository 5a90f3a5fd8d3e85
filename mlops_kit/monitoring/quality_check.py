"""Model quality with ground truth against AWS: `kit labels upload` writes labels under the model's
labels prefix; `kit quality run` joins every uploaded label with the endpoint's capture in a window,
writes the quality report and publishes accuracy and AUC per variant (the version it serves).

Bad input is counted and reported (mlops_kit.quality); BadInput (exit 2) only when nothing usable
remains: a labels file without one usable row, or a window where no answer has a label.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_kit import clock
from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.drift import TimeWindow
from mlops_kit.drift.loading import read_data_file
from mlops_kit.drift.publication import metric_batches, report_json, report_name
from mlops_kit.errors import BadInput
from mlops_kit.monitoring.drift_check import capture_keys_in_window
from mlops_kit.monitoring.prediction_drift import capture_keys_by_variant, served_models
from mlops_kit.monitoring.s3_store import S3ObjectStore
from mlops_kit.quality import (
    LabelBatch,
    QualityReport,
    answers_of_capture,
    evaluate_quality,
    labels_jsonl,
    labels_of_frame,
    merge_label_batches,
    parse_labels_jsonl,
)
from mlops_kit.quality.publication import QUALITY_NAMESPACE, quality_metric_data
from mlops_kit.s3_uri import split_s3_uri
from mlops_kit.serving.state import version_of_config


@dataclass(frozen=True)
class LabelUpload:
    uri: str
    labels: int
    rejected: dict[str, int]
    already_uploaded: bool


@dataclass(frozen=True)
class QualityCheck:
    report: QualityReport
    document: dict[str, Any]
    report_uri: str
    metrics_published: int


def model_of(env: Environment, model: str | None) -> str:
    """`model`, or the environment's first; BadInput naming --model when it has no such model."""
    if model is None:
        return env.models[0]
    if model not in env.models:
        raise BadInput(
            f"{env.name} has no model '{model}' (it has {', '.join(env.models)})", argument="model"
        )
    return model


def upload_labels(
    env: Environment,
    model: str | None,
    path: Path,
    *,
    id_column: str = "inference_id",
    label_column: str = "label",
    clients: AwsClients | None = None,
) -> LabelUpload:
    """Check the labels file and write its usable labels under the model's labels prefix, named by
    their content (uploading the same labels twice writes one object)."""
    from mlops_kit.aws import clients_for

    model = model_of(env, model)
    try:
        frame = read_data_file(path)
    except BadInput as error:
        raise BadInput(f"FILE {error.message}") from None
    batch = labels_of_frame(frame, id_column=id_column, label_column=label_column)
    body = labels_jsonl(batch)
    bucket, prefix = split_s3_uri(ResourceNames(env).labels_prefix(model) + "/")
    key = f"{prefix}{hashlib.sha256(body).hexdigest()[:16]}.jsonl"
    store = S3ObjectStore(clients or clients_for(env), bucket)
    present = store.exists(key)
    if not present:
        store.write_bytes(key, body, "application/x-ndjson")
    return LabelUpload(f"s3://{bucket}/{key}", len(batch.labels), batch.rejected, present)


def uploaded_labels(clients: AwsClients, env: Environment, model: str) -> LabelBatch:
    """Every label uploaded for `model` in `env`, merged (see `merge_label_batches`)."""
    bucket, prefix = split_s3_uri(ResourceNames(env).labels_prefix(model) + "/")
    store = S3ObjectStore(clients, bucket)
    return merge_label_batches(
        parse_labels_jsonl(store.read_bytes(k)) for k in sorted(store.list_keys(prefix))
    )


def check_quality(
    env: Environment,
    model: str | None,
    *,
    since: timedelta | None = None,
    clients: AwsClients | None = None,
    now: datetime | None = None,
) -> QualityCheck:
    """Join the uploaded labels with `model`'s capture in the last `since` (default: the drift
    window); write the report under the quality report prefix and publish the metrics."""
    from mlops_kit.aws import clients_for

    model = model_of(env, model)
    names = ResourceNames(env)
    clients = clients or clients_for(env)
    generated_at = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    window = TimeWindow(generated_at - (since or timedelta(hours=env.drift.window_hours)), generated_at)
    labels = uploaded_labels(clients, env, model)
    if not labels.labels:
        raise BadInput(
            f"no usable label of {model} in {env.name} under {names.labels_prefix(model)}",
            hint="upload labels with kit labels upload",
            argument="env",
        )
    capture_bucket, capture_prefix = split_s3_uri(names.data_capture_prefix(model) + "/")
    store = S3ObjectStore(clients, capture_bucket)
    keys = capture_keys_in_window(store.list_keys(capture_prefix), window)
    by_variant = capture_keys_by_variant(keys, capture_prefix, names.endpoint(model))
    lines = {
        variant: (line for key in variant_keys for line in store.read_bytes(key).splitlines())
        for variant, variant_keys in by_variant.items()
    }
    answers, skipped = answers_of_capture(lines, window)
    served = (
        {v: (m, version_of_config(env, model, m)) for v, m in served_models(clients, env, model).items()}
        if by_variant
        else {}
    )
    report = evaluate_quality(answers, labels.labels, {**skipped, **labels.rejected}, served)
    if not report.usable:
        counts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in report.skipped.items())
        counts = counts or "no captured answer carries an inference id"
        raise BadInput(
            f"no answer of {model} in {env.name} between {window.start:%Y-%m-%d %H:%M} and "
            f"{window.end:%Y-%m-%d %H:%M} UTC has a label ({counts})",
            hint="widen the window, or check the labels' inference ids",
            argument="since",
        )
    document = {
        **report.to_dict(),
        "generated_at": generated_at.isoformat().replace("+00:00", "Z"),
        "environment": env.name,
        "model": model,
        "window": {
            "start": window.start.isoformat().replace("+00:00", "Z") if window.start else None,
            "end": window.end.isoformat().replace("+00:00", "Z") if window.end else None,
        },
        "labels": len(labels.labels),
    }
    report_uri = f"{names.quality_report_prefix(model)}/{report_name(generated_at)}"
    bucket, key = split_s3_uri(report_uri)
    S3ObjectStore(clients, bucket).write_bytes(key, report_json(document).encode(), "application/json")
    data = quality_metric_data(report, environment=env.name, model=model, timestamp=generated_at)
    cloudwatch = clients.client("cloudwatch")
    for batch in metric_batches(data):
        clients.call(
            f"publish quality metrics of {model} in {env.name}",
            cloudwatch.put_metric_data,
            Namespace=QUALITY_NAMESPACE,
            MetricData=batch,
        )
    return QualityCheck(report, document, report_uri, len(data))
