"""The stacks of three environments sharing one account declare no name twice, and wire drift
retraining inside the account (no forwarding rule, no bus policy)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.config import load_all_environments
from tests.config.test_account_layout import shared_account_copy

ENVS = ["dev", "staging", "prod"]
# Attributes that hold a resource's name where AWS wants it unique in the account (or globally).
NAME_ATTRIBUTES = ("name", "bucket", "alarm_name", "cluster_name", "node_group_name", "table_name")


@pytest.fixture(scope="module")
def one_account_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from stacks.app import build_app

    root = tmp_path_factory.mktemp("one-account-synth")
    envs = load_all_environments(shared_account_copy(root / "environments"))
    build_app(envs, outdir=str(root / "out"), emulator=False, state_dir=str(root / "state")).synth()
    return {name: json.loads((root / "out" / "stacks" / name / "cdk.tf.json").read_text()) for name in ENVS}


def declared_names(stack: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for kind, resources in stack["resource"].items():
        if kind in ("aws_iam_role_policy",):  # named within their role
            continue
        for body in resources.values():
            for attribute in NAME_ATTRIBUTES:
                value = body.get(attribute)
                if isinstance(value, str) and "${" not in value:
                    found.add((kind, value))
    return found


def test_no_two_stacks_of_one_account_declare_the_same_name(one_account_stacks: dict[str, Any]) -> None:
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for env, stack in one_account_stacks.items():
        for name in declared_names(stack):
            owners[name].append(env)
    assert {name: envs for name, envs in owners.items() if len(envs) > 1} == {}
    assert len(owners) > 80  # the check saw the stacks' names (about 30 each)


def test_drift_retrains_inside_the_account_without_forwarding(one_account_stacks: dict[str, Any]) -> None:
    for env in ("staging", "prod"):
        assert "aws_cloudwatch_event_rule" not in one_account_stacks[env]["resource"]
    dev = one_account_stacks["dev"]["resource"]
    assert "aws_cloudwatch_event_bus_policy" not in dev
    (rule,) = dev["aws_cloudwatch_event_rule"].values()
    pattern = json.loads(rule["event_pattern"])
    assert pattern["account"] == ["111111111111"]
    assert pattern["detail"]["alarmName"] == [
        {"prefix": "mlkit-drift.tumor-classifier."},
        {"prefix": "mlkit-quality.tumor-classifier."},
    ]


def test_the_shared_copy_really_is_one_account(tmp_path: Path) -> None:
    envs = load_all_environments(shared_account_copy(tmp_path / "environments"))
    assert {env.account_id for env in envs.values()} == {"111111111111"}
