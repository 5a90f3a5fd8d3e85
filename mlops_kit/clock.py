"""The kit's one clock: the current time, timezone-aware in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC (aware)."""
    return datetime.now(UTC)
