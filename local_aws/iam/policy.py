"""Policy documents compiled once (cached by their text) and evaluated against one request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from local_aws.iam.conditions import Context, conditions_hold
from local_aws.iam.matching import Unsupported, action_matches, arn_like


class Match(Enum):
    """How a resource policy's Principal names the caller: directly (its ARN, a service, `*`) or
    only through its account, which delegates the decision to the account's identity policies."""

    NONE = 0
    ACCOUNT = 1
    DIRECT = 2


@dataclass(frozen=True)
class Caller:
    """Who sends a request, in the forms a Principal element can name."""

    arn: str  # user, role session, account root, or the service's name
    account: str
    kind: str  # "root", "user", "role-session", "service", "web-identity", "anonymous"
    role_arn: str | None = None  # the role of a role session
    service: str | None = None
    federated: str | None = None  # OIDC provider ARN for web identity


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any
    condition: Mapping[str, Any]

    def applies(self, action: str, resource: str) -> bool:
        if self.not_actions is not None:
            if any(action_matches(p, action) for p in self.not_actions):
                return False
        elif not any(action_matches(p, action) for p in self.actions):
            return False
        if self.not_resources is not None:
            return not any(arn_like(p, resource) for p in self.not_resources)
        if self.resources is None:  # trust policies name no resource
            return True
        return any(arn_like(p, resource) for p in self.resources)


@dataclass(frozen=True)
class Outcome:
    denied: bool
    allowed: Match  # for identity policies DIRECT means allowed


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _statement(raw: Mapping[str, Any]) -> Statement:
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise Unsupported(f"statement effect {effect!r}")
    if "NotPrincipal" in raw:
        raise Unsupported("NotPrincipal")
    condition = raw.get("Condition") or {}
    if not isinstance(condition, dict):
        raise Unsupported("Condition that is not an object")
    return Statement(
        effect=effect,
        actions=_strings(raw.get("Action", ())),
        not_actions=_strings(raw["NotAction"]) if "NotAction" in raw else None,
        resources=_strings(raw["Resource"]) if "Resource" in raw else None,
        not_resources=_strings(raw["NotResource"]) if "NotResource" in raw else None,
        principal=raw.get("Principal"),
        condition=condition,
    )


@lru_cache(maxsize=4096)
def compile_policy(text: str) -> tuple[Statement, ...]:
    """Parse a policy document once; later evaluations of the same text reuse it."""
    document = json.loads(text)
    raw = document.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    return tuple(_statement(s) for s in statements)


def _account_root(account: str) -> tuple[str, str]:
    return account, f"arn:aws:iam::{account}:root"


def principal_match(principal: Any, caller: Caller) -> Match:
    """How a Principal element names the caller (AWS never accepts wildcards other than `*`)."""
    if principal == "*":
        return Match.DIRECT
    if not isinstance(principal, dict):
        raise Unsupported(f"Principal {principal!r}")
    best = Match.NONE
    for kind, raw in principal.items():
        for name in _strings(raw):
            if kind == "AWS":
                if name == "*":
                    return Match.DIRECT
                if caller.kind in ("role-session", "user", "root") and name in (caller.arn, caller.role_arn):
                    return Match.DIRECT
                if caller.kind in ("role-session", "user", "root") and name in _account_root(caller.account):
                    best = Match.ACCOUNT if caller.kind != "root" else Match.DIRECT
            elif kind == "Service":
                if caller.kind == "service" and name == caller.service:
                    return Match.DIRECT
            elif kind == "Federated":
                if caller.kind == "web-identity" and name == caller.federated:
                    return Match.DIRECT
            else:
                raise Unsupported(f"Principal type {kind}")
    return best


def evaluate(
    policies: Sequence[str],
    action: str,
    resource: str,
    context: Context,
    caller: Caller | None = None,
) -> Outcome:
    """Evaluate identity policies (caller None) or one resource policy (caller given, Principal
    checked). An explicit Deny ends the evaluation; Unsupported propagates (and so denies)."""
    allowed = Match.NONE
    for text in policies:
        for statement in compile_policy(text):
            if not statement.applies(action, resource):
                continue
            how = Match.DIRECT
            if caller is not None:
                how = principal_match(statement.principal, caller)
                if how is Match.NONE:
                    continue
            if not conditions_hold(statement.condition, context):
                continue
            if statement.effect == "Deny":
                return Outcome(denied=True, allowed=Match.NONE)
            if how.value > allowed.value:
                allowed = how
    return Outcome(denied=False, allowed=allowed)
