"""The drift pipeline's definition as plain JSON: cheap enough for the stacks to embed at synth time.

No SageMaker SDK, no AWS client, no pandas: the step code and the drift engine are read as files
(located without importing the engine), so `stacks/monitoring.py` can declare the pipeline and
upload its code. `pipelines.drift.build_drift_pipeline` wraps this for the CLI and the tests.

    DriftShards  (env.drift.instance_count instances; the capture prefix ShardedByS3Key: each
                  instance counts its share of the capture objects into histograms/<host>.json)
      -> DriftMerge (one instance: adds the histograms, evaluates them against the baseline with the
                  environment's thresholds, writes <UTC time>.json under the drift report prefix
                  and an HTML page under its html/, and puts the metrics in CloudWatch)

Parameters: `WindowHours` (the schedule passes the environment's), `BaselineUri` (default
`s3://<bucket>/drift-baselines/<model>/baseline.json`), `CapturePrefix` (the model's data capture
prefix). The window ends at the execution's start time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from pipelines.processing_steps import (
    PROCESSING_ROOT,
    JobPlatform,
    get,
    join,
    processing_input,
    processing_output,
    processing_step,
)

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
PIPELINE_KIND = "drift"
RESOURCE_CONFIG = "/opt/ml/config/resourceconfig.json"

SHARDS, MERGE = "DriftShards", "DriftMerge"
WINDOW_HOURS, BASELINE_URI, CAPTURE_PREFIX = "WindowHours", "BaselineUri", "CapturePrefix"
SCRIPTS = ("drift_shard.py", "drift_merge.py")
# The engine runs as source: a package `mlops_kit` holding only the errors and the drift engine.
SHIPPED_PACKAGE_INIT = b'"""mlops-kit: the drift engine, shipped as source into the drift job."""\n'


def drift_code_objects() -> dict[str, bytes]:
    """The step scripts and `lib/mlops_kit/` (the kit's errors and the drift engine), by name."""
    objects = {name: (SCRIPTS_DIR / name).read_bytes() for name in SCRIPTS}
    objects["lib/mlops_kit/__init__.py"] = SHIPPED_PACKAGE_INIT
    objects["lib/mlops_kit/errors.py"] = source_file("mlops_kit.errors").read_bytes()
    engine = source_file("mlops_kit.drift").parent
    for module in sorted(engine.glob("*.py")):
        objects[f"lib/mlops_kit/drift/{module.name}"] = module.read_bytes()
    return objects


def drift_code_prefix(model: str, objects: dict[str, bytes]) -> str:
    """`code/<model>-drift/<hash>`: changes exactly when one of the objects does."""
    digest = hashlib.sha256()
    for name in sorted(objects):
        digest.update(name.encode() + b"\0" + hashlib.sha256(objects[name]).digest())
    return f"code/{model}-{PIPELINE_KIND}/{digest.hexdigest()[:16]}"


def source_file(module: str) -> Path:
    # find_spec locates a module without running it (only the parent package is imported).
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"cannot locate the source of {module}")
    return Path(spec.origin)


def default_baseline_uri(env: Environment, model: str) -> str:
    """Where the drift pipeline reads the baseline unless `BaselineUri` is given."""
    return f"s3://{ResourceNames(env).artifact_bucket}/drift-baselines/{model}/baseline.json"


def drift_thresholds_arguments(env: Environment) -> dict[str, Any]:
    """The environment's drift settings as the engine's `DriftThresholds` keyword arguments."""
    drift = env.drift
    return {
        "pvalue": drift.pvalue,
        "wasserstein_normed": drift.wasserstein_normed,
        "psi": drift.psi,
        "js_distance": drift.js_distance,
        "missing_share": drift.missing_share,
        "drifted_share": drift.drifted_share,
        "min_samples": drift.min_samples,
        "critical_features": sorted(drift.critical_features),
    }


def drift_pipeline_definition(
    env: Environment, platform: JobPlatform, model: str, code_prefix: str
) -> dict[str, Any]:
    """The pipeline definition document (what CreatePipeline's PipelineDefinition holds), with the
    code under `s3://<bucket>/<code_prefix>/`."""
    names = ResourceNames(env)

    def code_uri(name: str) -> str:
        return f"s3://{platform.artifact_bucket}/{code_prefix}/{name}"

    run_prefix = join(
        "/", f"s3://{platform.artifact_bucket}/pipelines/{model}-drift", get("Execution.PipelineExecutionId")
    )
    histograms_uri = join("/", run_prefix, "histograms")
    report_prefix = names.drift_report_prefix(model)
    window_hours = join("", get(f"Parameters.{WINDOW_HOURS}"))
    window_end = get("Execution.StartDateTime")
    lib = processing_input("lib", code_uri("lib/"), "lib")
    baseline = processing_input("baseline", get(f"Parameters.{BASELINE_URI}"), "baseline")

    shards = processing_step(
        SHARDS,
        env,
        platform,
        script=code_uri("drift_shard.py"),
        instance_count=env.drift.instance_count,
        inputs=[
            processing_input("capture", get(f"Parameters.{CAPTURE_PREFIX}"), "capture", sharded=True),
            baseline,
            lib,
        ],
        outputs=[processing_output("histograms", histograms_uri)],
        arguments=[
            "--capture-dir", f"{PROCESSING_ROOT}/input/capture",
            "--baseline-dir", f"{PROCESSING_ROOT}/input/baseline",
            "--lib-dir", f"{PROCESSING_ROOT}/input/lib",
            "--output-dir", f"{PROCESSING_ROOT}/output/histograms",
            "--resource-config", RESOURCE_CONFIG,
            "--window-end", window_end,
            "--window-hours", window_hours,
        ],
    )  # fmt: skip
    shard_histograms = get(f"Steps.{SHARDS}.ProcessingOutputConfig.Outputs['histograms'].S3Output.S3Uri")
    merge = processing_step(
        MERGE,
        env,
        platform,
        script=code_uri("drift_merge.py"),
        instance_count=1,
        inputs=[processing_input("histograms", shard_histograms, "histograms"), baseline, lib],
        outputs=[
            processing_output("report", report_prefix),
            processing_output("html", f"{report_prefix}/html"),
        ],
        arguments=[
            "--histogram-dir", f"{PROCESSING_ROOT}/input/histograms",
            "--baseline-dir", f"{PROCESSING_ROOT}/input/baseline",
            "--lib-dir", f"{PROCESSING_ROOT}/input/lib",
            "--report-dir", f"{PROCESSING_ROOT}/output/report",
            "--html-dir", f"{PROCESSING_ROOT}/output/html",
            "--thresholds", json.dumps(drift_thresholds_arguments(env), sort_keys=True),
            "--environment", env.name,
            "--model", model,
            "--region", env.region,
            "--window-end", window_end,
            "--window-hours", window_hours,
            "--baseline-uri", get(f"Parameters.{BASELINE_URI}"),
            "--capture-prefix", get(f"Parameters.{CAPTURE_PREFIX}"),
            "--execution-arn", get("Execution.PipelineExecutionArn"),
            "--endpoint", names.endpoint(model),
        ],
    )  # fmt: skip
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": WINDOW_HOURS, "Type": "Integer", "DefaultValue": env.drift.window_hours},
            {"Name": BASELINE_URI, "Type": "String", "DefaultValue": default_baseline_uri(env, model)},
            {"Name": CAPTURE_PREFIX, "Type": "String", "DefaultValue": names.data_capture_prefix(model)},
        ],
        "PipelineExperimentConfig": None,
        "Steps": [shards, merge],
    }
