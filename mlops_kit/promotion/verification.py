"""Verified deploys: read back what an endpoint serves and compare it with what was intended.

A deployment tool can record an update as a success while SageMaker rolled it back
(terraform-provider-aws #48997), and anyone with the permission can point an endpoint elsewhere.
`verify_endpoint` reads what AWS serves (endpoint status, configuration, variant weights and
instance counts, each variant's model data and image, the artifact's recorded sha256) and compares
it with the records of what should serve:

- the kit's: the last completed promotion or rollback in the audit log, and the registry, where
  that version must be Approved;
- Terraform's, for the parts the kit does not own and until the first promotion: the bootstrap
  configuration (`<endpoint>-bootstrap`), the instance type, the capacity range and data capture as
  the environment file declares them.

Each difference names what differs and what it means (a rollback behind the kit's back, a drifted
configuration). Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import KitError
from mlops_kit.promotion.audit import AuditEvent, read_events
from mlops_kit.registry.versions import APPROVED, ModelVersion, describe_version
from mlops_kit.s3_uri import split_s3_uri
from mlops_kit.serving.state import config_name, version_of_config

BOOTSTRAP_ARTIFACT_KEY = "bootstrap/model.tar.gz"  # stacks/serving.py BOOTSTRAP_KEY


@dataclass(frozen=True)
class Difference:
    """One way what serves differs from what was intended."""

    item: str
    intended: str
    actual: str
    meaning: str

    def __str__(self) -> str:
        return f"{self.item}: intended {self.intended}, serving {self.actual} ({self.meaning})"

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Verification:
    """What one endpoint serves against what its records say it should."""

    model: str
    env: str
    endpoint: str
    intended: str  # e.g. "v3 (promotion 2026-...#ab12cd34)" or "the bootstrap model (Terraform)"
    serving: dict[str, Any]
    differences: tuple[Difference, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "env": self.env,
            "endpoint": self.endpoint,
            "matches": self.matches,
            "intended": self.intended,
            "serving": self.serving,
            "differences": [d.as_dict() for d in self.differences],
        }


def _last_deployment(events: list[AuditEvent]) -> AuditEvent | None:
    """The last event that changed what serves: a completed promotion or rollback."""
    done = [
        e
        for e in events
        if (e.kind, e.outcome) in (("promotion", "promoted"), ("rollback", "rolled back"))
        and e.target_version_arn
    ]
    return done[-1] if done else None


def _read_serving(clients: AwsClients, endpoint: str) -> dict[str, Any]:
    """What AWS serves: the endpoint, its configuration, each variant's model and artifact sha256."""
    sagemaker, s3 = clients.client("sagemaker"), clients.client("s3")
    described = clients.call(
        f"describe endpoint {endpoint}", sagemaker.describe_endpoint, EndpointName=endpoint
    )
    config_name_ = described["EndpointConfigName"]
    config = clients.call(
        f"describe endpoint configuration {config_name_}",
        sagemaker.describe_endpoint_config,
        EndpointConfigName=config_name_,
    )
    live = {v.get("VariantName"): v for v in described.get("ProductionVariants") or []}
    variants = []
    for variant in config.get("ProductionVariants") or []:
        name = variant["VariantName"]
        model = clients.call(
            f"describe model {variant['ModelName']}", sagemaker.describe_model, ModelName=variant["ModelName"]
        )
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        data_url = str(container.get("ModelDataUrl", ""))
        sha256 = ""
        if data_url.startswith("s3://"):
            bucket, key = split_s3_uri(data_url)
            try:
                head = clients.call(f"read {data_url}", s3.head_object, Bucket=bucket, Key=key)
                sha256 = str(head.get("Metadata", {}).get("sha256", ""))
            except KitError:
                sha256 = "<unreadable>"
        running = live.get(name, {})
        variants.append(
            {
                "variant": name,
                "model": variant["ModelName"],
                "instance_type": variant.get("InstanceType", ""),
                "weight": float(running.get("CurrentWeight", variant.get("InitialVariantWeight", 1.0))),
                "instances": int(running.get("CurrentInstanceCount", variant.get("InitialInstanceCount", 0))),
                "model_data_url": data_url,
                "artifact_sha256": sha256,
                "image": str(container.get("Image", "")),
            }
        )
    capture = config.get("DataCaptureConfig") or {}
    return {
        "status": described["EndpointStatus"],
        "config": config_name_,
        "pending_config": (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName"),
        "failure_reason": described.get("FailureReason") or "",
        "variants": variants,
        "data_capture": {
            "enabled": bool(capture.get("EnableCapture")),
            "percent": int(capture.get("InitialSamplingPercentage", 0)),
            "destination": str(capture.get("DestinationS3Uri", "")),
        },
    }


def _served_label(env: Environment, model: str, config: str) -> str:
    version = version_of_config(env, model, config)
    if version is not None:
        return f"v{version} ({config})"
    return "the bootstrap model" + f" ({config})" if config.endswith("-bootstrap") else config


def _compare_release(
    env: Environment,
    model: str,
    serving: dict[str, Any],
    intended_config: str,
    version: ModelVersion | None,
    record: str,
) -> list[Difference]:
    """The configuration, and each variant's model data, image and artifact sha256."""
    found: list[Difference] = []
    actual = serving["config"]
    if actual != intended_config:
        actual_version = version_of_config(env, model, actual)
        intended_version = version.version if version else None
        reason = f" (SageMaker says: {serving['failure_reason']})" if serving["failure_reason"] else ""
        if actual_version is not None and (intended_version is None or actual_version < intended_version):
            meaning = f"a rollback that happened behind the kit's back{reason}; the kit's record: {record}"
        elif actual.endswith("-canary"):
            meaning = "a canary paused for a decision (kit promote --resume or --abort)"
        elif "-shadow-v" in actual:
            meaning = "a shadow test runs (kit shadow stop ends it)"
        elif actual_version is not None:
            meaning = f"an update the kit did not record{reason}; the kit's record: {record}"
        else:
            meaning = f"a configuration neither the kit nor Terraform created{reason}; record: {record}"
        found.append(
            Difference(
                "endpoint configuration",
                _served_label(env, model, intended_config),
                _served_label(env, model, actual),
                meaning,
            )
        )
        return found  # the rest follows from the configuration; it would only repeat the difference
    names = ResourceNames(env)
    intended_data = (
        version.artifact_uri if version else f"s3://{names.artifact_bucket}/{BOOTSTRAP_ARTIFACT_KEY}"
    )
    for variant in serving["variants"]:
        where = f"variant {variant['variant']}"
        if variant["model_data_url"] != intended_data:
            found.append(
                Difference(
                    f"{where} model data",
                    intended_data,
                    variant["model_data_url"],
                    "the model was changed in place",
                )
            )
        if version is None:
            continue
        if version.image and variant["image"] != version.image:
            found.append(
                Difference(f"{where} image", version.image, variant["image"], "the image was changed")
            )
        recorded = version.lineage.artifact_sha256
        if recorded and variant["artifact_sha256"] != recorded:
            found.append(
                Difference(
                    f"{where} artifact sha256",
                    recorded,
                    variant["artifact_sha256"] or "<none recorded on the object>",
                    "the artifact at the model data URL is not the version's",
                )
            )
    return found


def _compare_shape(env: Environment, serving: dict[str, Any]) -> list[Difference]:
    """Status, variants, weights, size and data capture against the environment file."""
    spec, found = env.serving, []
    if serving["status"] != "InService" or serving["pending_config"]:
        pending = f" toward {serving['pending_config']}" if serving["pending_config"] else ""
        found.append(
            Difference(
                "status", "InService", f"{serving['status']}{pending}", "a deployment is under way or failed"
            )
        )
    variants = serving["variants"]
    if len(variants) != 1:
        found.append(
            Difference(
                "variants",
                "1 variant",
                ", ".join(f"{v['variant']} ({v['weight']:g})" for v in variants),
                "more than the serving version takes traffic (a canary, shadow or A/B test left behind?)",
            )
        )
    for variant in variants:
        where = f"variant {variant['variant']}"
        # One variant takes all traffic whatever its weight, unless the weight is zero.
        if len(variants) == 1 and variant["weight"] <= 0:
            found.append(
                Difference(f"{where} weight", "1", f"{variant['weight']:g}", "the variant takes no traffic")
            )
        if variant["instance_type"] != spec.instance_type:
            found.append(
                Difference(
                    f"{where} instance type",
                    spec.instance_type,
                    variant["instance_type"],
                    "the size drifted from the environment file",
                )
            )
        low, high = spec.autoscaling.min_capacity, spec.autoscaling.max_capacity
        if not low <= variant["instances"] <= high:
            found.append(
                Difference(
                    f"{where} instances",
                    f"{low}..{high}",
                    str(variant["instances"]),
                    "outside the autoscaling range of the environment file",
                )
            )
    capture = serving["data_capture"]
    wanted = spec.data_capture_percent
    if capture["enabled"] != (wanted > 0) or (wanted > 0 and capture["percent"] != wanted):
        found.append(
            Difference(
                "data capture",
                f"{wanted}%" if wanted else "off",
                f"{capture['percent']}%" if capture["enabled"] else "off",
                "data capture drifted from the environment file (drift checks read it)",
            )
        )
    return found


def verify_endpoint(clients: AwsClients, env: Environment, model: str) -> Verification:
    """Compare what `model`'s endpoint in `env` serves with the kit's and Terraform's records."""
    endpoint = ResourceNames(env).endpoint(model)
    serving = _read_serving(clients, endpoint)
    last = _last_deployment(read_events(clients, env, model))
    found: list[Difference] = []
    version: ModelVersion | None = None
    if last is None:
        intended = "the bootstrap model (Terraform's record; nothing promoted yet)"
        intended_config = f"{endpoint}-bootstrap"
        record = "no promotion or rollback in the audit log"
    else:
        version = describe_version(clients, env, model, last.target_version_arn)
        intended = f"v{version.version} ({last.kind} {last.event_id} by {last.actor})"
        intended_config = config_name(env, model, version.version)
        record = f"{last.kind} to v{version.version} at {last.at}"
        if version.status != APPROVED:
            found.append(
                Difference(
                    "registry",
                    f"v{version.version} Approved",
                    f"v{version.version} {version.status}",
                    "the registry no longer approves the version the kit rolled out",
                )
            )
    found += _compare_release(env, model, serving, intended_config, version, record)
    found += _compare_shape(env, serving)
    return Verification(model, env.name, endpoint, intended, serving, tuple(found))


def verify_environment(
    env: Environment, model: str | None = None, *, clients: AwsClients | None = None
) -> list[Verification]:
    """Verify the endpoint of `model` (default: every model of `env`)."""
    from mlops_kit.aws import clients_for
    from mlops_kit.registry.versions import require_model

    if model is not None:
        require_model(env, model)
    clients = clients or clients_for(env, session_name="mlops-kit-verify")
    return [verify_endpoint(clients, env, name) for name in ([model] if model else env.models)]
