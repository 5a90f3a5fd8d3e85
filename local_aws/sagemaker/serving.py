"""Real-time inference: `InvokeEndpoint` runs the endpoint's own model, and data capture is written.

moto 5.2.5's InvokeEndpoint returns canned data. Here it resolves what the endpoint serves (its
current endpoint configuration, or during a blue/green update the fleet the traffic shift routes
the request to; a production variant by weight or `TargetVariant`; that variant's model and its
`ModelDataUrl` in this emulator's S3) and forwards the request to a local model host
(`local_aws.sagemaker.model_host`) that speaks the SageMaker serving contract and runs the model's
`code/inference.py`. A host failure reaches the caller as SageMaker's `ModelError` (HTTP 424). When
the endpoint configuration enables data capture, sampled requests are written to its destination
in SageMaker's JSON-lines format, in the endpoint's account. Like SageMaker, records go into files
that stay open for a while (a minute here; SageMaker's are a few minutes): a drift check then reads a
few objects rather than one per request. Every invocation a variant answers publishes SageMaker's
AWS/SageMaker metrics for that variant (`invocation_metrics.py`).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_kit import clock
from mlops_kit.s3_uri import split_s3_uri

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

    from local_aws.sagemaker.data_capture import (
        CapturedPayload,
        CaptureSettings,
        capture_location,
        capture_record,
    )

    settings = CaptureSettings.from_config(capture_config)
    if not settings.samples(random.random()):
        return
    now = clock.now()
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


def _model_error(
    message: str, log_stream: str, status: int = 500, **extra: Any
) -> tuple[int, dict[str, str], str]:
    return _error(424, "ModelError", message, OriginalStatusCode=status, LogStreamArn=log_stream, **extra)


@dataclass(frozen=True)
class _VariantModel:
    """What one production variant runs: its host's key, the model data and the container's env."""

    key: Any  # HostKey
    archive: bytes
    environment: dict[str, str]


def _variant_model(
    account_id: str, region: str, endpoint: str, variant: dict[str, Any]
) -> _VariantModel | str:
    """The model a variant serves, read from this emulator's SageMaker and S3; else why not."""
    from moto.s3.models import s3_backends
    from moto.sagemaker.models import sagemaker_backends

    from local_aws.sagemaker.model_host import HostKey

    model = sagemaker_backends[account_id][region]._models.get(str(variant.get("ModelName")))
    if model is None:
        return f"the model {variant.get('ModelName')} of variant {variant.get('VariantName')} does not exist"
    container = model.primary_container or (model.containers or [{}])[0]
    model_data_url = container.get("ModelDataUrl")
    if not model_data_url:
        return f"the model of variant {variant.get('VariantName')} has no ModelDataUrl to serve"
    bucket, key = split_s3_uri(model_data_url)
    try:
        artifact = s3_backends[account_id]["aws"].get_object(bucket, key)
    except Exception as exc:  # moto raises its own S3 errors (no such bucket, no such key)
        artifact, reason = None, str(exc) or type(exc).__name__
    else:
        reason = "no such key"
    if artifact is None:
        return f"cannot read the model data {model_data_url}: {reason}"
    host_key = HostKey(account_id, endpoint, model.model_name, model_data_url, str(artifact.etag))
    return _VariantModel(host_key, artifact.value, dict(container.get("Environment") or {}))


def _hosts() -> Any:
    from local_aws.sagemaker.model_host import model_hosts
    from local_aws.server import state_dir

    return model_hosts(state_dir() / "model-hosts")


def provision_fleet(account_id: str, region: str, endpoint: str, config: Any) -> None:
    """Start the hosts of every variant of `config` (a blue/green update's green fleet) ahead of its
    requests. Best effort: a model that cannot start fails its requests, and its metrics show it."""
    for variant in config.production_variants or []:
        resolved = _variant_model(account_id, region, endpoint, variant)
        if isinstance(resolved, str):
            continue
        try:
            _hosts().host(resolved.key, resolved.archive, resolved.environment)
        except Exception:  # runs in a thread of its own; the requests report the failure
            logger.warning("the green fleet of %s did not start: %s", endpoint, resolved.key.model_name)


