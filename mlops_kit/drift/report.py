"""The result of a drift check, and the JSON document the CLI prints for it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

REPORT_FORMAT = "mlops-kit/drift-report"
REPORT_FORMAT_VERSION = 1


class Verdict(str, Enum):
    """A feature's verdict; str() and JSON give its value."""

    DRIFT = "drift"
    NO_DRIFT = "no_drift"
    INSUFFICIENT_DATA = "insufficient_data"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's statistics, the thresholds they were held against, and its verdict.

    `statistics` holds psi, ks_statistic, ks_pvalue, wasserstein, wasserstein_normed for a
    numeric feature; chi2_statistic, chi2_pvalue, js_distance, unseen for a categorical one;
    values are None when a side has no data. `bin_labels`, `baseline_counts` and
    `current_counts` are the two histograms the statistics came from. `quality` counts the
    current data's problems: missing_share, below_range and above_range (values outside the
    training range), invalid (text where a number belongs).
    """

    name: str
    kind: Literal["numeric", "categorical"]
    verdict: Verdict
    critical: bool
    rows_baseline: int
    rows_current: int
    missing_current: int
    quality: dict[str, int | float | bool]
    statistics: dict[str, float | int | None]
    threshold: dict[str, float]
    bin_labels: tuple[str, ...]
    baseline_counts: tuple[int, ...]
    current_counts: tuple[int, ...]

    @property
    def drifted(self) -> bool:
        """Whether the verdict is drift."""
        return self.verdict is Verdict.DRIFT

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "name": self.name,
            "kind": self.kind,
            "drifted": self.drifted,
            "verdict": str(self.verdict),
            "critical": self.critical,
            "rows_baseline": self.rows_baseline,
            "rows_current": self.rows_current,
            "missing_current": self.missing_current,
            "data_quality": dict(self.quality),
            "statistics": {key: _json_number(value) for key, value in self.statistics.items()},
            "threshold": dict(self.threshold),
            "histogram": {
                "labels": list(self.bin_labels),
                "baseline": list(self.baseline_counts),
                "current": list(self.current_counts),
            },
        }


@dataclass(frozen=True)
class DriftReport:
    """The dataset verdict and every feature's result, drifted features first.

    `data_quality` holds the window's schema violations: rows skipped by reason (corrupt,
    schema, unparseable), baseline features missing from the input, and input columns the
    baseline does not know. They are reported, not fatal.
    """

    drifted: bool
    drifted_share: float
    features: tuple[FeatureDrift, ...]
    rows_baseline: int
    rows_current: int
    rows_skipped: int
    data_quality: dict[str, Any]
    thresholds: dict[str, Any]
    baseline_fingerprint: str

    @property
    def drifted_features(self) -> list[str]:
        """Names of the features whose verdict is drift."""
        return [feature.name for feature in self.features if feature.drifted]

    def feature(self, name: str) -> FeatureDrift:
        """The result of the feature called `name`; KeyError if there is none."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report document (format mlops-kit/drift-report, version 1) as plain values."""
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_FORMAT_VERSION,
            "drifted": self.drifted,
            "drifted_share": self.drifted_share,
            "drifted_features": self.drifted_features,
            "rows_baseline": self.rows_baseline,
            "rows_current": self.rows_current,
            "rows_skipped": self.rows_skipped,
            "data_quality": self.data_quality,
            "baseline_fingerprint": self.baseline_fingerprint,
            "thresholds": self.thresholds,
            "features": [feature.to_dict() for feature in self.features],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report document as strict JSON (no NaN or Infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _json_number(value: float | int | None) -> float | int | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
