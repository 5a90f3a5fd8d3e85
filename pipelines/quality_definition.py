"""The quality pipeline's definition as plain JSON (like `pipelines.drift_definition`): one step,
QualityCheck, that joins every uploaded label of the model with the endpoint's capture in the
window (ending at the execution's start), writes `<UTC time>.json` under the quality report prefix
and publishes accuracy and AUC per variant. Labels and capture are read by the step itself (an
empty labels prefix is not an error: the step reports that nothing was labelled yet).

Parameters: `WindowHours` (the schedule passes the environment's drift window).
"""

from __future__ import annotations

import hashlib
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from pipelines.drift_definition import SCRIPTS_DIR, drift_code_objects, source_file
from pipelines.processing_steps import (
    PROCESSING_ROOT,
    JobPlatform,
    get,
    join,
    processing_input,
    processing_output,
    processing_step,
)

PIPELINE_KIND = "quality"
STEP = "QualityCheck"
WINDOW_HOURS = "WindowHours"
SCRIPT = "quality_check.py"


def quality_code_objects() -> dict[str, bytes]:
    """The step script and `lib/mlops_kit/` (errors, the drift engine's capture reading, quality)."""
    objects = {name: body for name, body in drift_code_objects().items() if name.startswith("lib/")}
    objects[SCRIPT] = (SCRIPTS_DIR / SCRIPT).read_bytes()
    package = source_file("mlops_kit.quality").parent
    for module in sorted(package.glob("*.py")):
        objects[f"lib/mlops_kit/quality/{module.name}"] = module.read_bytes()
    return objects


def quality_code_prefix(model: str, objects: dict[str, bytes]) -> str:
    """`code/<model>-quality/<hash>`: changes exactly when one of the objects does."""
    digest = hashlib.sha256()
    for name in sorted(objects):
        digest.update(name.encode() + b"\0" + hashlib.sha256(objects[name]).digest())
    return f"code/{model}-{PIPELINE_KIND}/{digest.hexdigest()[:16]}"


def quality_pipeline_definition(
    env: Environment, platform: JobPlatform, model: str, code_prefix: str
) -> dict[str, Any]:
    """The pipeline definition document, with the code under `s3://<bucket>/<code_prefix>/`."""
    names = ResourceNames(env)
    code = f"s3://{platform.artifact_bucket}/{code_prefix}"
    report_prefix = names.quality_report_prefix(model)
    step = processing_step(
        STEP,
        env,
        platform,
        script=f"{code}/{SCRIPT}",
        instance_count=1,
        inputs=[processing_input("lib", f"{code}/lib/", "lib")],
        outputs=[processing_output("report", report_prefix)],
        arguments=[
            "--lib-dir", f"{PROCESSING_ROOT}/input/lib",
            "--report-dir", f"{PROCESSING_ROOT}/output/report",
            "--labels-prefix", names.labels_prefix(model),
            "--capture-prefix", names.data_capture_prefix(model),
            "--endpoint", names.endpoint(model),
            "--environment", env.name,
            "--model", model,
            "--region", env.region,
            "--window-end", get("Execution.StartDateTime"),
            "--window-hours", join("", get(f"Parameters.{WINDOW_HOURS}")),
        ],
    )  # fmt: skip
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [{"Name": WINDOW_HOURS, "Type": "Integer", "DefaultValue": env.drift.window_hours}],
        "PipelineExperimentConfig": None,
        "Steps": [step],
    }
