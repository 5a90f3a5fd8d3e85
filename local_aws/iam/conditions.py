"""The Condition element: AWS's operator family, set qualifiers, IfExists, and missing keys.

Rules followed (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued context
keys"): operators AND together, keys within an operator AND together, values of one key OR together;
a key absent from the request makes a positive operator false and a negated one (`...Not...`) true;
`IfExists` makes an absent key true; `Null: true` means absent; `ForAllValues` is true on an absent
key, `ForAnyValue` false. An operator or key the engine does not know raises `Unsupported`.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from local_aws.iam.matching import Unsupported, arn_like, string_like

Context = Mapping[str, str | Sequence[str]]

# Keys the request context builder can supply (lower case). A policy naming any other key is denied
# as unsupported, so that a key the engine never fills cannot make a Deny statement silently miss.
GLOBAL_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:principalservicename",
        "aws:userid",
        "aws:username",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:securetransport",
        "aws:requestedregion",
        "aws:currenttime",
        "aws:epochtime",
        "aws:sourceip",
        "aws:resourceaccount",
        "aws:viaawsservice",
        "sts:externalid",
        "sts:rolesessionname",
        "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:prefix",
        "s3:delimiter",
        "iam:passedtoservice",
        "cloudwatch:namespace",
        "events:source",
        "events:detail-type",
        "kms:calleraccount",
        "kms:viaservice",
    }
)
KEY_PREFIXES = ("kms:encryptioncontext:",)
# Web identity keys are named after the provider: token.actions.githubusercontent.com:sub.
_PROVIDER_KEY = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}(/[^:]*)?:(sub|aud|amr|azp|oaud|email)$")


def is_known_key(key: str) -> bool:
    return key in GLOBAL_KEYS or key.startswith(KEY_PREFIXES) or _PROVIDER_KEY.match(key) is not None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError as error:
        raise Unsupported(f"not a number: {text!r}") from error


def _date(text: str) -> datetime:
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise Unsupported(f"not a date: {text!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip(policy: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


Comparison = Callable[[str, str], bool]

# Base operator (without Not/IfExists/qualifier) -> comparison(policy value, request value).
_COMPARISONS: dict[str, Comparison] = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": string_like,
    "NumericEquals": lambda p, v: _number(v) == _number(p),
    "NumericLessThan": lambda p, v: _number(v) < _number(p),
    "NumericLessThanEquals": lambda p, v: _number(v) <= _number(p),
    "NumericGreaterThan": lambda p, v: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda p, v: _number(v) >= _number(p),
    "DateEquals": lambda p, v: _date(v) == _date(p),
    "DateLessThan": lambda p, v: _date(v) < _date(p),
    "DateLessThanEquals": lambda p, v: _date(v) <= _date(p),
    "DateGreaterThan": lambda p, v: _date(v) > _date(p),
    "DateGreaterThanEquals": lambda p, v: _date(v) >= _date(p),
    "Bool": lambda p, v: p.lower() == v.lower(),
    "BinaryEquals": lambda p, v: base64.b64decode(p) == base64.b64decode(v),
    "IpAddress": _ip,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
}
# Negated operators and the positive one they invert.
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _parse_operator(name: str) -> tuple[str | None, str, bool, bool]:
    """`ForAnyValue:StringNotLikeIfExists` -> (qualifier, base, negated, if_exists)."""
    qualifier: str | None = None
    if ":" in name:
        qualifier, name = name.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise Unsupported(f"condition set qualifier {qualifier}")
    if_exists = name.endswith("IfExists") and name != "Null"
    base = name[: -len("IfExists")] if if_exists else name
    if base == "Null":
        return qualifier, base, False, if_exists
    if base in _NEGATIONS:
        return qualifier, _NEGATIONS[base], True, if_exists
    if base in _COMPARISONS:
        return qualifier, base, False, if_exists
    raise Unsupported(f"condition operator {name}")


def _values(raw: Any) -> list[str]:
    return [_as_text(v) for v in raw] if isinstance(raw, list) else [_as_text(raw)]


def _one_value(base: str, negated: bool, wanted: list[str], value: str) -> bool:
    compare = _COMPARISONS[base]
    hit = any(compare(p, value) for p in wanted)
    return not hit if negated else hit


def _key_holds(operator: str, key: str, raw_wanted: Any, context: Context) -> bool:
    qualifier, base, negated, if_exists = _parse_operator(operator)
    name = key.lower()
    if not is_known_key(name):
        raise Unsupported(f"condition key {key}")
    wanted = _values(raw_wanted)
    if any("${" in value for value in wanted):
        raise Unsupported(f"policy variable in condition {operator} {key}")
    present = context.get(name)
    if base == "Null":
        absent = present is None or (not isinstance(present, str) and len(present) == 0)
        return any((w.lower() == "true") == absent for w in wanted)
    if present is None or (not isinstance(present, str) and len(present) == 0):
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    values = [present] if isinstance(present, str) else list(present)
    if qualifier == "ForAllValues":
        return all(_one_value(base, negated, wanted, v) for v in values)
    if negated and qualifier is None:
        # A negated operator on a multivalued key: no request value may match any policy value.
        return all(_one_value(base, negated, wanted, v) for v in values)
    return any(_one_value(base, negated, wanted, v) for v in values)


def conditions_hold(condition: Mapping[str, Any], context: Context) -> bool:
    """True when every operator's every key is satisfied by the request context."""
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            raise Unsupported(f"condition operator {operator} without a key block")
        for key, wanted in keys.items():
            if not _key_holds(operator, key, wanted, context):
                return False
    return True


def referenced_keys(condition: Mapping[str, Any]) -> list[str]:
    return [key for keys in condition.values() if isinstance(keys, dict) for key in keys]
