"""The CI/CD templates: valid workflows whose `kit` and `make` commands exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import main

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), path
    return document


def _run_lines() -> list[str]:
    lines = []
    for path in WORKFLOWS:
        for job in _load(path)["jobs"].values():
            for step in job["steps"]:
                lines += [line.strip() for line in str(step.get("run", "")).splitlines() if line.strip()]
    return lines


def _commands(tool: str) -> list[list[str]]:
    """Each `kit ...` / `make ...` / `npx cdktf ...` invocation in a run line, as words."""
    found = []
    for line in _run_lines():
        words = shlex.split(line)
        for i, word in enumerate(words):
            if word == tool or word.endswith(f"/bin/{tool}"):
                found.append(words[i + 1 :])
    return found


def _options(words: list[str]) -> set[str]:
    """The long options a command line uses, also inside `${VAR:+--option ...}`."""
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", " ".join(words)))


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "main.yml", "promote.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_has_triggers_and_jobs_of_steps(path: Path) -> None:
    workflow = _load(path)
    # YAML 1.1 reads the bare key `on` as True.
    assert workflow.get("on", workflow.get(True)), f"{path.name}: no triggers"
    assert workflow["jobs"], f"{path.name}: no jobs"
    for name, job in workflow["jobs"].items():
        assert job["runs-on"], f"{path.name}: job {name} has no runner"
        assert job["steps"] and all("run" in s or "uses" in s for s in job["steps"]), f"{path.name}: {name}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_aws_access_is_oidc_with_role_from_repository_variables(path: Path) -> None:
    workflow = _load(path)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials"):
                assert job["permissions"]["id-token"] == "write"
                assert step["with"]["role-to-assume"].startswith(("${{ vars.", "${{ vars["))
                assert "aws-access-key-id" not in step["with"]


def test_promotion_jobs_wait_for_environment_reviewers() -> None:
    workflow = _load(REPO / ".github" / "workflows" / "promote.yml")
    assert "workflow_dispatch" in workflow.get("on", workflow.get(True))
    assert {job["environment"] for job in workflow["jobs"].values()} == {"staging", "prod"}


def test_every_kit_command_the_workflows_run_exists_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = _commands("kit")
    assert commands, "no kit commands found"
    for words in commands:
        path = [w for w in words if not w.startswith(("-", "$"))][:2]
        # A group's subcommand (`pipeline run`) or a top-level command with an argument (`promote X`).
        for depth in (2, 1):
            capsys.readouterr()
            if main([*path[:depth], "--help"]) == 0:
                break
        else:
            pytest.fail(f"kit {' '.join(words)}: no such command")
        shown = capsys.readouterr().out
        missing = [o for o in _options(words) if o not in shown]
        assert not missing, f"kit {' '.join(words)}: no option {', '.join(missing)}"


def test_every_cdktf_command_the_workflows_run_exists_with_its_options() -> None:
    commands = [words[1:] for words in _commands("npx") if words[:1] == ["cdktf"]]
    assert commands, "no npx cdktf commands found"
    cdktf = REPO / "node_modules" / ".bin" / "cdktf"
    for words in commands:
        shown = subprocess.run(
            [str(cdktf), words[0], "--help"], capture_output=True, text=True, check=False, timeout=120
        )
        # cdktf prints its top-level help (exit 0) for an unknown command: the usage line must name it.
        assert shown.returncode == 0 and shown.stdout.startswith(f"cdktf {words[0]} "), shown.stdout[:200]
        missing = [o for o in _options(words) if o not in shown.stdout]
        assert not missing, f"cdktf {' '.join(words)}: no option {', '.join(missing)}"


def test_every_make_target_the_workflows_run_exists() -> None:
    targets = set(re.findall(r"^([A-Za-z][\w.-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))
    commands = _commands("make")
    assert commands, "no make commands found"
    for words in commands:
        assert words and words[0] in targets, f"make {' '.join(words)}: no such target"
