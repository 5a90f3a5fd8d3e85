"""Environments may share an AWS account; `kit env validate` refuses what could not share one,
naming both files and the name, and retraining wiring that reaches no training environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_kit.config import ResourceNames, load_all_environments
from mlops_kit.errors import ConfigError
from tests.cli.test_env_commands import kit
from tests.conftest import REPO

SHARED_ACCOUNT = "111111111111"


def shared_account_copy(folder: Path) -> Path:
    """environments/ with dev, staging and prod in one account (dev's bus accepts no other account)."""
    shutil.copytree(REPO / "environments", folder)
    # Model folders resolve beside environments/ (registry.models[].path).
    if not (folder.parent / "models").exists():
        (folder.parent / "models").symlink_to(REPO / "models")
    for path in folder.glob("*.yaml"):
        text = (
            path.read_text().replace("222222222222", SHARED_ACCOUNT).replace("333333333333", SHARED_ACCOUNT)
        )
        path.write_text(text)
    dev = folder / "dev.yaml"
    lines = [line for line in dev.read_text().splitlines() if "accept_retrain_from" not in line]
    dev.write_text("\n".join(lines) + "\n")
    return folder


def test_three_environments_in_one_account_are_valid_with_names_of_their_own(tmp_path: Path) -> None:
    envs = load_all_environments(shared_account_copy(tmp_path / "environments"))
    assert {env.account_id for env in envs.values()} == {SHARED_ACCOUNT}
    roles = {ResourceNames(env).promotion_role for env in envs.values()}
    assert roles == {"mlkit-dev-promotion", "mlkit-staging-promotion", "mlkit-prod-promotion"}


def test_a_promotion_role_name_two_environments_of_one_account_share_is_refused(tmp_path: Path) -> None:
    folder = shared_account_copy(tmp_path / "environments")
    for name in ("dev", "staging"):
        path = folder / f"{name}.yaml"
        path.write_text(
            path.read_text().replace("identity:\n", "identity:\n  promotion_role_name: ml-promoter\n")
        )

    result = kit("env", "validate", env={"KIT_ENVIRONMENTS_DIR": str(folder)})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {folder / 'staging.yaml'}: identity.promotion_role_name: IAM role 'ml-promoter' is "
        f"also declared by {folder / 'dev.yaml'} (account {SHARED_ACCOUNT}); environments sharing an "
        "account need their own names"
    ], result.stderr
    assert "Traceback" not in result.stderr


def test_the_same_promotion_role_name_in_separate_accounts_is_fine(tmp_path: Path) -> None:
    folder = tmp_path / "environments"
    shutil.copytree(REPO / "environments", folder)
    for name in ("dev", "staging"):
        path = folder / f"{name}.yaml"
        path.write_text(
            path.read_text().replace("identity:\n", "identity:\n  promotion_role_name: ml-promoter\n")
        )
    assert set(load_all_environments(folder)) == {"dev", "staging", "prod"}


def test_drift_retraining_into_an_account_where_nothing_trains_is_refused(tmp_path: Path) -> None:
    folder = shared_account_copy(tmp_path / "environments")
    dev = folder / "dev.yaml"
    dev.write_text(dev.read_text().replace("drift:\n", f'drift:\n  retrain_account_id: "{SHARED_ACCOUNT}"\n'))

    with pytest.raises(ConfigError) as raised:
        load_all_environments(folder)

    assert all("drift.retrain_account_id: no environment of account" in p for p in raised.value.problems)
    assert len(raised.value.problems) == 3


def test_a_training_account_that_does_not_accept_a_retraining_account_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "environments"
    shutil.copytree(REPO / "environments", folder)
    dev = folder / "dev.yaml"
    dev.write_text(dev.read_text().replace(', "333333333333"]', "]"))

    with pytest.raises(ConfigError) as raised:
        load_all_environments(folder)

    assert raised.value.problems == [
        f"{dev}: drift.accept_retrain_from: must name 333333333333, whose drift alarms "
        f"({folder / 'prod.yaml'}) retrain here"
    ]
