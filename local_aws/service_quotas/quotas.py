"""EC2 and SageMaker quotas for the twin. moto 5.2.5's Service Quotas knows only the VPC defaults and
has no ListServiceQuotas or RequestServiceQuotaIncrease.

Each emulated account and region starts from generous defaults (so a fresh platform passes
`kit preflight`). RequestServiceQuotaIncrease applies the desired value at once, up or down: the
twin's way for tests to set a quota (AWS would open a case and never lower one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from moto.servicequotas.responses import ServiceQuotasResponse

from local_aws.patching import wrap as _wrap

EC2_VCPU_QUOTAS = {
    "L-1216C47A": ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 1152.0),
    "L-DB2E81BA": ("Running On-Demand G and VT instances", 512.0),
    "L-417A185B": ("Running On-Demand P instances", 384.0),
    "L-3819A6DF": ("All G and VT Spot Instance Requests", 512.0),
    "L-7212CCBC": ("All P Spot Instance Requests", 384.0),
}
SAGEMAKER_TYPES = [
    f"ml.{family}.{size}"
    for family, sizes in {
        "m5": ["large", "xlarge", "2xlarge", "4xlarge"],
        "c5": ["large", "xlarge", "2xlarge", "4xlarge"],
        "g5": ["xlarge", "2xlarge", "4xlarge", "12xlarge", "48xlarge"],
        "g4dn": ["xlarge", "2xlarge", "12xlarge"],
        "p4d": ["24xlarge"],
        "p5": ["48xlarge"],
    }.items()
    for size in sizes
]
SAGEMAKER_USAGES = ("training job usage", "processing job usage", "endpoint usage")


def _quota(region: str, service: str, code: str, name: str, value: float) -> dict[str, Any]:
    return {
        "ServiceCode": service,
        "ServiceName": {"ec2": "Amazon Elastic Compute Cloud (Amazon EC2)", "sagemaker": "Amazon SageMaker"}[
            service
        ],
        "QuotaArn": f"arn:aws:servicequotas:{region}::{service}/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def default_quotas(region: str) -> dict[tuple[str, str], dict[str, Any]]:
    table = {
        ("ec2", code): _quota(region, "ec2", code, name, value)
        for code, (name, value) in EC2_VCPU_QUOTAS.items()
    }
    for instance_type in SAGEMAKER_TYPES:
        for usage in SAGEMAKER_USAGES:
            name = f"{instance_type} for {usage}"
            # AWS's SageMaker quota codes are opaque; the twin derives stable ones from the name.
            code = "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
            value = 8.0 if instance_type.split(".")[1][0] in "gp" else 20.0
            table[("sagemaker", code)] = _quota(region, "sagemaker", code, name, value)
    return table


def _table(response: Any) -> dict[tuple[str, str], dict[str, Any]]:
    backend = response.backend
    if not hasattr(backend, "kit_quotas"):
        backend.kit_quotas = default_quotas(response.region)
    return backend.kit_quotas  # type: ignore[no-any-return]


def list_service_quotas(self: Any) -> str:
    service = json.loads(self.body).get("ServiceCode")
    quotas = [q for (svc, _), q in sorted(_table(self).items()) if svc == service]
    return json.dumps({"Quotas": quotas})


def request_service_quota_increase(self: Any) -> str:
    params = json.loads(self.body)
    quota = _table(self).get((params["ServiceCode"], params["QuotaCode"]))
    if quota is None:
        from moto.servicequotas.exceptions import NoSuchResource

        raise NoSuchResource
    quota["Value"] = float(params["DesiredValue"])
    requested = {
        "Id": hashlib.sha256(json.dumps(params).encode()).hexdigest()[:32],
        "ServiceCode": quota["ServiceCode"],
        "QuotaCode": quota["QuotaCode"],
        "QuotaName": quota["QuotaName"],
        "DesiredValue": quota["Value"],
        "Status": "APPROVED",
        "QuotaArn": quota["QuotaArn"],
    }
    return json.dumps({"RequestedQuota": requested})


def _get_service_quota() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_service_quota(self: Any) -> str:
            params = json.loads(self.body)
            quota = _table(self).get((params.get("ServiceCode"), params.get("QuotaCode")))
            return json.dumps({"Quota": quota}) if quota is not None else original(self)  # type: ignore[no-any-return]

        return get_service_quota

    _wrap(ServiceQuotasResponse, "get_service_quota", make)


def install() -> None:
    """Apply this module's patches."""
    _get_service_quota()
    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]
    ServiceQuotasResponse.request_service_quota_increase = request_service_quota_increase  # type: ignore[attr-defined]
