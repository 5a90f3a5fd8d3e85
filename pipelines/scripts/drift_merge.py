"""Drift pipeline, step DriftMerge: add the shards' histograms, judge, write the report, publish.

    drift_merge.py --histogram-dir .../input/histograms --baseline-dir .../input/baseline
                   --lib-dir .../input/lib --report-dir .../output/report --html-dir .../output/html
                   --thresholds '{"psi": 0.2, ...}' --environment dev --model NAME --region us-east-1
                   --window-end 2026-11-25T09:00:00Z --window-hours 24
                   --baseline-uri s3://... --capture-prefix s3://... --execution-arn arn:...
                   --endpoint NAME

Writes `<UTC time>.json` (the drift report, read by the promotion drift gate) to --report-dir and
`<UTC time>.html` to --html-dir, and puts DatasetDrift, DriftedShare and FeatureDrift in CloudWatch
(namespace mlops-kit/drift). Prediction drift: the shards' answers of each variant against the
validation predictions recorded in the artifact of the version the endpoint serves on it, in the
report (`prediction_drift`) and as PredictionDrift. Drift is not a failure of the step: it exits 0
and the alarms act.
"""

# The scikit-learn 1.2-1 image runs this on Python 3.9, which has no datetime.UTC.
# ruff: noqa: UP017

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any


def served_models(sagemaker: Any, endpoint: str) -> dict[str, str]:
    """Variant -> SageMaker model the endpoint serves on it now (shadow variants included)."""
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    variants = [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]
    return {v["VariantName"]: v["ModelName"] for v in variants}


def recorded_predictions(sagemaker: Any, s3: Any, model_name: str) -> Any:
    from mlops_kit.drift.predictions import PREDICTIONS_FILE, member_of_archive

    url = (sagemaker.describe_model(ModelName=model_name).get("PrimaryContainer") or {}).get("ModelDataUrl")
    if not url:
        return None
    bucket, _, key = url[len("s3://") :].partition("/")
    return member_of_archive(s3.get_object(Bucket=bucket, Key=key)["Body"], PREDICTIONS_FILE)


def prediction_results(answers_dir: Path, endpoint: str, region: str, thresholds: Any) -> list[Any]:
    """Prediction drift of each variant whose answers the shards wrote (the window is theirs)."""
    import boto3

    from mlops_kit.drift.predictions import VariantPredictions, compare_variant

    variants = sorted(p.name for p in answers_dir.iterdir() if p.is_dir()) if answers_dir.is_dir() else []
    if not variants:
        return []
    sagemaker, s3 = boto3.client("sagemaker", region_name=region), boto3.client("s3", region_name=region)
    try:
        served = served_models(sagemaker, endpoint)
    except Exception as error:  # the report says why; input drift stands on its own
        return [
            VariantPredictions(v, unavailable=f"cannot read what {endpoint} serves: {error}")
            for v in variants
        ]
    results = []
    for variant in variants:
        model_name = served.get(variant)
        if model_name is None:
            results.append(
                VariantPredictions(variant, unavailable="the endpoint no longer serves this variant")
            )
            continue
        match = re.fullmatch(re.escape(endpoint) + r"-v(\d+)", model_name)
        version = int(match.group(1)) if match else None
        try:
            recorded = recorded_predictions(sagemaker, s3, model_name)
        except Exception as error:
            results.append(VariantPredictions(variant, model_name, version, unavailable=f"{error}"))
            continue
        lines = [
            line
            for f in sorted((answers_dir / variant).glob("*.jsonl"))
            for line in f.read_text().splitlines()
        ]
        results.append(compare_variant(variant, model_name, version, recorded, lines, None, thresholds))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for option in (
        "--histogram-dir", "--baseline-dir", "--lib-dir", "--report-dir", "--html-dir",
    ):  # fmt: skip
        parser.add_argument(option, type=Path, required=True)
    for option in (
        "--thresholds", "--environment", "--model", "--region", "--window-end", "--window-hours",
        "--baseline-uri", "--capture-prefix", "--execution-arn", "--endpoint",
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
        prediction_metric_data,
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
    thresholds = DriftThresholds(**json.loads(args.thresholds))
    report = evaluate_drift(baseline, merged, thresholds)
    predictions = prediction_results(args.histogram_dir / "answers", args.endpoint, args.region, thresholds)
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
            "prediction_drift": {
                "drifted": any(p.drifted for p in predictions),
                "variants": [p.to_dict() for p in predictions],
            },
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
    compared = {p.variant: p.drifted for p in predictions if p.report is not None}
    data += prediction_metric_data(compared, environment=args.environment, model=args.model, timestamp=end)
    for batch in metric_batches(data):
        cloudwatch.put_metric_data(Namespace=DRIFT_NAMESPACE, MetricData=batch)
    verdict = "DRIFT" if report.drifted else "no drift"
    print(
        f"{verdict}: {len(report.drifted_features)} feature(s) drifted of {len(report.features)}; "
        f"{merged.rows} rows from {len(shards)} shard(s); {len(data)} metrics published"
    )
    for result in predictions:
        state = (
            "DRIFT"
            if result.drifted
            else "no drift"
            if result.report
            else f"not compared: {result.unavailable}"
        )
        print(f"predictions of {result.variant} ({result.model_name}): {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
