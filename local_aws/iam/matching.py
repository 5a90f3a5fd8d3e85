"""Wildcard matching as IAM does it: actions case-insensitively, ARNs component by component."""

from __future__ import annotations

import re
from functools import lru_cache


class Unsupported(Exception):
    """A policy uses grammar the engine does not evaluate; the request is denied, never allowed."""


@lru_cache(maxsize=8192)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise Unsupported(f"policy variable in {pattern!r}")
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def string_like(pattern: str, value: str) -> bool:
    """`*` any run of characters, `?` one character; case-sensitive (StringLike)."""
    return _glob(pattern, False).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions (`s3:Get*`) match case-insensitively, as AWS documents for the Action element."""
    return _glob(pattern, True).fullmatch(action) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike/Resource: each of the six colon-separated parts matched on its own, case-sensitively;
    wildcards in the first five parts never cross a colon, the last part holds the rest."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = arn.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return string_like(pattern, arn)
    return all(string_like(w, a) for w, a in zip(wanted, actual, strict=True))
