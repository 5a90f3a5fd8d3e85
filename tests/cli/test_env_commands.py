"""`kit env ...` and `kit local ...` as a user runs them: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port

BAD = REPO / "tests" / "config" / "bad"


def kit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_env_list_names_every_environment_in_promotion_order() -> None:
    result = kit("env", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert [e["name"] for e in json.loads(result.stdout)] == ["dev", "staging", "prod"]


def test_env_show_prints_resolved_settings_and_derived_names() -> None:
    result = kit("env", "show", "prod", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["settings"]["serving"]["rollout"]["canary_percent"] == 10
    assert data["settings"]["drift"]["min_samples"] == 200  # a default, resolved
    assert data["names"]["endpoint[tumor-classifier]"] == "mlkit-prod-tumor-classifier"


def test_env_show_unknown_environment_exits_2_naming_the_argument() -> None:
    result = kit("env", "show", "qa")
    assert result.returncode == 2
    assert "--env: unknown environment 'qa'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_env_validate_accepts_the_shipped_files() -> None:
    result = kit("env", "validate")
    assert result.returncode == 0
    assert "valid: dev, staging, prod" in result.stdout


@pytest.mark.parametrize("name", ["unknown_key.yaml", "scaling_out_of_order.yaml", "invalid_yaml.yaml"])
def test_env_validate_bad_file_exits_2_with_file_field_message(name: str) -> None:
    result = kit("env", "validate", "--file", str(BAD / name))
    assert result.returncode == 2
    assert f"{BAD / name}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_env_validate_reports_every_problem_one_line_each(tmp_path: Path) -> None:
    bad = tmp_path / "dev.yaml"
    bad.write_text(
        'name: dev\naccount_id: "12"\nregion: us-east-1\nregistry: {models: []}\nnetwork: {az_count: 9}\n'
    )
    result = kit("env", "validate", "--file", str(bad))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 4
    assert all(line.startswith(f"{bad}: ") for line in lines)


def test_env_diff_shows_only_settings_that_differ() -> None:
    result = kit("env", "diff", "dev", "staging", "--json")
    assert result.returncode == 0
    changed = {row["setting"] for row in json.loads(result.stdout)}
    assert "account_id" in changed and "serving.rollout.canary_percent" in changed
    assert "region" not in changed


def test_kit_help_does_not_import_boto3_sagemaker_or_cdktf() -> None:
    code = (
        "import sys; from cli.main import main; rc = main(['--help']);"
        "mods = ('boto3', 'botocore', 'sagemaker', 'cdktf', 'cdktf_cdktf_provider_aws');"
        "heavy = [m for m in mods if m in sys.modules];"
        "print('HEAVY=' + ','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert "HEAVY=\n" in result.stdout or result.stdout.strip().endswith("HEAVY="), result.stdout[-300:]


def test_local_up_status_down(tmp_path: Path) -> None:
    port = str(free_port())
    # MLflow on the port beside the emulator's (a session's own tracking server may hold another).
    env = {"KIT_STATE_DIR": str(tmp_path), "KIT_MLFLOW_PORT": str(int(port) + 1)}
    try:
        up = kit("local", "up", "--port", port, "--json", env=env)
        assert up.returncode == 0, up.stderr
        assert json.loads(up.stdout)["healthy"] is True
        status = kit("local", "status", "--port", port, env=env)
        assert status.returncode == 0 and "healthy" in status.stdout
        again = kit("local", "up", "--port", port, "--json", env=env)  # reuses the running one
        assert json.loads(again.stdout)["pid"] == json.loads(up.stdout)["pid"]
        exports = kit("local", "env", "--port", port, env=env).stdout
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in exports
    finally:
        down = kit("local", "down", "--port", port, env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    after = kit("local", "status", "--port", port, env=env)
    assert after.returncode == 1 and "not running" in after.stdout


def test_local_up_refuses_an_invalid_port() -> None:
    result = kit("local", "up", "--port", "80")
    assert result.returncode == 2
    assert "--port: 80" in result.stderr


@pytest.mark.parametrize("args", [["bogus"], ["env", "show"], ["env", "list", "--no-such-flag"]])
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = kit(*args)
    assert result.returncode == 2
    assert "Error:" in result.stderr
    assert "Traceback" not in result.stderr
