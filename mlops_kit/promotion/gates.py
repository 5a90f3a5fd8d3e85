"""Gate evaluation: pure functions of metrics, the serving version, the drift status and approvals.

Each gate yields one `GateResult`; promotion proceeds only when all pass. Nothing here reaches AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mlops_kit.config.models import Gates


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict: `name` (e.g. `min auc`), pass/fail, and what was compared."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateResult:
        return cls(name=str(data["name"]), passed=bool(data["passed"]), detail=str(data.get("detail", "")))


@dataclass(frozen=True)
class DriftStatus:
    """The latest drift report of the source environment (`None` when there is none)."""

    drifted: bool
    generated_at: str
    key: str


def threshold_gates(metrics: Mapping[str, float], gates: Gates) -> list[GateResult]:
    """Each `min_metrics` threshold: the candidate's metric must reach it."""
    results = []
    for metric, minimum in sorted(gates.min_metrics.items()):
        value = metrics.get(metric)
        if value is None:
            results.append(GateResult(f"min {metric}", False, f"{metric} missing from the version's metrics"))
        else:
            verdict = ">=" if value >= minimum else "<"
            results.append(
                GateResult(f"min {metric}", value >= minimum, f"{value:.4f} {verdict} {minimum:.4f}")
            )
    return results


def regression_gates(
    metrics: Mapping[str, float],
    serving_metrics: Mapping[str, float] | None,
    serving_label: str,
    gates: Gates,
) -> list[GateResult]:
    """No gated metric may fall more than `max_regression` below the version serving in the target."""
    if serving_metrics is None:
        return [GateResult("no regression", True, f"nothing to compare: {serving_label}")]
    results = []
    for metric in sorted(gates.min_metrics):
        value, current = metrics.get(metric), serving_metrics.get(metric)
        if value is None:
            # The threshold gate reports a missing metric; nothing to compare here.
            results.append(GateResult(f"no regression {metric}", True, f"{metric} not measured"))
            continue
        if current is None:
            results.append(
                GateResult(f"no regression {metric}", True, f"{metric} not recorded for {serving_label}")
            )
            continue
        floor = current - gates.max_regression
        results.append(
            GateResult(
                f"no regression {metric}",
                value >= floor,
                f"{value:.4f} vs {current:.4f} serving ({serving_label}), tolerance {gates.max_regression:g}",
            )
        )
    return results


def drift_gate(status: DriftStatus | None, source_env: str, gates: Gates) -> GateResult:
    """The source's latest drift check must not have found drift; a missing check passes only when
    the target does not require one."""
    if status is None:
        if gates.require_drift_check:
            return GateResult("drift check", False, f"no drift check yet in {source_env} (required)")
        return GateResult("drift check", True, f"no drift check yet in {source_env}")
    if status.drifted:
        return GateResult("drift check", False, f"drift found in {source_env} at {status.generated_at}")
    return GateResult("drift check", True, f"no drift in {source_env} at {status.generated_at}")


def source_status_gate(status: str, label: str) -> GateResult:
    """A version rejected in its environment cannot move on."""
    return GateResult("source not rejected", status != "Rejected", f"{label} is {status}")


def all_passed(results: Sequence[GateResult]) -> bool:
    return all(r.passed for r in results)


def drift_baseline_gate(baseline_uri: str, label: str, target_env: str) -> GateResult:
    """The version must bring its drift baseline: the target's drift job compares traffic with it."""
    if not baseline_uri:
        return GateResult(
            "drift baseline",
            False,
            f"{label} records no drift_baseline_uri; "
            f"{target_env}'s drift job would have nothing to compare with",
        )
    return GateResult("drift baseline", True, baseline_uri)


def fairness_gates(fairness: Mapping[str, Any] | None, gates: Gates) -> list[GateResult]:
    """Each fairness ceiling the target sets (`max_<metric>`): the candidate's difference must not
    exceed it. A version whose model measures no fairness, or could not compare two groups, fails."""
    results = []
    for metric, ceiling in sorted(gates.fairness_ceilings.items()):
        name = f"max {metric}"
        if fairness is None:
            results.append(
                GateResult(
                    name,
                    False,
                    f"{metric} not measured: the model's contract names no fairness.sensitive_attribute "
                    f"(ceiling {ceiling:.4f})",
                )
            )
            continue
        value = fairness.get(metric)
        if value is None:
            results.append(
                GateResult(
                    name,
                    False,
                    f"{metric} not measured: fewer than two groups of "
                    f"{fairness.get('sensitive_attribute', 'the sensitive attribute')} to compare "
                    f"(ceiling {ceiling:.4f})",
                )
            )
            continue
        passed = float(value) <= ceiling
        verdict = "<=" if passed else ">"
        results.append(
            GateResult(name, passed, f"{metric} {float(value):.4f} {verdict} {ceiling:.4f} (ceiling)")
        )
    return results
