"""Re-run a registered version's training with what it was trained with, and compare the metrics.

The version's lineage names its data (URI, sha256 and S3 version id), code commit, training image and
hyperparameters. The run restores the exact data version (a copy under `datasets/<model>/pinned/`
when the object has changed since), refuses when the checked-out commit or the pipeline's image
differ, and reports each metric's difference against a tolerance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients, clients_for
from mlops_kit.config import Environment
from mlops_kit.errors import BadInput, OperationFailed
from mlops_kit.pipeline.bundle import BuiltPipeline
from mlops_kit.pipeline.service import (
    Builder,
    build_for,
    data_version_id,
    git_commit,
    start_training_run,
    wait_for_execution,
)
from mlops_kit.registry.lineage import Lineage
from mlops_kit.registry.versions import ModelVersion, describe_version, get_version
from mlops_kit.s3_uri import split_s3_uri

UNVERSIONED = ("", "unversioned")


@dataclass(frozen=True)
class MetricDifference:
    metric: str
    original: float
    reproduced: float

    @property
    def difference(self) -> float:
        return self.reproduced - self.original

    def within(self, tolerance: float) -> bool:
        return abs(self.difference) <= tolerance


@dataclass(frozen=True)
class Reproduction:
    model: str
    version: int
    reproduced_arn: str
    execution_arn: str
    data_uri: str
    tolerance: float
    metrics: tuple[MetricDifference, ...]

    @property
    def within_tolerance(self) -> bool:
        return all(m.within(self.tolerance) for m in self.metrics)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "reproduced_arn": self.reproduced_arn,
            "execution_arn": self.execution_arn,
            "data_uri": self.data_uri,
            "tolerance": self.tolerance,
            "within_tolerance": self.within_tolerance,
            "metrics": [
                {
                    "metric": m.metric,
                    "original": m.original,
                    "reproduced": m.reproduced,
                    "difference": m.difference,
                    "within": m.within(self.tolerance),
                }
                for m in self.metrics
            ],
        }


def training_parameters(pipeline: BuiltPipeline, lineage: Lineage) -> dict[str, str]:
    """Pipeline parameters restoring the version's hyperparameters (from the Train step's references)."""
    train = next((s for s in pipeline.document["Steps"] if s["Type"] == "Training"), None)
    if train is None:
        raise BadInput("the training pipeline has no training step", argument="MODEL")
    values: dict[str, str] = {}
    for name, value in (train["Arguments"].get("HyperParameters") or {}).items():
        if isinstance(value, dict) and str(value.get("Get", "")).startswith("Parameters."):
            if name not in lineage.hyperparameters:
                raise BadInput(f"the version's lineage has no hyperparameter '{name}'", argument="VERSION")
            values[str(value["Get"]).split(".", 1)[1]] = lineage.hyperparameters[name]
    return values


def check_code_and_image(pipeline: BuiltPipeline, lineage: Lineage, commit: str) -> None:
    """BadInput unless the checkout is the version's commit and the pipeline trains on its image."""
    if lineage.git_commit != commit:
        raise BadInput(
            f"the version was trained from commit {lineage.git_commit}, this checkout is {commit}: "
            f"check out {lineage.git_commit} first",
            argument="VERSION",
        )
    train = next(s for s in pipeline.document["Steps"] if s["Type"] == "Training")
    image = str(train["Arguments"]["AlgorithmSpecification"]["TrainingImage"])
    recorded = lineage.image_uris.get("training", "")
    if recorded and recorded != image:
        raise BadInput(
            f"the version was trained on {recorded}, the pipeline now uses {image}", argument="VERSION"
        )


def pin_data(clients: AwsClients, model: str, lineage: Lineage) -> tuple[str, str]:
    """(DataUri, DataVersionId) holding exactly the version's training data, checked by sha256."""
    bucket, key = split_s3_uri(lineage.data_uri)
    s3 = clients.client("s3")
    recorded = lineage.extra.get("data_version_id", "")
    where = f"{lineage.data_uri} (version {recorded or 'latest'})"
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if recorded not in UNVERSIONED:
        request["VersionId"] = recorded
    body = clients.call(f"read {where}", s3.get_object, **request)["Body"].read()
    digest = hashlib.sha256(body).hexdigest()
    if digest != lineage.data_sha256:
        raise OperationFailed(
            f"{where} has sha256 {digest}, the version was trained on {lineage.data_sha256}",
            hint="the training data can no longer be restored" if recorded not in UNVERSIONED else "",
        )
    current = data_version_id(clients, lineage.data_uri)
    if recorded in UNVERSIONED or current == recorded:
        return lineage.data_uri, current
    pinned = f"datasets/{model}/pinned/{digest}.csv"
    put = clients.call(f"pin s3://{bucket}/{pinned}", s3.put_object, Bucket=bucket, Key=pinned, Body=body)
    return f"s3://{bucket}/{pinned}", str(put.get("VersionId") or "")


def reproduce_version(
    env: Environment,
    build: Builder,
    model: str,
    version: int,
    *,
    tolerance: float,
    timeout: float = 3600,
) -> Reproduction:
    """Train `model` `version` again in `env` and compare each metric; OperationFailed if the run fails."""
    if not 0 <= tolerance <= 1:
        raise BadInput("must be between 0 and 1", argument="--tolerance")
    clients = clients_for(env)
    original = get_version(clients, env, model, version)
    lineage = original.lineage
    if lineage.source_env:
        raise BadInput(
            f"{original.label} is a promoted copy: reproduce it in {lineage.source_env}", argument="--env"
        )
    pipeline = build_for(env, build, clients)
    check_code_and_image(pipeline, lineage, git_commit())
    parameters = training_parameters(pipeline, lineage)
    data_uri, data_version = pin_data(clients, model, lineage)
    parameters.update({"DataUri": data_uri, "GitCommit": lineage.git_commit})
    if data_version and "DataVersionId" in pipeline.parameters:
        parameters["DataVersionId"] = data_version
    started = start_training_run(env, build, parameters)
    final = wait_for_execution(env, started.execution_arn, timeout=timeout)
    if final.status != "Succeeded":
        raise OperationFailed(f"the reproduction run {final.status}: {final.failure_reason}")
    registered = next((s for s in final.steps if "RegisterModel" in s.metadata), None)
    if registered is None:
        raise OperationFailed("the reproduction run registered no version")
    reproduced = describe_version(clients, env, model, str(registered.metadata["RegisterModel"]["Arn"]))
    return Reproduction(
        model=model,
        version=version,
        reproduced_arn=reproduced.arn,
        execution_arn=started.execution_arn,
        data_uri=data_uri,
        tolerance=tolerance,
        metrics=_differences(original, reproduced),
    )


def _differences(original: ModelVersion, reproduced: ModelVersion) -> tuple[MetricDifference, ...]:
    return tuple(
        MetricDifference(name, value, reproduced.lineage.metrics.get(name, float("nan")))
        for name, value in sorted(original.lineage.metrics.items())
    )
