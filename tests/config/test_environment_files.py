"""Environment files: the shipped ones are valid; each bad file is refused naming file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_kit.config import load_environment_file
from mlops_kit.config.loader import load_all_environments
from mlops_kit.errors import ConfigError

BAD = Path(__file__).parent / "bad"

# file -> (field the message must name, words the message must contain)
BAD_FILES: dict[str, tuple[str, str]] = {
    "unknown_key.yaml": ("netwrok", "unknown key"),
    "bad_account_id.yaml": ("account_id", "pattern"),
    "bad_cidr.yaml": ("network.cidr", "not a valid IPv4 CIDR"),
    "cidr_too_large.yaml": ("network.cidr", "between /16 and /24"),
    "subnets_do_not_fit.yaml": ("network", "do not fit"),
    "az_count_too_small.yaml": ("network.az_count", "greater than or equal to 2"),
    "zones_outside_region.yaml": ("network", "not in region us-east-1"),
    "scaling_out_of_order.yaml": (
        "training_cluster.gpu_node_pools[0].scaling",
        "min_size <= desired_size <= max_size",
    ),
    "gpu_pool_cpu_instance.yaml": (
        "training_cluster.gpu_node_pools[0].instance_types",
        "not a GPU instance family",
    ),
    "gpu_pool_cpu_ami.yaml": ("training_cluster.gpu_node_pools[0].ami_type", "NVIDIA AMI"),
    "capacity_type_invalid.yaml": ("training_cluster.gpu_node_pools[0].capacity_type", "ON_DEMAND"),
    "duplicate_pool_names.yaml": ("training_cluster.gpu_node_pools", "duplicate GPU node pool"),
    "autoscaling_min_above_max.yaml": ("serving.autoscaling", "min_capacity (3) must be <= max_capacity (2)"),
    "instance_count_outside_autoscaling.yaml": ("serving", "initial_instance_count (5)"),
    "serving_instance_type_not_sagemaker.yaml": ("serving.instance_type", "pattern"),
    "gate_threshold_above_one.yaml": ("gates.min_metrics", "[0, 1]"),
    "gate_unknown_metric.yaml": ("gates.min_metrics.rmse", "'auc'"),
    "prod_without_approvers.yaml": ("approvals", "prod requires at least one approver rule"),
    "prod_without_model_card.yaml": ("gates", "prod always requires a model card"),
    "fairness_ceiling_above_one.yaml": ("gates.max_demographic_parity_difference", "less than or equal to 1"),
    "fairness_ceiling_misspelt.yaml": ("gates.max_demographic_parity", "unknown key"),
    "name_prefix_too_long.yaml": ("name_prefix", "pattern"),
    "model_name_too_long_for_aws.yaml": ("registry", "endpoint name"),
    "trust_whole_account.yaml": ("identity.promotion_trusted_principals", "trusting a whole account"),
    "github_repository_not_owner_slash_name.yaml": ("identity.github.repository", "expected OWNER/NAME"),
    "missing_registry.yaml": ("registry", "required key is missing"),
    "missing_region.yaml": ("region", "required key is missing"),
    "drift_schedule_invalid.yaml": ("drift.schedule", "pattern"),
    "kubernetes_version_invalid.yaml": ("training_cluster.kubernetes_version", "pattern"),
    "invalid_yaml.yaml": ("line 3, column 1", "invalid YAML"),
    "not_a_mapping.yaml": ("(file)", "must be a mapping"),
    "misnamed/staging.yaml": ("name", "is 'dev' but the file is named staging.yaml"),
    "alerts_unknown_key.yaml": ("alerts.slack", "unknown key"),
    "alerts_email_invalid.yaml": ("alerts.email[0]", "pattern"),
    "alerts_https_not_https.yaml": ("alerts.https[0]", "pattern"),
    "alerts_email_twice.yaml": ("alerts.email", "listed more than once: a@example.com"),
}


def test_shipped_environments_are_valid(environments: dict[str, object]) -> None:
    assert list(environments) == ["dev", "staging", "prod"]


def test_corpus_covers_every_bad_file() -> None:
    on_disk = {str(p.relative_to(BAD)) for p in BAD.rglob("*.yaml")}
    assert on_disk == set(BAD_FILES)
    assert len(on_disk) >= 15


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_naming_file_and_field(name: str) -> None:
    field, words = BAD_FILES[name]
    path = BAD / name
    with pytest.raises(ConfigError) as raised:
        load_environment_file(path)
    lines = raised.value.problems
    assert any(line.startswith(f"{path}: {field}: ") and words in line for line in lines), lines
    assert "Traceback" not in str(raised.value)


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text(
        'name: dev\naccount_id: "12"\nregistry: {models: []}\nnetwork: {az_count: 9}\nidentity: {}\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_all_environments(tmp_path)
    fields = [line.split(": ")[1] for line in raised.value.problems]
    assert {
        "account_id",
        "registry.models",
        "network.az_count",
        "identity",  # dev without promotion_trusted_principals: nobody could promote
    } <= set(fields)


@pytest.mark.parametrize(
    ("name", "github", "refused"),
    [("staging", True, False), ("prod", True, False), ("prod", False, True), ("dev", True, True)],
)
def test_an_empty_promotion_trust_is_only_for_an_environment_its_release_workflow_promotes(
    environments: dict[str, Any], name: str, github: bool, refused: bool
) -> None:
    """After dev, the release role (identity.github) may be the only promoter; dev needs named roles."""
    from pydantic import ValidationError

    from mlops_kit.config import Environment

    source = environments[name].model_dump(mode="json")
    source["identity"]["promotion_trusted_principals"] = []
    if not github:
        source["identity"]["github"] = None
    if refused:
        with pytest.raises(ValidationError, match="promotion_trusted_principals is empty"):
            Environment.model_validate(source)
    else:
        assert Environment.model_validate(source).identity.promotion_trusted_principals == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no environment files"):
        load_all_environments(tmp_path)


def test_a_model_card_is_required_where_approvals_are_unless_the_file_says_otherwise(
    environments: dict[str, Any],
) -> None:
    dev, staging, prod = environments["dev"], environments["staging"], environments["prod"]
    assert prod.requires_model_card and not staging.requires_model_card and not dev.requires_model_card
    approved = staging.model_copy(update={"approvals": prod.approvals})
    assert approved.requires_model_card
    opted_out = approved.model_copy(
        update={"gates": staging.gates.model_copy(update={"require_model_card": False})}
    )
    assert not opted_out.requires_model_card
    opted_in = staging.model_copy(
        update={"gates": staging.gates.model_copy(update={"require_model_card": True})}
    )
    assert opted_in.requires_model_card


def test_fairness_ceilings_are_the_ones_set() -> None:
    from mlops_kit.config.models import Gates

    assert Gates().fairness_ceilings == {}
    assert Gates(max_equal_opportunity_difference=0.05).fairness_ceilings == {
        "equal_opportunity_difference": 0.05
    }
