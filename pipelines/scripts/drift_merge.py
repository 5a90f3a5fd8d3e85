"""Drift pipeline, step DriftMerge: add the shards' histograms, judge, write the report, publish.

    drift_merge.py --histogram-dir .../input/histograms --baseline-dir .../input/baseline
                   --lib-dir .../input/lib --report-dir .../output/report --html-dir .../output/html
                   --thresholds '{"psi": 0.2, ...}' --environment dev --model NAME --region us-east-1
                   --window-end 2026-11-25T09:00:00Z --window-hours 24
                   --baseline-uri s3://... --capture-prefix s3://... --execution-arn arn:...

Writes `<UTC time>.json` (the drift report, read by the promotion drift gate) to --report-dir and
`<UTC time>.html` to --html-dir, and puts DatasetDrift, DriftedShare and FeatureDrift in CloudWatch
(namespace mlops-kit/drift). Drift is not a failure of the step: it exits 0 and the alarm acts.
"""

# The scikit-learn 1.2-1 image runs this on Python 3.9, which has no datetime.UTC.
# ruff: noqa: UP017

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta, timezone
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for option in (
        "--histogram-dir", "--baseline-dir", "--lib-dir", "--report-dir", "--html-dir",
    ):  # fmt: skip
        parser.add_argument(option, type=Path, required=True)
    for option in (
        "--thresholds", "--environment", "--model", "--region", "--window-end", "--window-hours",
        "--baseline-uri", "--capture-prefix", "--execution-arn",
    ):  # fmt: skip
        parser.add_argument(option, required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.lib_dir))
    from mlops_kit.drift import (
        CurrentHistogram,
        DriftThresholds,
        evaluate_drift,
        load_baseline,
        merge_histograms,
        render_html_report,
    )
    from mlops_kit.drift.capture import iso_time
    from mlops_kit.drift.publication import (
        DRIFT_NAMESPACE,
        metric_batches,
        metric_data,
        report_document,
        report_json,
        report_name,
    )

    documents = sorted(args.baseline_dir.rglob("*.json"))
    if len(documents) != 1:
        raise SystemExit(f"BaselineError: expected one baseline JSON in {args.baseline_dir}")
    baseline = load_baseline(documents[0].read_text(), source=args.baseline_uri)
    shards = sorted(args.histogram_dir.rglob("*.json"))
    merged = merge_histograms(baseline, (CurrentHistogram.from_json(p.read_text()) for p in shards))
    report = evaluate_drift(baseline, merged, DriftThresholds(**json.loads(args.thresholds)))
    end = iso_time(args.window_end).astimezone(timezone.utc)
    start = end - timedelta(hours=int(args.window_hours))
    document = report_document(
        report,
        end,
        {
            "environment": args.environment,
            "model": args.model,
            "baseline_uri": args.baseline_uri,
            "current": args.capture_prefix,
            "window": {"start": start.isoformat().replace("+00:00", "Z"), "end": args.window_end},
            "shards": len(shards),
            "execution_arn": args.execution_arn,
        },
    )
    name = report_name(end)
    for folder in (args.report_dir, args.html_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (args.report_dir / name).write_text(report_json(document))
    (args.html_dir / name.replace(".json", ".html")).write_text(
        render_html_report(report, title=f"Drift of {args.model} in {args.environment}")
    )

    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name=args.region)
    data = metric_data(report, environment=args.environment, model=args.model, timestamp=end)
    for batch in metric_batches(data):
        cloudwatch.put_metric_data(Namespace=DRIFT_NAMESPACE, MetricData=batch)
    verdict = "DRIFT" if report.drifted else "no drift"
    print(
        f"{verdict}: {len(report.drifted_features)} feature(s) drifted of {len(report.features)}; "
        f"{merged.rows} rows from {len(shards)} shard(s); {len(data)} metrics published"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
