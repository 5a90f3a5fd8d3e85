"""A model card's content and page from a version's records (pure, no AWS): the metrics, the
evaluate step's feature importance and, when the model measures it, its group fairness."""

from __future__ import annotations

import json

import pytest

from mlops_kit.config import Environment
from mlops_kit.experiments.model_card import ModelCard, card_content, card_gate, card_html
from mlops_kit.promotion.catalog import VersionDetails
from mlops_kit.registry.lineage import Lineage
from mlops_kit.registry.versions import ModelVersion

FAIRNESS = {
    "sensitive_attribute": "sex",
    "favorable_class": 1,
    "demographic_parity_difference": 0.125,
    "equal_opportunity_difference": 0.0625,
}


def details(extra: dict[str, str]) -> VersionDetails:
    lineage = Lineage(
        git_commit="abc",
        data_uri="s3://bucket/data.csv",
        data_sha256="d" * 64,
        hyperparameters={"max_depth": "3"},
        image_uris={"training": "image"},
        metrics={"auc": 0.97, "accuracy": 0.93},
        extra=extra,
    )
    version = ModelVersion(
        env="staging",
        model="tumor-classifier",
        version=4,
        arn="arn:aws:sagemaker:us-east-1:222222222222:model-package/g/4",
        status="Approved",
        created=None,
        lineage=lineage,
        artifact_uri="s3://bucket/model.tar.gz",
        image="image",
        container_environment={},
    )
    return VersionDetails(version=version, serving=True, gates=(), history=())


def groups(content: dict[str, object]) -> dict[str, dict[str, float]]:
    evaluation = content["evaluation_details"]
    assert isinstance(evaluation, list)
    return {
        g["name"]: {m["name"]: m["value"] for m in g["metric_data"]} for g in evaluation[0]["metric_groups"]
    }


def test_card_holds_metrics_feature_importance_and_fairness(environments: dict[str, Environment]) -> None:
    importance = {"worst_radius": 0.21, "mean_texture": 0.03}
    content = card_content(
        environments["staging"],
        details({"feature_importance": json.dumps(importance), "fairness": json.dumps(FAIRNESS)}),
    )
    assert groups(content) == {
        "binary classification": {"accuracy": 0.93, "auc": 0.97},
        "permutation feature importance": importance,
        "fairness": {"demographic_parity_difference": 0.125, "equal_opportunity_difference": 0.0625},
    }
    page = card_html(ModelCard("card", "arn:card", 1, content))
    fairness = page.split("<h2>Fairness</h2>", 1)[1]
    assert "groups of sex, favorable class 1" in fairness and "0.1250" in fairness and "0.0625" in fairness
    importance_section = page.split("<h2>Feature importance</h2>", 1)[1].split("<h2>", 1)[0]
    assert importance_section.index("worst_radius") < importance_section.index("mean_texture")
    assert "0.2100" in importance_section


def test_card_of_a_model_measuring_no_fairness_says_so(environments: dict[str, Environment]) -> None:
    content = card_content(environments["staging"], details({"fairness": "none"}))
    assert set(groups(content)) == {"binary classification", "permutation feature importance"}
    page = card_html(ModelCard("card", "arn:card", 1, content))
    assert "the model&#x27;s contract names no sensitive attribute" in page


@pytest.mark.parametrize("present", [True, False])
def test_card_gate_cites_the_cards_sha256_or_how_to_create_it(
    environments: dict[str, Environment], present: bool
) -> None:
    staging = environments["staging"]
    card = ModelCard("card", "arn:card", 1, card_content(staging, details({}))) if present else None
    result = card_gate(card, staging, "tumor-classifier", 4)
    assert result.passed is present
    if card:
        assert result.detail == f"card sha256 {card.sha256}"
    else:
        assert "tumor-classifier v4 in staging has no model card" in result.detail
        assert "kit models card tumor-classifier 4 --env staging" in result.detail


def test_kit_models_card_lines_name_the_top_features_and_the_fairness_differences(
    environments: dict[str, Environment],
) -> None:
    from mlops_kit.experiments.model_card import card_explanations

    importance = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    measured = card_content(
        environments["staging"],
        details({"feature_importance": json.dumps(importance), "fairness": json.dumps(FAIRNESS)}),
    )
    lines = card_explanations(measured)
    assert lines["feature importance"] == "a 0.4000, b 0.3000, c 0.2000"
    assert lines["fairness"].startswith(
        "demographic_parity_difference 0.1250, equal_opportunity_difference 0.0625 (groups of sex"
    )
    unmeasured = card_explanations(card_content(environments["staging"], details({})))
    assert unmeasured["fairness"].startswith("not measured")
    assert unmeasured["feature importance"].startswith("not measured")
