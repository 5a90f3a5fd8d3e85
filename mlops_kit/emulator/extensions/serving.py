"""Real-time inference: `InvokeEndpoint` runs the endpoint's own model, and data capture is written.

moto 5.2.5's InvokeEndpoint returns canned data. Here it resolves what the endpoint serves (its
current endpoint configuration, a production variant by weight or `TargetVariant`, that variant's
model and its `ModelDataUrl` in this emulator's S3) and forwards the request to a local model host
(`mlops_kit.serving.model_host`) that speaks the SageMaker serving contract and runs the model's
`code/inference.py`. A host failure reaches the caller as SageMaker's `ModelError` (HTTP 424). When
the endpoint configuration enables data capture, sampled requests are written to its destination
in SageMaker's JSON-lines format, in the endpoint's account. Like SageMaker, records go into files
that stay open for a while (a minute here; SageMaker's are a few minutes): a drift check then reads a
few objects rather than one per request.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

CAPTURE_FILE_SECONDS = 60.0


@dataclass
class _CaptureFile:
    bucket: str
    key: str
    opened: datetime
    body: bytearray = field(default_factory=bytearray)


# The open capture file of each (account, endpoint, variant).
_capture_files: dict[tuple[str, str, str], _CaptureFile] = {}
_capture_lock = threading.Lock()

# What SageMaker lets a caller invoke: an endpoint keeps serving its current configuration while
# an update rolls out.
_INVOKABLE_STATUSES = ("InService", "Updating", "SystemUpdating", "RollingBack")


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[int, dict[str, str], str]:
    # moto takes the status from the headers' "status" (the tuple's first item is ignored).
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": str(status)}
    return status, headers, json.dumps({"__type": code, "message": message, **extra})


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _choose_variant(variants: list[dict[str, Any]], target: str | None) -> dict[str, Any] | None:
    if target:
        return next((v for v in variants if v.get("VariantName") == target), None)
    weights = [float(v.get("InitialVariantWeight", 1.0) or 0) for v in variants]
    if not variants:
        return None
    if sum(weights) <= 0:
        return variants[0]
    return random.choices(variants, weights=weights)[0]


def _write_capture(
    account_id: str,
    endpoint: str,
    variant: str,
    capture_config: dict[str, Any] | None,
    request: tuple[str, bytes],
    response: tuple[str, bytes],
    inference_id: str | None,
) -> None:
    from moto.s3.models import s3_backends

    from mlops_kit.serving.data_capture import (
        CapturedPayload,
        CaptureSettings,
        capture_location,
        capture_record,
    )

    settings = CaptureSettings.from_config(capture_config)
    if not settings.samples(random.random()):
        return
    now = datetime.now(UTC)
    line = capture_record(
        settings,
        CapturedPayload(*request),
        CapturedPayload(*response),
        now,
        inference_id=inference_id,
    )
    s3 = s3_backends[account_id]["aws"]
    with _capture_lock:
        slot = (account_id, endpoint, variant)
        current = _capture_files.get(slot)
        bucket, key = capture_location(settings, endpoint, variant, now)
        if current is None or not _still_open(s3, current, bucket, now):
            current = _capture_files[slot] = _CaptureFile(bucket, key, now)
        current.body += (line + "\n").encode()
        try:
            s3.put_object(current.bucket, current.key, bytes(current.body))
        except Exception:
            # SageMaker drops capture it cannot write; the invocation itself has succeeded.
            logger.exception("data capture of %s to s3://%s/%s failed", endpoint, current.bucket, current.key)
            _capture_files.pop(slot, None)


def _still_open(s3: Any, current: _CaptureFile, bucket: str, now: datetime) -> bool:
    """A capture file takes more records for a minute, within its hour folder, while the object is
    still the one written (an emulator reset or a deleted object starts a new file)."""
    if current.bucket != bucket or now.strftime("%Y%m%d%H") != current.opened.strftime("%Y%m%d%H"):
        return False
    if (now - current.opened).total_seconds() >= CAPTURE_FILE_SECONDS:
        return False
    try:
        stored = s3.get_object(current.bucket, current.key)
    except Exception:
        return False
    return stored is not None and int(stored.size) == len(current.body)


def _invoke(response: Any) -> tuple[int, dict[str, str], str | bytes]:
    from moto.s3.models import s3_backends
    from moto.sagemaker.models import sagemaker_backends

    from mlops_kit.emulator.server import state_dir
    from mlops_kit.errors import KitError
    from mlops_kit.serving.model_host import HostKey, model_hosts

    account_id, region = response.current_account, response.region
    name = urllib.parse.unquote(response.path.split("/")[2])
    backend = sagemaker_backends[account_id][region]
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        return _error(400, "ValidationError", f"Endpoint {name} of account {account_id} not found.")
    if endpoint.endpoint_status not in _INVOKABLE_STATUSES:
        return _error(
            400, "ValidationError", f"Endpoint {name} is {endpoint.endpoint_status}: it cannot be invoked."
        )
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    headers = response.headers
    target = headers.get("X-Amzn-SageMaker-Target-Variant")
    variant = _choose_variant(list(config.production_variants) if config else [], target)
    if variant is None:
        return _error(400, "ValidationError", f"Variant {target} not found for endpoint {name}.")
    variant_name = str(variant.get("VariantName"))
    log_stream = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/sagemaker/Endpoints/{name}"
    model = backend._models.get(str(variant.get("ModelName")))
    if model is None:
        return _error(
            424,
            "ModelError",
            f"the model {variant.get('ModelName')} of variant {variant_name} does not exist",
            OriginalStatusCode=500,
            LogStreamArn=log_stream,
        )
    container = model.primary_container or (model.containers or [{}])[0]
    model_data_url = container.get("ModelDataUrl")
    if not model_data_url:
        return _error(
            424,
            "ModelError",
            f"the model of variant {variant_name} has no ModelDataUrl to serve",
            OriginalStatusCode=500,
            LogStreamArn=log_stream,
        )
    bucket, key = _split_s3_uri(model_data_url)
    try:
        artifact = s3_backends[account_id]["aws"].get_object(bucket, key)
    except Exception as exc:  # moto raises its own S3 errors (no such bucket, no such key)
        artifact, reason = None, str(exc) or type(exc).__name__
    else:
        reason = "no such key"
    if artifact is None:
        return _error(
            424,
            "ModelError",
            f"cannot read the model data {model_data_url}: {reason}",
            OriginalStatusCode=500,
            LogStreamArn=log_stream,
        )
    host_key = HostKey(account_id, name, model.model_name, model_data_url, str(artifact.etag))
    content_type = headers.get("Content-Type") or "application/octet-stream"
    accept = headers.get("Accept") or "application/json"
    body: bytes = response.raw_body or b""
    if isinstance(body, str):
        body = body.encode()
    try:
        host = model_hosts(state_dir() / "model-hosts").host(
            host_key, artifact.value, dict(container.get("Environment") or {})
        )
        answer = host.invoke(body, content_type, accept)
    except KitError as exc:
        return _error(424, "ModelError", str(exc), OriginalStatusCode=500, LogStreamArn=log_stream)
    if not 200 <= answer.status < 300:
        original = answer.body.decode(errors="replace")
        kind = "client" if answer.status < 500 else "server"
        message = (
            f'Received {kind} error ({answer.status}) from {variant_name} with message "{original}". '
            f"See {log_stream} in account {account_id} for more information."
        )
        return _error(
            424,
            "ModelError",
            message,
            OriginalStatusCode=answer.status,
            OriginalMessage=original,
            LogStreamArn=log_stream,
        )
    response_type = answer.content_type or accept
    _write_capture(
        account_id,
        name,
        variant_name,
        config.data_capture_config if config else None,
        (content_type, body),
        (response_type, answer.body),
        headers.get("X-Amzn-SageMaker-Inference-Id"),
    )
    result_headers = {"Content-Type": response_type, "x-Amzn-Invoked-Production-Variant": variant_name}
    custom = headers.get("X-Amzn-SageMaker-Custom-Attributes")
    if custom:
        result_headers["X-Amzn-SageMaker-Custom-Attributes"] = custom
    return 200, result_headers, answer.body


def _invoke_endpoint_runs_the_model() -> None:
    """moto's InvokeEndpoint answers canned data without looking at the endpoint."""
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    def invoke_endpoint(self: Any) -> tuple[int, dict[str, str], str | bytes]:
        return _invoke(self)

    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint  # type: ignore[method-assign,assignment]


def install() -> None:
    """Apply this module's patches."""
    _invoke_endpoint_runs_the_model()
