"""The SageMaker Python SDK, used offline to build pipeline definitions: no network call, no process
state left behind.

What can be passed is passed: the session gets its region, placeholder credentials (the SDK builds
clients it never calls) and its default bucket. What the SDK reads only from the environment is set
for the duration of the build and restored after it: the region when its workflow modules are
imported, `SAGEMAKER_VALIDATE_ROLE`, and credentials for the default session a step builds inside the
SDK (`ProcessingStep` makes a `LocalSagemakerClient` to read a method name), which would otherwise
look for instance credentials on the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def offline_sdk(region: str) -> Iterator[None]:
    """Inside the block the SDK imports and builds offline for `region`; afterwards the process
    environment is as it was."""
    wanted = {"SAGEMAKER_VALIDATE_ROLE": "false"}
    defaults = {
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
    }
    wanted.update({name: value for name, value in defaults.items() if not os.environ.get(name)})
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        with _validated_once():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def offline_session(region: str, bucket: str) -> Any:
    """A `PipelineSession` for `region` whose default bucket is `bucket` (the platform's, which exists)."""
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    sdk_config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = PipelineSession(
        boto_session=boto3.session.Session(
            region_name=region, aws_access_key_id="offline", aws_secret_access_key="offline"
        ),
        default_bucket=bucket,
        sagemaker_config=sdk_config,
    )
    # default_bucket() would otherwise call S3 to create the bucket.
    session._default_bucket = bucket
    return session


@contextmanager
def _validated_once() -> Iterator[None]:
    """Validate the SDK config against its JSON schema with one compiled validator.

    The SDK calls `jsonschema.validate(config, schema)` on every config lookup (dozens per build), and
    each call first re-checks the large schema itself: ~0.5 s a time, 90% of the build. Validation
    still happens, with the schema checked once.
    """
    import jsonschema
    from sagemaker.core.config import config_manager
    from sagemaker.core.config.config_schema import SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA
    from sagemaker.core.helper import session_helper

    validator_class = jsonschema.validators.validator_for(SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA)
    validator = validator_class(SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA)

    def validate(sagemaker_config: dict[str, Any] | None = None) -> None:
        validator.validate(sagemaker_config)

    saved = (
        config_manager.SageMakerConfig.__dict__["validate_sagemaker_config"],
        session_helper.validate_sagemaker_config,
    )
    config_manager.SageMakerConfig.validate_sagemaker_config = staticmethod(validate)  # type: ignore[assignment]
    session_helper.validate_sagemaker_config = validate
    try:
        yield
    finally:
        config_manager.SageMakerConfig.validate_sagemaker_config = saved[0]  # type: ignore[assignment]
        session_helper.validate_sagemaker_config = saved[1]
