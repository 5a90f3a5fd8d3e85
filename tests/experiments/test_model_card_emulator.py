"""`kit models card` on the emulator: a SageMaker Model Card per version, with the version's data,
metrics and lineage, shown as HTML, and refreshed only when its content changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main as kit
from mlops_kit.config import Environment
from mlops_kit.registry.lineage import Lineage
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def card_of(capsys: pytest.CaptureFixture[str], version: int, *extra: str) -> dict[str, object]:
    capsys.readouterr()
    code = kit(["models", "card", "tumor-classifier", str(version), "--env", "dev", "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return dict(json.loads(out))


def test_card_carries_the_versions_data_version_metrics_and_mlflow_run(
    tracked: dict[str, str], dev_env: Environment, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    described = (
        admin_clients(dev_env)
        .client("sagemaker")
        .describe_model_package(ModelPackageName=tracked["version_arn"])
    )
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    page = tmp_path / "card.html"
    card = card_of(capsys, described["ModelPackageVersion"], "--html", str(page))
    content = card["content"]
    assert isinstance(content, dict)
    custom = content["additional_information"]["custom_details"]
    assert custom["data_version_id"] == lineage.extra["data_version_id"]
    assert custom["mlflow_run_id"] == lineage.extra["mlflow_run_id"]
    assert custom["git_commit"] == lineage.git_commit
    groups = {g["name"]: g for g in content["evaluation_details"][0]["metric_groups"]}
    assert {m["name"]: m["value"] for m in groups["binary classification"]["metric_data"]} == lineage.metrics
    # The evaluate step's permutation importance, most important first; tumor-classifier names no
    # sensitive attribute, so the card has no fairness group.
    importance = {m["name"]: m["value"] for m in groups["permutation feature importance"]["metric_data"]}
    assert importance == lineage.feature_importance and len(importance) >= 10
    assert list(importance.values()) == sorted(importance.values(), reverse=True)
    assert "fairness" not in groups
    text = page.read_text()
    assert f"{lineage.metrics['auc']:.4f}" in text and lineage.extra["mlflow_run_id"] in text
    assert "<h2>Feature importance</h2>" in text and next(iter(importance)) in text
    assert "names no sensitive attribute" in text


def test_card_is_stored_once_and_not_rewritten_when_unchanged(
    tracked: dict[str, str], dev_env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker = admin_clients(dev_env).client("sagemaker")
    version = sagemaker.describe_model_package(ModelPackageName=tracked["version_arn"])["ModelPackageVersion"]
    first = card_of(capsys, version)
    again = card_of(capsys, version)
    assert again["card_version"] == first["card_version"] and again["sha256"] == first["sha256"]
    stored = sagemaker.describe_model_card(ModelCardName=str(first["name"]))
    assert json.loads(stored["Content"]) == first["content"]


def test_promotion_gate_needs_the_card_and_cites_its_sha256(
    tracked: dict[str, str], dev_env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_kit.experiments.model_card import card_name, model_card_gate

    clients = admin_clients(dev_env)
    sagemaker = clients.client("sagemaker")
    version = int(
        sagemaker.describe_model_package(ModelPackageName=tracked["version_arn"])["ModelPackageVersion"]
    )
    sagemaker.delete_model_card(ModelCardName=card_name(dev_env, "tumor-classifier", version))
    missing = model_card_gate(clients, dev_env, "tumor-classifier", version)
    assert not missing.passed and f"kit models card tumor-classifier {version} --env dev" in missing.detail
    card = card_of(capsys, version)
    present = model_card_gate(clients, dev_env, "tumor-classifier", version)
    assert present.passed and str(card["sha256"]) in present.detail
