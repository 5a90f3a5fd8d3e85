"""The second example model (wine-classifier: multi-class, a categorical feature) trains, passes
dev's gates and registers in dev through `kit pipeline run`, from its contract alone: the same
definition builder, step scripts and local runner as the demo model, inside the session's
deployed platform."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as kit
from mlops_kit.aws import clients_for
from mlops_kit.config import Environment, ResourceNames, load_environment
from mlops_kit.registry.lineage import Lineage

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
        sagemaker = clients_for(env).client("sagemaker")
        group = ResourceNames(env).model_package_group(MODEL)
        if not sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]:
            sagemaker.create_model_package_group(ModelPackageGroupName=group)
        yield env


def packages(env: Environment) -> list[dict[str, Any]]:
    sagemaker = clients_for(env).client("sagemaker")
    group = ResourceNames(env).model_package_group(MODEL)
    return list(sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])


def test_the_second_model_trains_and_registers_in_dev_from_its_contract(
    dev_with_wine: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    env = dev_with_wine
    before = {p["ModelPackageArn"] for p in packages(env)}
    capsys.readouterr()
    code = kit(["pipeline", "run", "--env", "dev", "--model", MODEL, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    run = json.loads(out)
    assert run["status"] == "Succeeded"
    assert [s["name"] for s in run["steps"]] == [
        "Preprocess",
        "Train",
        "Evaluate",
        "GateAuc",
        "GateAccuracy",
        "RegisterModel",
    ]
    assert ResourceNames(env).training_pipeline(MODEL) in run["arn"]
    [new] = [p for p in packages(env) if p["ModelPackageArn"] not in before]
    clients = clients_for(env)
    described = clients.client("sagemaker").describe_model_package(ModelPackageName=new["ModelPackageArn"])
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    assert set(lineage.metrics) == {"auc", "accuracy", "f1", "precision", "recall"}
    assert lineage.metrics["auc"] >= 0.9 and lineage.metrics["accuracy"] >= 0.85
    # The contract's hyperparameter defaults, data set and inference entry point.
    assert lineage.hyperparameters["n_estimators"] == "200" and lineage.hyperparameters["max_depth"] == "6"
    assert lineage.data_uri.endswith(f"datasets/{MODEL}/wine.csv")
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    s3 = clients.client("s3")
    bucket, key = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"][5:].split("/", 1)
    report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report["multiclass_classification_metrics"]["auc"]["value"] == pytest.approx(
        lineage.metrics["auc"], abs=1e-6
    )
    bucket, key = lineage.drift_baseline_uri[5:].split("/", 1)
    baseline = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    kinds = {f["name"]: f["kind"] for f in baseline["features"]}
    assert len(kinds) == 14 and kinds["alcohol_level"] == "categorical"
