"""How extensions patch moto: wrap a method of one of moto's classes, keeping the original."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def wrap(cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace `cls.name` with `make(original)`."""
    setattr(cls, name, make(getattr(cls, name)))
