"""An approval counts for the package version and the artifact it approved, nothing else."""

from __future__ import annotations

from mlops_kit.promotion.approvals import approvers_of
from mlops_kit.promotion.audit import AuditEvent

ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package/mlkit-staging-tumor-classifier/4"
SHA = "a" * 64


def approval(actor: str, arn: str = ARN, sha: str = SHA) -> AuditEvent:
    return AuditEvent(
        model="tumor-classifier",
        kind="approval",
        actor=actor,
        outcome="approved",
        target_env="prod",
        source_version_arn=arn,
        artifact_sha256=sha,
    )


def test_an_approval_counts_for_the_version_and_artifact_it_names() -> None:
    assert approvers_of([approval("lead")], ARN, SHA) == ["lead"]


def test_an_approval_of_another_artifact_of_the_same_version_does_not_count() -> None:
    assert approvers_of([approval("lead", sha="b" * 64)], ARN, SHA) == []


def test_an_approval_of_another_version_does_not_count() -> None:
    assert approvers_of([approval("lead", arn=ARN.replace("/4", "/5"))], ARN, SHA) == []


def test_an_approval_recorded_before_artifacts_were_bound_does_not_count() -> None:
    assert approvers_of([approval("lead", sha="")], ARN, SHA) == []
