"""`kit stack diff`: the pull request's plan step, summarised for the job summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from mlops_kit.stack_diff import diff_from_plan


def _change(address: str, *actions: str) -> dict[str, Any]:
    return {"address": address, "change": {"actions": list(actions)}}


def test_summary_counts_and_names_each_change_by_kind() -> None:
    plan = {
        "resource_changes": [
            _change("aws_s3_bucket.a", "create"),
            _change("aws_iam_role.b", "update"),
            _change("aws_eks_cluster.c", "delete", "create"),
            _change("aws_kms_key.d", "delete"),
            _change("aws_vpc.e", "no-op"),
        ]
    }
    text = diff_from_plan("staging", plan).markdown()
    assert text.startswith("### Plan of staging: 1 to add, 1 to change, 1 to replace, 1 to destroy\n")
    for row in ("| add | `aws_s3_bucket.a` |", "| change | `aws_iam_role.b` |"):
        assert row in text
    assert "| replace | `aws_eks_cluster.c` |" in text and "| destroy | `aws_kms_key.d` |" in text
    assert "aws_vpc.e" not in text


def test_summary_of_a_plan_without_changes_says_so() -> None:
    plan = {"resource_changes": [_change("aws_vpc.e", "no-op"), _change("data.aws_region.r", "read")]}
    assert diff_from_plan("prod", plan).markdown() == "### Plan of prod: no changes\n"


def test_diff_refuses_an_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "diff", "qa"]) == 2
    assert "ENV: unknown environment 'qa'" in capsys.readouterr().err


@pytest.mark.emulator
@pytest.mark.slow
def test_diff_of_a_deployed_dev_names_what_the_state_lacks_in_the_job_summary(
    platform: dict[str, Any],
    synthesized: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A copy of the deployed dev's state, without the plan role's policy: the plan must add it back.
    # The session's platform and its state stay untouched (other tests change dev's endpoints).
    deployed = Path(synthesized.stack("dev", local=True)["terraform"]["backend"]["local"]["path"])
    state = json.loads(deployed.read_text())
    dropped = next(
        r for r in state["resources"] if r["type"] == "aws_iam_role_policy" and "github-plan" in r["name"]
    )
    state["resources"].remove(dropped)
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "kit"))
    monkeypatch.setenv("AWS_PROFILE", "mlkit-platform")  # Terraform runs as the platform (README: Identities)
    (tmp_path / "kit" / "terraform-state").mkdir(parents=True)
    (tmp_path / "kit" / "terraform-state" / "dev.tfstate").write_text(json.dumps(state))
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier steps' summary\n")

    code = main(["stack", "diff", "dev", "--output", str(tmp_path / "out"), "--summary", str(summary)])

    assert code == 0
    text = summary.read_text()
    assert text.startswith("earlier steps' summary\n### Plan of dev: ")
    assert f"| add | `{dropped['type']}.{dropped['name']}` |" in text
    assert "0 to destroy" in text
