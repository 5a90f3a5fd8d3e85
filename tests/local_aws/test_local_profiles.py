"""Local mode's identities as AWS profiles: what `kit local up` writes and `kit local env` exports."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from cli.main import main
from local_aws.accounts import people_roles, write_profiles
from mlops_kit.config import Environment


def test_the_profiles_name_the_platform_the_people_and_the_release_workflows(
    environments: dict[str, Environment], tmp_path: Path
) -> None:
    profiles = write_profiles(tmp_path / "aws", environments)
    config = configparser.ConfigParser()
    config.read(profiles.config_file)
    engineer = config["profile mlkit-engineer"]
    assert engineer["role_arn"] == "arn:aws:iam::111111111111:role/mlkit-ml-engineers"
    assert engineer["source_profile"] == "mlkit-platform"
    release = config["profile mlkit-release-prod"]
    assert release["role_arn"] == "arn:aws:iam::333333333333:role/mlkit-prod-github-release"
    assert Path(release["web_identity_token_file"]).read_text().count(".") == 2  # a JWT
    assert "profile mlkit-release-dev" not in config  # dev has no release role
    assert {r.name for r in people_roles(environments)} == {"mlkit-ml-engineers", "mlkit-prod-approver"}


def test_kit_local_env_refuses_a_profile_local_mode_does_not_have(
    environments: dict[str, Environment],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path))
    write_profiles(tmp_path / "aws", environments)
    assert main(["local", "env", "--profile", "mlkit-nobody"]) == 2
    err = capsys.readouterr().err
    assert "--profile: no profile 'mlkit-nobody'" in err and "mlkit-release-prod" in err
    assert "Traceback" not in err
    assert main(["local", "env", "--profile", "mlkit-prod-approver"]) == 0
    out = capsys.readouterr().out
    assert "export AWS_PROFILE=mlkit-prod-approver" in out and out.startswith("unset AWS_ACCESS_KEY_ID")
