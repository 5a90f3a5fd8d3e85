"""Fixtures for promotion: dev versions registered the way the training pipeline registers them,
drift reports of the source environments, and identities.

Rollout policy time passes 3000x faster in the session's emulator (a 5-minute canary bake takes
0.1 s), so the canary, the alarm rollback and the waits run for real but quickly.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import uuid
from collections.abc import Callable
from typing import Any

import pytest

# Read by the emulator process when the session fixture starts it (after collection).
os.environ.setdefault("KIT_EMULATOR_TIME_SCALE", "3000")

from promotion_support import CLEAN_REPORT_KEY, GOOD_METRICS, MODEL, DevVersion, put_drift_report

from mlops_kit.config import Environment, ResourceNames


@pytest.fixture(scope="session")
def trained_model() -> bytes:
    """A real scikit-learn model (logistic regression on the Wisconsin data), joblib-serialized."""
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(features, labels)
    payload = io.BytesIO()
    joblib.dump(model, payload)
    return payload.getvalue()


def model_archive(model: bytes, run: str) -> bytes:
    """`model.tar.gz` of one training run: the model and the run's id (so each run's bytes differ)."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("model.joblib", model), ("run.txt", run.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


@pytest.fixture(scope="session")
def training_features() -> Any:
    """The features the model was trained on (a pandas DataFrame), for drift baselines."""
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).data


@pytest.fixture(scope="session")
def promotion_platform(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment]
) -> dict[str, Environment]:
    """The deployed platform with a clean drift check in dev and staging; the environments by name."""
    for name in ("dev", "staging"):
        put_drift_report(environments[name], CLEAN_REPORT_KEY, drifted=False)
    return environments


RegisterDev = Callable[..., DevVersion]


@pytest.fixture
def register_dev_version(
    promotion_platform: dict[str, Environment], trained_model: bytes, training_features: Any
) -> RegisterDev:
    """Register a dev version like the training pipeline: artifact and drift baseline (each run's
    its own) in the dev bucket, metrics and lineage in the package metadata, PendingManualApproval.
    `recorded_sha256` lets a test lie; `baseline=False` registers a version without a baseline;
    `archive` replaces the model.tar.gz (one that serves requests, say)."""
    from mlops_kit.aws import clients_for
    from mlops_kit.drift import build_baseline
    from mlops_kit.registry.lineage import Lineage
    from mlops_kit.serving.images import sklearn_image_uri

    dev = promotion_platform["dev"]

    def register(
        metrics: dict[str, float] | None = None,
        recorded_sha256: str | None = None,
        *,
        baseline: bool = True,
        archive: bytes | None = None,
    ) -> DevVersion:
        clients = clients_for(dev)
        names = ResourceNames(dev)
        run = uuid.uuid4().hex[:12]
        key = f"pipelines/{MODEL}/{run}/model.tar.gz"
        model_artifact = archive or model_archive(trained_model, run)
        clients.client("s3").put_object(Bucket=names.artifact_bucket, Key=key, Body=model_artifact)
        sha = hashlib.sha256(model_artifact).hexdigest()
        baseline_uri, baseline_document = "", b""
        if baseline:
            baseline_key = f"pipelines/{MODEL}/{run}/preprocess/baseline/baseline.json"
            document = build_baseline(training_features, metadata={"training_run": run}).to_json()
            baseline_document = document.encode()
            clients.client("s3").put_object(
                Bucket=names.artifact_bucket, Key=baseline_key, Body=baseline_document
            )
            baseline_uri = f"s3://{names.artifact_bucket}/{baseline_key}"
        lineage = Lineage(
            git_commit=run,
            data_uri=f"s3://{names.artifact_bucket}/data/{run}/",
            data_sha256="0" * 64,
            hyperparameters={"C": "1.0"},
            image_uris={"inference": sklearn_image_uri(dev.region)},
            metrics=metrics or GOOD_METRICS,
            execution_arn=f"arn:aws:sagemaker:us-east-1:{dev.account_id}:pipeline/x/execution/{run}",
            artifact_sha256=recorded_sha256 or sha,
            drift_baseline_uri=baseline_uri,
        )
        response = clients.client("sagemaker").create_model_package(
            ModelPackageGroupName=names.model_package_group(MODEL),
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": lineage.image_uris["inference"],
                        "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            CustomerMetadataProperties=lineage.to_metadata(),
        )
        arn = response["ModelPackageArn"]
        return DevVersion(
            int(arn.rsplit("/", 1)[-1]),
            arn,
            f"s3://{names.artifact_bucket}/{key}",
            baseline_uri,
            baseline_document,
        )

    return register
