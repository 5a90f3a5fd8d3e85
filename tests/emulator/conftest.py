"""Fixtures for the emulator's own behaviour: an emulated account of its own per test module.

Rollout policy time passes 3000x faster in the session's emulator (as in tests/serving and
tests/promotion), so a canary bake of N real seconds is 3000*N policy seconds.
"""

from __future__ import annotations

import os

# Read by the emulator process when the session fixture starts it (after collection).
os.environ.setdefault("KIT_EMULATOR_TIME_SCALE", "3000")


def policy_seconds(real_seconds: float) -> int:
    """Policy seconds that last `real_seconds` in the session's emulator."""
    return int(real_seconds * float(os.environ["KIT_EMULATOR_TIME_SCALE"]))
