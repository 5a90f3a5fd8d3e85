"""Read a JSON argument of a synthesized stack: a JSON string, or `${jsonencode(...)}` of a structure
holding Terraform references (stacks/policy.py `terraform_json`), decoded with each reference as the
`${...}` string it stood for in a JSON string and each `base64decode("...")` as its string."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

_BARE = re.compile(r"[A-Za-z_][\w.\-]*(?:\[\d+\][\w.\-]*)*")
_BASE64 = re.compile(r'base64decode\("([A-Za-z0-9+/=]*)"\)')


def decoded(value: str) -> Any:
    """The structure of a JSON argument, references as `${reference}` strings."""
    if not (value.startswith("${jsonencode(") and value.endswith(")}")):
        return json.loads(value)
    return json.loads(_as_json(value[len("${jsonencode(") : -2]))


def _as_json(expression: str) -> str:
    """cdktf's rendering of an object (`{"k" = v, ...}`, bare references) as JSON text."""
    out: list[str] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char == '"':
            end = i + 1
            while expression[end] != '"':
                end += 2 if expression[end] == "\\" else 1
            out.append(expression[i : end + 1])
            i = end + 1
        elif (encoded := _BASE64.match(expression, i)) is not None:
            out.append(json.dumps(base64.b64decode(encoded.group(1)).decode()))
            i = encoded.end()
        elif expression.startswith(" = ", i):
            out.append(": ")
            i += 3
        elif (bare := _BARE.match(expression, i)) is not None:
            word = bare.group(0)
            out.append(word if word in ("true", "false", "null") else json.dumps("${" + word + "}"))
            i = bare.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)
