"""Evaluate the expressions of a SageMaker pipeline definition: `Get` (parameters, execution
variables, step properties, property files), `Std:Join`, `Std:JsonGet` and conditions.

Pure: step properties and property files come from a `PropertySource` the caller supplies, so the
same code serves the local runner and the tests that check resolved step arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

_TOKEN = re.compile(r"([A-Za-z0-9_]+)|\['([^']*)'\]|\[(\d+)\]|\.")


class ExpressionError(ValueError):
    """A reference the definition makes cannot be resolved (unknown parameter, step or path)."""


class PropertySource(Protocol):
    """Where step properties and property files come from."""

    def step_property(self, step: str, path: list[str | int]) -> Any: ...

    def property_file(self, step: str, name: str) -> Any: ...


def parse_path(text: str) -> list[str | int]:
    """`Outputs['train'].S3Output.S3Uri` -> ["Outputs", "train", "S3Output", "S3Uri"] (indices as int)."""
    parts: list[str | int] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            raise ExpressionError(f"cannot parse the path '{text}'")
        position = match.end()
        name, key, index = match.groups()
        if name is not None:
            parts.append(name)
        elif key is not None:
            parts.append(key)
        elif index is not None:
            parts.append(int(index))
    if position != len(text):
        raise ExpressionError(f"cannot parse the path '{text}'")
    return parts


def walk(value: Any, path: list[str | int], *, where: str) -> Any:
    """Follow `path` into nested dicts and lists; a string key on a list matches an item's `*Name` field
    (how SageMaker indexes `Outputs['train']` or `FinalMetricDataList['auc']`)."""
    for part in path:
        if isinstance(value, dict) and isinstance(part, str) and part in value:
            value = value[part]
            continue
        if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
            continue
        if isinstance(value, list) and isinstance(part, str):
            matches = [
                item
                for item in value
                if isinstance(item, dict) and any(k.endswith("Name") and v == part for k, v in item.items())
            ]
            if not matches:
                raise ExpressionError(f"{where}: no item named '{part}'")
            value = matches[0]
        else:
            raise ExpressionError(f"{where}: no property '{part}'")
    return value


@dataclass
class Resolver:
    """Resolves expressions against parameter values, execution variables and a property source."""

    parameters: dict[str, Any]
    execution: dict[str, str]
    properties: PropertySource

    def resolve(self, value: Any) -> Any:
        """`value` with every expression replaced by its value (recursively)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Get"}:
            return self.get(str(value["Get"]))
        if set(value) == {"Std:Join"}:
            join = value["Std:Join"]
            return str(join.get("On", "")).join(_text(self.resolve(v)) for v in join.get("Values", []))
        if set(value) == {"Std:JsonGet"}:
            return self.json_get(value["Std:JsonGet"])
        return {key: self.resolve(item) for key, item in value.items()}

    def get(self, reference: str) -> Any:
        kind, _, rest = reference.partition(".")
        if kind == "Parameters":
            if rest not in self.parameters:
                raise ExpressionError(f"unknown parameter '{rest}'")
            return self.parameters[rest]
        if kind == "Execution":
            if rest not in self.execution:
                raise ExpressionError(f"unknown execution variable '{rest}'")
            return self.execution[rest]
        if kind == "Steps":
            step, _, path = rest.partition(".")
            return self.properties.step_property(step, parse_path(path))
        raise ExpressionError(f"unsupported reference '{reference}'")

    def json_get(self, spec: dict[str, Any]) -> Any:
        path = parse_path(str(spec["Path"]))
        if "PropertyFile" in spec:
            reference = spec["PropertyFile"]
            text = reference["Get"] if isinstance(reference, dict) else str(reference)
            parts = text.split(".")
            if len(parts) != 4 or parts[0] != "Steps" or parts[2] != "PropertyFiles":
                raise ExpressionError(f"unsupported property file reference '{text}'")
            document = self.properties.property_file(parts[1], parts[3])
            return walk(document, path, where=f"{parts[1]}.{parts[3]}")
        raise ExpressionError("Std:JsonGet without a PropertyFile is not supported by the local runner")

    def condition(self, spec: dict[str, Any]) -> bool:
        """Evaluate one condition of a condition step."""
        kind = spec["Type"]
        if kind == "Not":
            return not self.condition(spec["Expression"])
        if kind == "Or":
            return any(self.condition(c) for c in spec["Conditions"])
        if kind == "In":
            query = self.resolve(spec["QueryValue"])
            return any(_equal(query, self.resolve(v)) for v in spec["Values"])
        left, right = self.resolve(spec["LeftValue"]), self.resolve(spec["RightValue"])
        if kind == "Equals":
            return _equal(left, right)
        comparisons = {
            "GreaterThan": lambda a, b: a > b,
            "GreaterThanOrEqualTo": lambda a, b: a >= b,
            "LessThan": lambda a, b: a < b,
            "LessThanOrEqualTo": lambda a, b: a <= b,
        }
        if kind not in comparisons:
            raise ExpressionError(f"unsupported condition type '{kind}'")
        a, b = _number(left), _number(right)
        return bool(comparisons[kind](a, b))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExpressionError(f"'{value}' is not a number") from None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def referenced_steps(value: Any) -> set[str]:
    """Names of the steps an expression tree refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= referenced_steps(item)
    elif isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and get.startswith("Steps."):
            found.add(get.split(".")[1])
        for key, item in value.items():
            if key not in ("IfSteps", "ElseSteps"):
                found |= referenced_steps(item)
    return found
