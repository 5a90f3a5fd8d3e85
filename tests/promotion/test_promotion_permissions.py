"""The promotion role may do what promotion writes to its bucket, and no more: read and write
objects (copies of artifacts and drift baselines, the default drift baseline, drift reports) and
delete only under models/, where a copy that failed its sha256 check is removed."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from tests.stacks.terraform_json import decoded

ENVS = ["dev", "staging", "prod"]


def promotion_statements(stack: dict[str, Any], env: Environment) -> list[dict[str, Any]]:
    roles = stack["resource"]["aws_iam_role"]
    role_id = next(rid for rid, r in roles.items() if r["name"] == ResourceNames(env).promotion_role)
    policies = [
        p
        for p in stack["resource"]["aws_iam_role_policy"].values()
        if p["role"] == f"${{aws_iam_role.{role_id}.id}}"
    ]
    return [s for p in policies for s in decoded(p["policy"])["Statement"]]


@pytest.mark.parametrize("name", ENVS)
def test_promotion_role_may_delete_only_unverified_copies(
    synthesized: Any, environments: dict[str, Environment], name: str
) -> None:
    env = environments[name]
    statements = promotion_statements(synthesized.stack(name), env)
    s3_actions = {a for s in statements for a in s["Action"] if a.startswith("s3:")}
    assert s3_actions == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetBucketLocation",
        "s3:GetObjectVersion",
        "s3:DeleteObject",
    }
    deletes = [s for s in statements if "s3:DeleteObject" in s["Action"]]
    assert len(deletes) == 1 and deletes[0]["Action"] == ["s3:DeleteObject"]
    assert len(deletes[0]["Resource"]) == 1 and deletes[0]["Resource"][0].endswith("/models/*")
    # Listing versions is for `kit audit verify` (an overwritten record leaves a version behind),
    # and only in the audit log's bucket.
    versions = [s for s in statements if "s3:ListBucketVersions" in s["Action"]]
    assert [r for s in versions for r in s["Resource"]] == [
        f"arn:aws:s3:::{env.name_prefix}-{env.name}-audit-{env.account_id}"
    ]


@pytest.mark.parametrize("name", ENVS)
def test_promotion_role_publishes_drift_metrics_to_the_drift_namespace_only(
    synthesized: Any, environments: dict[str, Environment], name: str
) -> None:
    """`kit drift run --env` runs as the promotion role and publishes the check's metrics."""
    from mlops_kit.drift.publication import DRIFT_NAMESPACE

    statements = promotion_statements(synthesized.stack(name), environments[name])
    metrics = [s for s in statements if "cloudwatch:PutMetricData" in s["Action"]]
    assert len(metrics) == 1 and metrics[0]["Action"] == ["cloudwatch:PutMetricData"]
    assert metrics[0]["Condition"] == {"StringEquals": {"cloudwatch:namespace": DRIFT_NAMESPACE}}
