"""The drift pipeline as the kit runs it: the definition (`pipelines.drift_definition`, plain JSON)
against a deployed platform, with the code it needs uploaded first (content-addressed)."""

from __future__ import annotations

import json

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput
from mlops_kit.pipeline.bundle import BuiltPipeline, CodeBundle, Upload
from mlops_kit.pipeline.code_objects import code_content_type
from mlops_kit.pipeline.platform import PlatformFacts
from pipelines.drift_definition import drift_code_objects, drift_code_prefix, drift_pipeline_definition


def drift_code_bundle(bucket: str, model: str) -> CodeBundle:
    """The drift step scripts and the engine as source, under their content-hash prefix."""
    objects = drift_code_objects()
    prefix = drift_code_prefix(model, objects)
    return CodeBundle(
        bucket=bucket,
        prefix=prefix,
        uploads=tuple(
            Upload(f"{prefix}/{name}", body, code_content_type(name))
            for name, body in sorted(objects.items())
        ),
    )


def build_drift_pipeline(
    env: Environment, platform: PlatformFacts, model: str | None = None
) -> BuiltPipeline:
    """The drift pipeline of `model` (default: the environment's first) in `env`. Pure and offline."""
    model = model or env.models[0]
    if model not in env.models:
        raise BadInput(f"--model: {env.name} has no model '{model}' (it has {', '.join(env.models)})")
    code = drift_code_bundle(platform.artifact_bucket, model)
    definition = drift_pipeline_definition(env, platform, model, code.prefix)
    return BuiltPipeline(
        name=ResourceNames(env).drift_pipeline(model),
        model=model,
        definition=json.dumps(definition, sort_keys=True),
        role_arn=platform.pipeline_role_arn,
        code=code,
    )