def retire_fleets(account_id: str, region: str, endpoint: str, serving_config: str) -> None:
    """Stop the endpoint's hosts of models `serving_config` does not serve (the fleet that lost)."""
    from moto.sagemaker.models import sagemaker_backends

    config = sagemaker_backends[account_id][region].endpoint_configs.get(serving_config)
    keep = {str(v.get("ModelName")) for v in (config.production_variants if config else [])}
    _hosts().retire(account_id, endpoint, keep)


def _served_config(backend: Any, endpoint: Any) -> Any:
    """The configuration that answers this request: during a blue/green update, the fleet the
    traffic shift routes it to; otherwise what the endpoint serves."""
    name = endpoint.endpoint_config_name
    traffic = getattr(endpoint, "kit_traffic", None)
    if traffic is not None:
        routed = traffic.next_config()
        if routed in backend.endpoint_configs:
            name = routed
    return backend.endpoint_configs.get(name)


def _invoke(response: Any) -> tuple[int, dict[str, str], str | bytes]:
    from moto.sagemaker.models import sagemaker_backends

    from mlops_kit.errors import KitError

    started = time.perf_counter()
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
    config = _served_config(backend, endpoint)
    headers = response.headers
    target = headers.get("X-Amzn-SageMaker-Target-Variant")
    variant = _choose_variant(list(config.production_variants) if config else [], target)
    if variant is None:
        return _error(400, "ValidationError", f"Variant {target} not found for endpoint {name}.")
    variant_name = str(variant.get("VariantName"))
    log_stream = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/sagemaker/Endpoints/{name}"

    def publish(status: int, model_seconds: float | None = None, provisioning: float = 0.0) -> None:
        from local_aws.sagemaker.invocation_metrics import record_invocation

        overhead = time.perf_counter() - started - (model_seconds or 0.0) - provisioning
        record_invocation(
            account_id,
            region,
            name,
            variant_name,
            status=status,
            model_latency_us=None if model_seconds is None else int(model_seconds * 1e6),
            overhead_latency_us=int(overhead * 1e6),
            instances=int(variant.get("InitialInstanceCount") or 1),
        )

    resolved = _variant_model(account_id, region, name, variant)
    if isinstance(resolved, str):
        publish(500)
        return _model_error(resolved, log_stream)
    content_type = headers.get("Content-Type") or "application/octet-stream"
    accept = headers.get("Accept") or "application/json"
    body: bytes = response.raw_body or b""
    if isinstance(body, str):
        body = body.encode()
    before_host = time.perf_counter()
    try:
        host = _hosts().host(resolved.key, resolved.archive, resolved.environment)
        # A cold start is the fleet's provisioning, not the request's latency.
        provisioning = time.perf_counter() - before_host
        answer = host.invoke(body, content_type, accept)
    except KitError as exc:
        publish(500, provisioning=time.perf_counter() - before_host)
        return _model_error(str(exc), log_stream)
    model_seconds = time.perf_counter() - before_host - provisioning
    if not 200 <= answer.status < 300:
        publish(answer.status, model_seconds, provisioning)
        original = answer.body.decode(errors="replace")
        kind = "client" if answer.status < 500 else "server"
        message = (
            f'Received {kind} error ({answer.status}) from {variant_name} with message "{original}". '
            f"See {log_stream} in account {account_id} for more information."
        )
        return _model_error(message, log_stream, answer.status, OriginalMessage=original)
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
    publish(answer.status, model_seconds, provisioning)
    if config is not None:
        from local_aws.sagemaker.shadow import mirror

        weight = float(variant.get("InitialVariantWeight", 1.0) or 1.0)
        mirror(account_id, region, name, config, weight, (content_type, body, accept), _write_capture)
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


def _deleted_endpoints_stop_their_hosts() -> None:
    """A deleted endpoint's fleets go away: its model hosts stop."""
    from moto.sagemaker.models import SageMakerModelBackend

    from local_aws.patching import wrap

    def make(original: Any) -> Any:
        def delete_endpoint(self: Any, endpoint_name: str) -> None:
            original(self, endpoint_name)
            _hosts().retire(self.account_id, endpoint_name, set())

        return delete_endpoint

    wrap(SageMakerModelBackend, "delete_endpoint", make)


def install() -> None:
    """Apply this module's patches."""
    _invoke_endpoint_runs_the_model()
    _deleted_endpoints_stop_their_hosts()
