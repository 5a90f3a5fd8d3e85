"""Drift pipeline, step DriftShards: count this instance's share of the data capture.

Runs on each of the step's instances; SageMaker gives each one its share of the capture objects
(ShardedByS3Key) under --capture-dir. Writes one histogram, named by the host, to --output-dir, and
the window's answers of each endpoint variant (capture lines without their requests) to
--output-dir/answers/<variant>/<host>.jsonl, for the merge step's prediction drift:

    drift_shard.py --capture-dir /opt/ml/processing/input/capture --baseline-dir .../baseline
                   --lib-dir .../lib --output-dir /opt/ml/processing/output/histograms
                   --resource-config /opt/ml/config/resourceconfig.json
                   --window-end 2026-11-25T09:00:00Z --window-hours 24
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path


def current_host(resource_config: Path) -> str:
    """This instance's host name (`algo-1`, ...) from SageMaker's resource config."""
    if not resource_config.is_file():
        return "algo-1"
    return str(json.loads(resource_config.read_text())["current_host"])


def baseline_text(folder: Path) -> str:
    documents = sorted(folder.rglob("*.json"))
    if len(documents) != 1:
        raise SystemExit(f"BaselineError: expected one baseline JSON in {folder}, found {len(documents)}")
    return documents[0].read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capture-dir", type=Path, required=True)
    parser.add_argument("--baseline-dir", type=Path, required=True)
    parser.add_argument("--lib-dir", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--resource-config", type=Path, required=True)
    parser.add_argument("--window-end", required=True)
    parser.add_argument("--window-hours", required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.lib_dir))
    from mlops_kit.drift import LocalDirectoryStore, TimeWindow, histogram_of_capture_keys, load_baseline
    from mlops_kit.drift.capture import iso_time
    from mlops_kit.drift.predictions import answer_lines, variant_of_capture_key

    baseline = load_baseline(baseline_text(args.baseline_dir), source="baseline")
    end = iso_time(args.window_end)
    start = end - timedelta(hours=int(args.window_hours))
    store = LocalDirectoryStore(args.capture_dir)
    keys = store.list_keys("") if args.capture_dir.is_dir() else []
    histogram = histogram_of_capture_keys(store, keys, baseline, TimeWindow(start, end))
    host = current_host(args.resource_config)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / f"{host}.json").write_text(histogram.to_json())
    by_variant: dict[str, list[str]] = {}
    for key in keys:
        variant = variant_of_capture_key(key)
        if variant is not None:
            by_variant.setdefault(variant, []).append(key)
    for variant, variant_keys in sorted(by_variant.items()):
        folder = args.output_dir / "answers" / variant
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{host}.jsonl").open("w") as answers:
            for key in variant_keys:
                for line in answer_lines(store.read_bytes(key).splitlines(), TimeWindow(start, end)):
                    answers.write(line + "\n")
    print(f"{host}: {len(keys)} capture object(s), {histogram.rows} rows, {histogram.rows_skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
