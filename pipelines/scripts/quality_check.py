"""Quality pipeline, step QualityCheck: join the uploaded labels with the endpoint's capture in the
window, write the quality report, publish accuracy and AUC per variant.

    quality_check.py --lib-dir .../input/lib --report-dir .../output/report
                     --labels-prefix s3://BUCKET/labels/MODEL --capture-prefix s3://BUCKET/data-capture/MODEL
                     --endpoint NAME --environment dev --model MODEL --region us-east-1
                     --window-end 2026-11-25T09:00:00Z --window-hours 24

Reads labels and capture from S3 itself (the labels prefix may still be empty). Writes
`<UTC time>.json` to --report-dir (`usable` false when no answer had a label) and, when usable,
puts ModelAccuracy, ModelAUC and LabelledAnswers in CloudWatch. Low quality is not a failure of the
step: it exits 0 and the quality alarm acts.
"""

# The scikit-learn 1.2-1 image runs this on Python 3.9, which has no datetime.UTC.
# ruff: noqa: UP017

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

_CAPTURE_HOUR = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def keys_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def may_hold(key: str, start: datetime, end: datetime) -> bool:
    """Whether a capture object's hour folder overlaps the window (other keys are read)."""
    match = _CAPTURE_HOUR.search(key)
    if not match:
        return True
    year, month, day, hour_of_day = (int(part) for part in match.groups())
    hour = datetime(year, month, day, hour_of_day, tzinfo=timezone.utc)
    return start < hour + timedelta(hours=1) and hour < end


def served_versions(sagemaker: Any, endpoint: str) -> dict[str, tuple[str, Any]]:
    """Variant -> (model name, version) of what the endpoint serves; {} when it cannot be read."""
    try:
        config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except Exception as error:  # the report then names no versions; quality still stands
        print(f"cannot read what {endpoint} serves: {error}")
        return {}
    served = {}
    for variant in [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]:
        match = re.fullmatch(re.escape(endpoint) + r"-v(\d+)", variant["ModelName"])
        served[variant["VariantName"]] = (variant["ModelName"], int(match.group(1)) if match else None)
    return served


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for option in ("--lib-dir", "--report-dir"):
        parser.add_argument(option, type=Path, required=True)
    for option in (
        "--labels-prefix", "--capture-prefix", "--endpoint", "--environment", "--model", "--region",
        "--window-end", "--window-hours",
    ):  # fmt: skip
        parser.add_argument(option, required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.lib_dir))
    import boto3

    from mlops_kit.drift.capture import TimeWindow, iso_time
    from mlops_kit.drift.predictions import variant_of_capture_key
    from mlops_kit.drift.publication import metric_batches, report_json, report_name
    from mlops_kit.quality import (
        answers_of_capture,
        evaluate_quality,
        merge_label_batches,
        parse_labels_jsonl,
    )
    from mlops_kit.quality.publication import QUALITY_NAMESPACE, quality_metric_data

    end = iso_time(args.window_end).astimezone(timezone.utc)
    start = end - timedelta(hours=int(args.window_hours))
    s3 = boto3.client("s3", region_name=args.region)
    bucket, prefix = split_uri(args.labels_prefix)
    labels = merge_label_batches(
        parse_labels_jsonl(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        for key in keys_under(s3, bucket, prefix.rstrip("/") + "/")
    )
    capture_bucket, capture_prefix = split_uri(args.capture_prefix)
    by_variant: dict[str, list[bytes]] = {}
    for key in keys_under(s3, capture_bucket, f"{capture_prefix.rstrip('/')}/{args.endpoint}/"):
        variant = variant_of_capture_key(key)
        if variant is not None and may_hold(key, start, end):
            body = s3.get_object(Bucket=capture_bucket, Key=key)["Body"].read()
            by_variant.setdefault(variant, []).extend(body.splitlines())
    answers, skipped = answers_of_capture(by_variant, TimeWindow(start, end))
    served = (
        served_versions(boto3.client("sagemaker", region_name=args.region), args.endpoint)
        if by_variant
        else {}
    )
    report = evaluate_quality(answers, labels.labels, {**skipped, **labels.rejected}, served)
    document = {
        **report.to_dict(),
        "usable": report.usable,
        "generated_at": end.isoformat().replace("+00:00", "Z"),
        "environment": args.environment,
        "model": args.model,
        "window": {"start": start.isoformat().replace("+00:00", "Z"), "end": args.window_end},
        "labels": len(labels.labels),
    }
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / report_name(end)).write_text(report_json(document))
    data = quality_metric_data(report, environment=args.environment, model=args.model, timestamp=end)
    cloudwatch = boto3.client("cloudwatch", region_name=args.region)
    for batch in metric_batches(data):
        cloudwatch.put_metric_data(Namespace=QUALITY_NAMESPACE, MetricData=batch)
    if report.overall is None:
        print(f"no labelled answer in the window ({len(labels.labels)} label(s)); skipped: {report.skipped}")
    else:
        print(
            f"{report.overall.labelled} labelled answer(s): accuracy {report.overall.accuracy:.4f}, "
            f"auc {report.overall.auc}; {len(data)} metrics published; skipped: {report.skipped}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
