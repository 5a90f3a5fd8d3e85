"""Prediction drift of an environment's endpoint: per variant in the capture window, the answers of
the version it serves against that version's recorded validation predictions (the
`validation_predictions.csv` its training wrote into the artifact; `mlops_kit.drift.predictions`).

A variant is compared only when the endpoint serves it now (its model, hence its artifact, is
known) and the artifact recorded predictions; otherwise the result says why not. The artifact is
read as a stream, up to the predictions file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.drift import DriftThresholds, ObjectStore, TimeWindow
from mlops_kit.drift.predictions import (
    PREDICTIONS_FILE,
    VariantPredictions,
    compare_variant,
    member_of_archive,
)
from mlops_kit.s3_uri import split_s3_uri
from mlops_kit.serving.state import version_of_config

_VARIANT_IN_KEY = re.compile(r"^(?P<variant>[^/]+)/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+$")


def capture_keys_by_variant(keys: Iterable[str], capture_prefix: str, endpoint: str) -> dict[str, list[str]]:
    """The endpoint's capture keys grouped by the variant folder SageMaker writes them under
    (`<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>`); other keys are left out."""
    folder = f"{capture_prefix.rstrip('/')}/{endpoint}/"
    grouped: dict[str, list[str]] = {}
    for key in keys:
        if key.startswith(folder) and (match := _VARIANT_IN_KEY.match(key[len(folder) :])):
            grouped.setdefault(match.group("variant"), []).append(key)
    return {variant: sorted(found) for variant, found in sorted(grouped.items())}


def served_models(clients: AwsClients, env: Environment, model: str) -> dict[str, str]:
    """Variant name -> SageMaker model name of what the endpoint serves now (shadows included)."""
    sagemaker = clients.client("sagemaker")
    endpoint = ResourceNames(env).endpoint(model)
    described = clients.call(
        f"describe endpoint {endpoint}", sagemaker.describe_endpoint, EndpointName=endpoint
    )
    config = clients.call(
        f"describe endpoint configuration {described['EndpointConfigName']}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=described["EndpointConfigName"],
    )
    variants = [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]
    return {v["VariantName"]: v["ModelName"] for v in variants}


def recorded_predictions(clients: AwsClients, model_name: str) -> bytes | None:
    """The validation predictions inside the artifact of SageMaker model `model_name`; None when
    the artifact recorded none (trained before they were recorded, or the bootstrap model)."""
    sagemaker = clients.client("sagemaker")
    described = clients.call(f"describe model {model_name}", sagemaker.describe_model, ModelName=model_name)
    url = (described.get("PrimaryContainer") or {}).get("ModelDataUrl")
    if not url:
        return None
    bucket, key = split_s3_uri(url)
    s3 = clients.client("s3")
    body = clients.call(f"read {url}", s3.get_object, Bucket=bucket, Key=key)["Body"]
    return member_of_archive(body, PREDICTIONS_FILE)


def check_prediction_drift(
    clients: AwsClients,
    env: Environment,
    model: str,
    store: ObjectStore,
    keys: list[str],
    window: TimeWindow,
    thresholds: DriftThresholds,
) -> list[VariantPredictions]:
    """Prediction drift of each variant with capture in the window."""
    names = ResourceNames(env)
    _, capture_prefix = split_s3_uri(names.data_capture_prefix(model) + "/")
    by_variant = capture_keys_by_variant(keys, capture_prefix, names.endpoint(model))
    if not by_variant:
        return []
    served = served_models(clients, env, model)
    results = []
    for variant, variant_keys in by_variant.items():
        model_name = served.get(variant)
        if model_name is None:
            results.append(
                VariantPredictions(variant, unavailable="the endpoint no longer serves this variant")
            )
            continue
        version = version_of_config(env, model, model_name)
        lines = (line for key in variant_keys for line in store.read_bytes(key).splitlines())
        recorded = recorded_predictions(clients, model_name)
        results.append(compare_variant(variant, model_name, version, recorded, lines, window, thresholds))
    return results
