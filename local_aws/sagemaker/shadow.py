"""Shadow variants: an endpoint configuration's `ShadowProductionVariants` get a copy of live traffic.

moto 5.2.5 drops `ShadowProductionVariants`. Here a configuration keeps them (and describes them),
and when the endpoint serving it answers a request, a copy goes to each shadow variant in the share
SageMaker samples: the shadow's weight over the production variant's (capped at all requests),
counter-based so a test can count. The shadow's answer is captured (data capture under the shadow's
variant name) and its AWS/SageMaker metrics are published under that name; the caller only ever
gets the production variant's answer, and the copy is sent after it, on a thread of its own.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap

log = logging.getLogger(__name__)

# Requests seen and copies sent, per (account, endpoint, shadow variant).
_counters: dict[tuple[str, str, str], list[int]] = {}
_lock = threading.Lock()


def shadow_variants(config: Any) -> list[dict[str, Any]]:
    return list(getattr(config, "kit_shadow_variants", None) or [])


def _sampled(account_id: str, endpoint: str, variant: str, share: float) -> bool:
    with _lock:
        counter = _counters.setdefault((account_id, endpoint, variant), [0, 0])
        counter[0] += 1
        if math.floor(counter[0] * share + 1e-9) > counter[1]:
            counter[1] += 1
            return True
        return False


def mirror(
    account_id: str,
    region: str,
    endpoint: str,
    config: Any,
    production_weight: float,
    request: tuple[str, bytes, str],
    write_capture: Callable[..., None],
) -> None:
    """Send a copy of a request the production variant answered to the configuration's shadows."""
    for shadow in shadow_variants(config):
        weight = float(shadow.get("InitialVariantWeight", 1.0) or 0)
        share = min(1.0, weight / production_weight) if production_weight > 0 else 0.0
        name = str(shadow.get("VariantName"))
        if share > 0 and _sampled(account_id, endpoint, name, share):
            threading.Thread(
                target=_answer,
                args=(account_id, region, endpoint, config, shadow, request, write_capture),
                daemon=True,
            ).start()


def _answer(
    account_id: str,
    region: str,
    endpoint: str,
    config: Any,
    shadow: dict[str, Any],
    request: tuple[str, bytes, str],
    write_capture: Callable[..., None],
) -> None:
    from local_aws.sagemaker import serving
    from local_aws.sagemaker.invocation_metrics import record_invocation

    content_type, body, accept = request
    name = str(shadow.get("VariantName"))
    started = time.perf_counter()
    status, model_seconds, answer = 500, None, None
    try:
        resolved = serving._variant_model(account_id, region, endpoint, shadow)
        if not isinstance(resolved, str):
            host = serving._hosts().host(resolved.key, resolved.archive, resolved.environment)
            before = time.perf_counter()
            answer = host.invoke(body, content_type, accept)
            model_seconds = time.perf_counter() - before
            status = answer.status
    except Exception:  # the shadow's failure is counted, never returned
        log.info("shadow variant %s of %s failed a request", name, endpoint, exc_info=True)
    if answer is not None and 200 <= status < 300:
        write_capture(
            account_id,
            endpoint,
            name,
            config.data_capture_config,
            (content_type, body),
            (answer.content_type or accept, answer.body),
            None,
        )
    record_invocation(
        account_id,
        region,
        endpoint,
        name,
        status=status,
        model_latency_us=None if model_seconds is None else int(model_seconds * 1e6),
        overhead_latency_us=int((time.perf_counter() - started - (model_seconds or 0)) * 1e6),
        instances=int(shadow.get("InitialInstanceCount") or 1),
    )


def _configs_keep_shadow_variants() -> None:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def make_create(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_endpoint_config(self: Any) -> Any:
            result = original(self)
            shadows = self._get_param("ShadowProductionVariants") or []
            config = self.sagemaker_backend.endpoint_configs.get(self._get_param("EndpointConfigName"))
            if config is not None and shadows:
                config.kit_shadow_variants = shadows
            return result

        return create_endpoint_config

    def make_describe(original: Callable[..., Any]) -> Callable[..., Any]:
        def describe_endpoint_config(self: Any, endpoint_config_name: str) -> dict[str, Any]:
            described = dict(original(self, endpoint_config_name))
            shadows = shadow_variants(self.endpoint_configs.get(endpoint_config_name))
            if shadows:
                described["ShadowProductionVariants"] = shadows
            return described

        return describe_endpoint_config

    wrap(SageMakerResponse, "create_endpoint_config", make_create)
    wrap(SageMakerModelBackend, "describe_endpoint_config", make_describe)


def install() -> None:
    """Apply this module's patches."""
    _configs_keep_shadow_variants()
