"""IAM policy documents (and other JSON arguments) as plain data, so constructs stay readable and tests
can inspect them, rendered so both `cdktf synth` and `cdktf synth --hcl` give valid Terraform."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from cdktf import Fn, Token

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


def terraform_json(value: Any, *, sort_keys: bool = False) -> str:
    """`value` as the JSON string a Terraform argument takes.

    With Terraform references inside (an ARN of another resource), as `jsonencode()` of the structure:
    Terraform evaluates it to the same JSON, and `cdktf synth --hcl` renders it as HCL, where a JSON
    string embedding references comes out with its quotes unescaped (invalid HCL).
    """
    text = json.dumps(value, sort_keys=sort_keys)
    return Fn.jsonencode(_quote_free(value)) if Token.is_unresolved(text) else text


def terraform_jsonencode(value: Any) -> str:
    """`value` as `jsonencode()` of the structure, always: for JSON whose strings hold quotes (e.g. a
    dashboard's SEARCH expressions), which `cdktf synth --hcl` would leave unescaped in a JSON string."""
    return Fn.jsonencode(_quote_free(value))


def _quote_free(value: Any) -> Any:
    """`value` with every string holding a quote, backslash or line break given as `base64decode()` of
    it: cdktf writes the strings inside a `jsonencode()` without escaping them."""
    if isinstance(value, dict):
        return {key: _quote_free(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quote_free(item) for item in value]
    if isinstance(value, str) and any(c in value for c in '"\\\n') and not Token.is_unresolved(value):
        return Fn.base64decode(base64.b64encode(value.encode()).decode())
    return value


def document(statements: Iterable[Statement]) -> str:
    """A policy document as the JSON Terraform expects (Terraform references stay intact)."""
    return terraform_json({"Version": "2012-10-17", "Statement": list(statements)})


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
