"""Send requests to an environment's endpoint, and say what it serves.

`invoke_endpoint_with_file` reads a request file (CSV: one request per non-empty line; JSON: the
document as one request), sends each through `sagemaker-runtime` InvokeEndpoint and returns the
responses. `endpoint_status` reads the endpoint, its configuration and model.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput

CONTENT_TYPES = ("text/csv", "application/json")


@dataclass(frozen=True)
class Invocation:
    """One request and the endpoint's answer (decoded JSON when it is JSON, else text)."""

    request: str
    content_type: str
    variant: str
    response: Any
    inference_id: str = ""  # what data capture records: the key of the request's labels

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "variant": self.variant,
            "response": self.response,
            "inference_id": self.inference_id,
        }


@dataclass(frozen=True)
class EndpointStatus:
    endpoint: str
    status: str
    config_name: str
    version: int | None  # None: the bootstrap model or a configuration promotion did not create
    model_name: str
    model_data_url: str
    pending_config: str | None
    failure_reason: str
    data_capture: str  # "off" or "<percent>% to <s3 uri>"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _pick_model(env: Environment, model: str | None) -> str:
    if model is None:
        if len(env.models) != 1:
            raise BadInput(
                f"{env.name} serves {len(env.models)} models; name one of {', '.join(env.models)}",
                argument="model",
            )
        return env.models[0]
    if model not in env.models:
        raise BadInput(
            f"{model!r} is not a model of {env.name} (models: {', '.join(env.models)})", argument="model"
        )
    return model


def request_bodies(path: Path, content_type: str) -> list[str]:
    """The requests a file holds: each non-empty CSV line, or the whole JSON document."""
    if content_type not in CONTENT_TYPES:
        raise BadInput(f"{content_type!r} is not one of {', '.join(CONTENT_TYPES)}", argument="content_type")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}", argument="data") from None
    if content_type == "application/json":
        try:
            json.loads(text)
        except ValueError as exc:
            raise BadInput(f"{path} is not a JSON document: {exc}", argument="data") from None
        return [text]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadInput(f"{path} holds no CSV rows", argument="data")
    return lines


def invoke_endpoint_with_file(
    env: Environment, path: Path, *, model: str | None = None, content_type: str = "text/csv"
) -> list[Invocation]:
    """Send every request in `path` to `env`'s endpoint of `model`; the answers in order."""
    from mlops_kit.aws import clients_for

    bodies = request_bodies(path, content_type)
    endpoint = ResourceNames(env).endpoint(_pick_model(env, model))
    clients = clients_for(env)
    runtime = clients.client("sagemaker-runtime")
    results = []
    for body in bodies:
        inference_id = uuid.uuid4().hex
        answer = clients.call(
            f"invoke endpoint {endpoint}",
            runtime.invoke_endpoint,
            EndpointName=endpoint,
            ContentType=content_type,
            Accept="application/json",
            Body=body.encode(),
            InferenceId=inference_id,
        )
        raw = answer["Body"].read().decode("utf-8", errors="replace")
        try:
            response: Any = json.loads(raw)
        except ValueError:
            response = raw
        results.append(
            Invocation(
                body, content_type, str(answer.get("InvokedProductionVariant", "")), response, inference_id
            )
        )
    return results


def endpoint_status(env: Environment, model: str | None = None) -> EndpointStatus:
    """What `env`'s endpoint of `model` serves: configuration, promoted version, model data, status."""
    from mlops_kit.aws import clients_for
    from mlops_kit.serving.state import version_of_config

    name = _pick_model(env, model)
    endpoint = ResourceNames(env).endpoint(name)
    clients = clients_for(env)
    sagemaker = clients.client("sagemaker")
    described = clients.call(
        f"describe endpoint {endpoint}", sagemaker.describe_endpoint, EndpointName=endpoint
    )
    config_name = described["EndpointConfigName"]
    config = clients.call(
        f"describe endpoint configuration {config_name}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=config_name,
    )
    model_name = config["ProductionVariants"][0]["ModelName"]
    model_description = clients.call(
        f"describe model {model_name}", sagemaker.describe_model, ModelName=model_name
    )
    capture = config.get("DataCaptureConfig") or {}
    return EndpointStatus(
        endpoint=endpoint,
        status=described["EndpointStatus"],
        config_name=config_name,
        version=version_of_config(env, name, config_name),
        model_name=model_name,
        model_data_url=str((model_description.get("PrimaryContainer") or {}).get("ModelDataUrl", "")),
        pending_config=(described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName"),
        failure_reason=described.get("FailureReason") or "",
        data_capture=(
            f"{capture.get('InitialSamplingPercentage', 0)}% to {capture.get('DestinationS3Uri', '')}"
            if capture.get("EnableCapture")
            else "off"
        ),
    )
