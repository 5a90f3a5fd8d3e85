"""Blue/green traffic shifting: which fleet answers each request while an endpoint updates.

SageMaker's deployment guardrails move traffic from the old (blue) fleet to the new (green) one in
phases: a canary share (or linear steps) that bakes, then all of it while the blue fleet waits to be
terminated. `traffic_phases` turns a `DeploymentConfig` into those phases; `TrafficShift` routes the
requests of one phase. Routing is counter-based rather than random, so a test can count: with a 20%
share, exactly one request in five (the 5th, 10th, ...) goes to green.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrafficPhase:
    """Green's share of requests (0 to 1) and how long the phase lasts, in policy seconds."""

    green_share: float
    policy_seconds: float


def _canary_share(size: dict[str, Any], blue_instances: int) -> float:
    value = float(size.get("Value") or 0)
    if size.get("Type") == "INSTANCE_COUNT":
        # Requests spread over instances: n green instances next to the blue fleet's count.
        return min(1.0, value / max(blue_instances, 1))
    return min(1.0, value / 100)


def traffic_phases(deployment: dict[str, Any], blue_instances: int = 1) -> list[TrafficPhase]:
    """The phases of a blue/green update; the last one sends all traffic to green and lasts the
    blue fleet's termination wait. Without a routing configuration, all traffic shifts at once."""
    blue_green = deployment.get("BlueGreenUpdatePolicy") or {}
    routing = blue_green.get("TrafficRoutingConfiguration") or {}
    wait = float(routing.get("WaitIntervalInSeconds") or 0)
    termination = float(blue_green.get("TerminationWaitInSeconds") or 0)
    kind = routing.get("Type")
    phases: list[TrafficPhase] = []
    if kind == "CANARY":
        share = _canary_share(routing.get("CanarySize") or {}, blue_instances)
        if share < 1.0:
            phases.append(TrafficPhase(share, wait))
    elif kind == "LINEAR":
        step = _canary_share(routing.get("LinearStepSize") or {"Value": 100}, blue_instances) or 1.0
        for number in range(1, max(1, math.ceil(1 / step))):
            phases.append(TrafficPhase(min(1.0, number * step), wait))
    else:
        # ALL_AT_ONCE: the wait interval bakes the green fleet with all traffic.
        termination += wait
    phases.append(TrafficPhase(1.0, termination))
    return phases


@dataclass
class TrafficShift:
    """One phase's routing between the blue and green endpoint configurations."""

    blue_config: str
    green_config: str
    green_share: float
    _requests: int = 0
    _to_green: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_config(self) -> str:
        """The configuration that answers the next request: green whenever the requests so far
        owe it one (the n-th request goes green when floor(n * share) grows)."""
        with self._lock:
            self._requests += 1
            if math.floor(self._requests * self.green_share + 1e-9) > self._to_green:
                self._to_green += 1
                return self.green_config
            return self.blue_config
