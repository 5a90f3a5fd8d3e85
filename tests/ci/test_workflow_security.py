"""The workflows as a security review reads them: zizmor (offline) finds nothing, GitHub's workflow
schema accepts each file, actions are pinned by commit, credentials are granted job by job."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
TOOLS = REPO / ".tools" / "workflow-lint" / "bin"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"


def _tool(name: str) -> Path:
    path = TOOLS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make setup`")
    return path


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), path
    return document


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    result = subprocess.run(
        [str(_tool("zizmor")), "--offline", "--no-progress", "--format=plain", str(WORKFLOW_DIR)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_against_githubs_schema(path: Path) -> None:
    result = subprocess.run(
        [str(_tool("check-jsonschema")), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path: Path) -> None:
    for line in path.read_text().splitlines():
        match = re.match(r"\s*-?\s*uses:\s*(\S+)(.*)", line)
        if match and not match[1].startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match[1]), f"{path.name}: {line.strip()}"
            assert re.fullmatch(r"\s*# v\d+(\.\d+)*", match[2]), f"{path.name}: no version comment: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_only_jobs_that_assume_a_role_get_an_oidc_token(path: Path) -> None:
    workflow = _load(path)
    assert workflow.get("permissions") == {}, f"{path.name}: permissions belong to the jobs"
    for name, job in workflow["jobs"].items():
        assumes = any(str(s.get("uses", "")).startswith(AWS_CREDENTIALS_ACTION) for s in job["steps"])
        token = job.get("permissions", {}).get("id-token")
        assert token == ("write" if assumes else None), f"{path.name}: job {name}: id-token {token}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_expanded_into_a_script(path: Path) -> None:
    for name, job in _load(path)["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in str(step.get("run", "")), f"{path.name}: job {name}: {step['run']}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_does_not_persist_the_token(path: Path) -> None:
    for job in _load(path)["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("name", ["promote.yml", "deploy.yml"])
def test_changes_to_staging_and_prod_wait_for_reviewers_one_run_per_environment(name: str) -> None:
    workflow = _load(WORKFLOW_DIR / name)
    for job in workflow["jobs"].values():
        assert job["environment"] in {"staging", "prod"}
        assert job["concurrency"]["group"].endswith(f"-{job['environment']}")
        assert job["concurrency"]["cancel-in-progress"] is False
