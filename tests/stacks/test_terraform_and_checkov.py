"""The real terraform binary validates every stack, and checkov finds nothing to fail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.terraform import repository_root, run_terraform
from stacks.checkov_skips import checkov_baseline, skips_in

ENVS = ["dev", "staging", "prod"]
CHECKOV = repository_root(Path(__file__)) / ".tools" / "checkov" / "bin" / "checkov"


@pytest.mark.parametrize("name", ENVS)
def test_terraform_validate_passes(synthesized: Any, name: str) -> None:
    stack_dir = synthesized.stack_file(name).parent
    run_terraform(stack_dir, "init", "-backend=false", "-input=false")
    result = run_terraform(stack_dir, "validate", "-json", check=False)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0


def run_checkov(stack_file: Path, baseline: Path | None) -> dict[str, Any]:
    args = [
        str(CHECKOV),
        "-f",
        str(stack_file),
        "--framework",
        "terraform_json",
        "--skip-download",
        "-o",
        "json",
    ]
    if baseline is not None:
        args += ["--baseline", str(baseline)]
    completed = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(completed.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.mark.parametrize("name", ENVS)
def test_checkov_reports_zero_failed_checks(synthesized: Any, name: str, tmp_path: Path) -> None:
    stack_file = synthesized.stack_file(name)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(checkov_baseline(stack_file)))
    report = run_checkov(stack_file, baseline)
    # With a baseline and nothing left to report, checkov prints only a summary object.
    failed = [(c["check_id"], c["resource"]) for c in report.get("results", {}).get("failed_checks", [])]
    assert failed == []
    assert report.get("summary", report)["failed"] == 0


@pytest.mark.parametrize("name", ENVS)
def test_every_checkov_skip_is_needed_and_has_a_reason(synthesized: Any, name: str) -> None:
    """Without the recorded skips checkov fails exactly those checks: no skip is stale or unexplained."""
    stack_file = synthesized.stack_file(name)
    skips = skips_in(synthesized.stack(name))
    assert all(len(reason) > 20 for reason in skips.values())
    report = run_checkov(stack_file, baseline=None)
    failed = {(c["resource"], c["check_id"]) for c in report["results"]["failed_checks"]}
    assert failed == set(skips)
    assert report["summary"]["passed"] > 100  # the scan really ran over the stack
