"""The real terraform binary validates every stack, and checkov finds nothing to fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_kit.terraform import run_terraform
from stacks.checkov_skips import skips_in
from tests.stacks.checkov_scans import CheckovScans

ENVS = ["dev", "staging", "prod"]


@pytest.mark.parametrize("name", ENVS)
def test_terraform_validate_passes(synthesized: Any, name: str) -> None:
    stack_dir = synthesized.stack_file(name).parent
    run_terraform(stack_dir, "init", "-backend=false", "-input=false")
    result = run_terraform(stack_dir, "validate", "-json", check=False)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0


@pytest.mark.parametrize("name", ENVS)
def test_checkov_reports_zero_failed_checks(checkov_scans: CheckovScans, name: str) -> None:
    report = checkov_scans.report(name, baseline=True)  # with the baseline of the recorded skips
    # With a baseline and nothing left to report, checkov prints only a summary object.
    failed = [(c["check_id"], c["resource"]) for c in report.get("results", {}).get("failed_checks", [])]
    assert failed == []
    assert report.get("summary", report)["failed"] == 0


@pytest.mark.parametrize("name", ENVS)
def test_every_checkov_skip_is_needed_and_has_a_reason(
    synthesized: Any, checkov_scans: CheckovScans, name: str
) -> None:
    """Without the recorded skips checkov fails exactly those checks: no skip is stale or unexplained."""
    skips = skips_in(synthesized.stack(name))
    assert all(len(reason) > 20 for reason in skips.values())
    report = checkov_scans.report(name, baseline=False)
    failed = {(c["resource"], c["check_id"]) for c in report["results"]["failed_checks"]}
    assert failed == set(skips)
    assert report["summary"]["passed"] > 100  # the scan really ran over the stack
