"""Model package versions of one environment: list, find, register, approve or reject.

A version's metrics and lineage are its `CustomerMetadataProperties` (see `lineage.py`); its
artifact and image are its inference container.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.aws.concurrency import map_concurrently
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput, NotFound
from mlops_kit.registry.lineage import Lineage

APPROVED = "Approved"
PENDING = "PendingManualApproval"
REJECTED = "Rejected"


@dataclass(frozen=True)
class ModelVersion:
    """One model package version in one environment."""

    env: str
    model: str
    version: int
    arn: str
    status: str
    created: datetime | None
    lineage: Lineage
    artifact_uri: str
    image: str
    container_environment: dict[str, str]
    approval_description: str = ""

    @property
    def label(self) -> str:
        return f"{self.env} v{self.version}"

    @property
    def source_label(self) -> str:
        """Where this version came from: `dev v3` for a promoted copy, else `pipeline`."""
        if self.lineage.source_env and self.lineage.source_version_arn:
            return f"{self.lineage.source_env} v{version_number(self.lineage.source_version_arn)}"
        return "pipeline"

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "model": self.model,
            "version": self.version,
            "arn": self.arn,
            "status": self.status,
            "created": self.created.isoformat() if self.created else None,
            "metrics": self.lineage.metrics,
            "source": self.source_label,
            "artifact_uri": self.artifact_uri,
            "image": self.image,
            "approval_description": self.approval_description,
            "lineage": self.lineage.to_metadata(),
        }


def version_number(arn: str) -> int:
    """The version of a versioned model package ARN (`.../model-package/<group>/<n>`)."""
    try:
        return int(arn.rsplit("/", 1)[-1])
    except ValueError:
        return 0


def require_model(env: Environment, model: str) -> None:
    if model not in env.models:
        known = ", ".join(env.models)
        raise BadInput(f"MODEL: unknown model '{model}' in {env.name} (known: {known})")


def _version_from(env: Environment, model: str, package: dict[str, Any]) -> ModelVersion:
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or [{}]
    return ModelVersion(
        env=env.name,
        model=model,
        version=int(package.get("ModelPackageVersion") or version_number(package["ModelPackageArn"])),
        arn=package["ModelPackageArn"],
        status=package.get("ModelApprovalStatus") or PENDING,
        created=package.get("CreationTime"),
        lineage=Lineage.from_metadata(package.get("CustomerMetadataProperties") or {}),
        artifact_uri=containers[0].get("ModelDataUrl", ""),
        image=containers[0].get("Image", ""),
        container_environment=dict(containers[0].get("Environment") or {}),
        approval_description=package.get("ApprovalDescription") or "",
    )


def describe_version(clients: AwsClients, env: Environment, model: str, arn: str) -> ModelVersion:
    sagemaker = clients.client("sagemaker")
    package = clients.call(
        f"describe model package {arn}", sagemaker.describe_model_package, ModelPackageName=arn
    )
    return _version_from(env, model, package)


@dataclass(frozen=True)
class VersionSummary:
    """What listing a group says of a version, without its metadata (one call for all versions)."""

    version: int
    arn: str
    status: str
    description: str


def list_version_summaries(clients: AwsClients, env: Environment, model: str) -> list[VersionSummary]:
    """Every version of `model` in `env`, oldest first, as the listing gives it (no metadata)."""
    require_model(env, model)
    group = ResourceNames(env).model_package_group(model)
    sagemaker = clients.client("sagemaker")
    summaries: list[VersionSummary] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = clients.call(f"list versions of {group}", sagemaker.list_model_packages, **kwargs)
        summaries += [
            VersionSummary(
                version=int(p.get("ModelPackageVersion") or version_number(p["ModelPackageArn"])),
                arn=p["ModelPackageArn"],
                status=p.get("ModelApprovalStatus") or PENDING,
                description=p.get("ModelPackageDescription") or "",
            )
            for p in page.get("ModelPackageSummaryList", [])
        ]
        token = page.get("NextToken")
        if not token:
            break
    return sorted(summaries, key=lambda v: v.version)


def describe_versions(
    clients: AwsClients, env: Environment, model: str, arns: list[str]
) -> list[ModelVersion]:
    """The versions at `arns`, with metadata, oldest first (described concurrently)."""
    versions = map_concurrently(lambda arn: describe_version(clients, env, model, arn), arns)
    return sorted(versions, key=lambda v: v.version)


def list_versions(clients: AwsClients, env: Environment, model: str) -> list[ModelVersion]:
    """Every version of `model` in `env`, oldest first, with metadata."""
    summaries = list_version_summaries(clients, env, model)
    return describe_versions(clients, env, model, [s.arn for s in summaries])


def get_version(clients: AwsClients, env: Environment, model: str, version: int) -> ModelVersion:
    """Version `version` of `model` in `env`; `NotFound` (exit 2) naming the argument otherwise."""
    require_model(env, model)
    group = ResourceNames(env).model_package_group(model)
    arn = f"arn:aws:sagemaker:{env.region}:{env.account_id}:model-package/{group}/{version}"
    try:
        return describe_version(clients, env, model, arn)
    except NotFound:
        raise NotFound(f"VERSION: {model} has no version {version} in {env.name}") from None


def latest_version(versions: list[ModelVersion], *, statuses: tuple[str, ...]) -> ModelVersion | None:
    candidates = [v for v in versions if v.status in statuses]
    return candidates[-1] if candidates else None


def register_version(
    clients: AwsClients,
    env: Environment,
    model: str,
    *,
    artifact_uri: str,
    image: str,
    container_environment: dict[str, str],
    lineage: Lineage,
    description: str,
) -> ModelVersion:
    """Create a version (PendingManualApproval) in `env`'s model package group; returns it as
    registered (its creation time is left unknown rather than read back)."""
    group = ResourceNames(env).model_package_group(model)
    container: dict[str, Any] = {"Image": image, "ModelDataUrl": artifact_uri}
    if container_environment:
        container["Environment"] = container_environment
    sagemaker = clients.client("sagemaker")
    response = clients.call(
        f"register a version of {model} in {group}",
        sagemaker.create_model_package,
        ModelPackageGroupName=group,  # moto wants the group name, not its ARN
        ModelPackageDescription=description[:1000],
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["text/csv", "application/json"],
        },
        ModelApprovalStatus=PENDING,
        CustomerMetadataProperties=lineage.to_metadata(),
    )
    arn = response["ModelPackageArn"]
    return ModelVersion(
        env=env.name,
        model=model,
        version=version_number(arn),
        arn=arn,
        status=PENDING,
        created=None,
        lineage=lineage,
        artifact_uri=artifact_uri,
        image=image,
        container_environment=dict(container_environment),
    )


def set_approval(clients: AwsClients, version: ModelVersion, status: str, description: str) -> None:
    """Approve or reject `version`, saying why."""
    sagemaker = clients.client("sagemaker")
    clients.call(
        f"set {version.model} {version.label} to {status}",
        sagemaker.update_model_package,
        ModelPackageArn=version.arn,
        ModelApprovalStatus=status,
        ApprovalDescription=description[:1000],
    )
