"""The second example model (wine-classifier: multi-class, a categorical feature) trains, passes
dev's gates and registers in dev through `kit pipeline run`, from its contract alone: the same
definition builder, step scripts and local runner as the demo model, inside the session's
deployed platform."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as kit
from mlops_kit.config import Environment, ResourceNames, load_environment
from mlops_kit.pipeline.platform import role_arn
from mlops_kit.registry.lineage import Lineage
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
MODEL = "wine-classifier"


@pytest.fixture(scope="module")
def dev_with_wine(
    platform: dict[str, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Environment]:
    """dev's file registering wine-classifier beside the demo model (KIT_ENVIRONMENTS_DIR), and the
    model package group its stack would declare for it: the session's platform is deployed from
    the shipped files, which register the demo model only."""
    folder = tmp_path_factory.mktemp("environments-with-wine") / "environments"
    shutil.copytree(REPO / "environments", folder)
    dev_file = folder / "dev.yaml"
    dev_file.write_text(
        dev_file.read_text().replace(
            "  ecr_repositories:",
            f"    - name: {MODEL}\n      path: {REPO / 'models' / MODEL}\n  ecr_repositories:",
            1,
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIT_ENVIRONMENTS_DIR", str(folder))
        env = load_environment("dev")
        assert env.models == ["tumor-classifier", MODEL]
        sagemaker = admin_clients(env).client("sagemaker")
        group = ResourceNames(env).model_package_group(MODEL)
        if not sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]:
            sagemaker.create_model_package_group(ModelPackageGroupName=group)
        yield env


def packages(env: Environment) -> list[dict[str, Any]]:
    sagemaker = admin_clients(env).client("sagemaker")
    group = ResourceNames(env).model_package_group(MODEL)
    return list(sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])


@dataclass(frozen=True)
class Registered:
    """The run of wine-classifier's pipeline and the version it registered."""

    run: dict[str, Any]
    package: dict[str, Any]


@pytest.fixture(scope="module")
def registered(dev_with_wine: Environment) -> Registered:
    """One `kit pipeline run --model wine-classifier` in dev (its output, the version it added)."""
    before = {p["ModelPackageArn"] for p in packages(dev_with_wine)}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = kit(["pipeline", "run", "--env", "dev", "--model", MODEL, "--json"])
    assert code == 0, output.getvalue()
    added = [p for p in packages(dev_with_wine) if p["ModelPackageArn"] not in before]
    assert len(added) == 1, added
    sagemaker = admin_clients(dev_with_wine).client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=added[0]["ModelPackageArn"])
    return Registered(run=json.loads(output.getvalue()), package=package)


def test_the_second_model_trains_passes_the_gates_and_registers_in_dev(
    dev_with_wine: Environment, registered: Registered
) -> None:
    run, described = registered.run, registered.package
    assert run["status"] == "Succeeded"
    assert [s["name"] for s in run["steps"]] == [
        "Preprocess",
        "Train",
        "Evaluate",
        "GateAuc",
        "GateAccuracy",
        "RegisterModel",
    ]
    assert ResourceNames(dev_with_wine).training_pipeline(MODEL) in run["arn"]
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    assert set(lineage.metrics) == {"auc", "accuracy", "f1", "precision", "recall"}
    assert lineage.metrics["auc"] >= 0.9 and lineage.metrics["accuracy"] >= 0.85
    assert lineage.execution_arn == run["arn"]


def test_the_version_carries_what_its_contract_declares(
    dev_with_wine: Environment, registered: Registered
) -> None:
    described = registered.package
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    # The contract's hyperparameter defaults, data set and inference entry point.
    assert lineage.hyperparameters["n_estimators"] == "200" and lineage.hyperparameters["max_depth"] == "6"
    assert lineage.data_uri.endswith(f"datasets/{MODEL}/wine.csv")
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    s3 = admin_clients(dev_with_wine).client("s3")
    bucket, key = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"][5:].split("/", 1)
    report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report["multiclass_classification_metrics"]["auc"]["value"] == pytest.approx(
        lineage.metrics["auc"], abs=1e-6
    )
    bucket, key = lineage.drift_baseline_uri[5:].split("/", 1)
    baseline = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    kinds = {f["name"]: f["kind"] for f in baseline["features"]}
    assert len(kinds) == 14 and kinds["alcohol_level"] == "categorical"


def test_an_endpoint_of_the_version_answers_with_its_own_inference_code(
    dev_with_wine: Environment, registered: Registered
) -> None:
    """The registered container (image, artifact, SAGEMAKER_PROGRAM) on an endpoint of its own: the
    emulator's model host runs wine-classifier's inference entry point, categories as text."""
    clients = admin_clients(dev_with_wine)
    sagemaker = clients.client("sagemaker")
    container = registered.package["InferenceSpecification"]["Containers"][0]
    name = f"{ResourceNames(dev_with_wine).base}-{MODEL}-probe-{uuid.uuid4().hex[:6]}"
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=role_arn(dev_with_wine, "sagemaker-execution"),
        PrimaryContainer={k: container[k] for k in ("Image", "ModelDataUrl", "Environment")},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": name,
                "InstanceType": dev_with_wine.serving.instance_type,
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    # alcohol_level last, as text: the schema's order (cultivars 0, 1 and 2 of the bundled data).
    rows = [
        "14.23,1.71,2.43,15.6,127,2.8,3.06,0.28,2.29,5.64,1.04,3.92,1065,high",
        "12.37,0.94,1.36,10.6,88,1.98,0.57,0.28,0.42,1.95,1.05,1.82,520,low",
        "12.86,1.35,2.32,18.0,122,1.51,1.25,0.21,0.94,4.1,0.76,1.29,630,medium",
    ]
    response = clients.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Accept="application/json", Body="\n".join(rows)
    )
    predictions = json.loads(response["Body"].read())["predictions"]
    assert [p["label"] for p in predictions] == [0, 1, 2]
    assert all(len(p["probabilities"]) == 3 for p in predictions)
