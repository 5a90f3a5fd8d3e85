"""IAM policy documents as plain data, so constructs stay readable and tests can inspect them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

Statement = dict[str, Any]


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    effect: str = "Allow",
    condition: dict[str, Any] | None = None,
) -> Statement:
    body: Statement = {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": list(resources)}
    if condition:
        body["Condition"] = condition
    return body


def document(statements: Iterable[Statement]) -> str:
    """A policy document as the JSON string Terraform expects (Terraform tokens stay intact)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, *, source_account: str | None = None) -> str:
    """A trust policy letting one AWS service assume the role, optionally only for this account."""
    trust: Statement = {
        "Sid": "ServiceAssumesRole",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return document([trust])


def principal_trust(principals: Sequence[str]) -> str:
    """A trust policy letting the named IAM principals (roles or account roots) assume the role."""
    return document(
        [
            {
                "Sid": "TrustedPrincipalsAssumeRole",
                "Effect": "Allow",
                "Principal": {"AWS": list(principals)},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    )
