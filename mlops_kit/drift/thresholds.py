"""When a feature, and when a dataset, counts as drifted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from mlops_kit.errors import BadInput


@dataclass(frozen=True)
class DriftThresholds:
    """Thresholds of the drift verdicts: a change must be both significant and material.

    A numeric feature drifts when its shape changed: the binned Kolmogorov-Smirnov test or the
    chi-square test on the baseline's bins gives a p-value below `pvalue`, and the change is
    material, a normed Wasserstein distance (Wasserstein-1 over the training standard deviation)
    of at least `wasserstein_normed` or a PSI of at least `psi`. A categorical feature drifts when
    the chi-square p-value is below `pvalue` and the Jensen-Shannon distance (base 2) is at least
    `js_distance`. Any feature drifts when its share of missing values moved by at least
    `missing_share` (absolute) with a chi-square p-value below `pvalue`. The p-value alone flags
    trivia once samples are large; the effect size alone flags noise when they are small.

    A feature with fewer than `min_samples` values on either side (missing ones included) gets no
    verdict ("insufficient_data"), nor does its shape when fewer than `min_samples` are present.
    The dataset drifts when at least `drifted_share` of the features with a verdict drifted, or
    any feature named in `critical_features` drifted.

    The defaults were chosen with benchmarks/drift_power.py (its table is in the README): under 1%
    of features flagged over 100 no-drift trials at 10k, 100k and 1M rows, and each kind of drift
    (mean shifts of 0.1 to 0.5 sd, spread x1.1 to x2, category share changes, new categories,
    missing-value jumps) found at least as often as by Evidently's default preset.
    """

    pvalue: float = 0.001
    wasserstein_normed: float = 0.05
    psi: float = 0.1
    js_distance: float = 0.05
    missing_share: float = 0.01
    drifted_share: float = 0.3
    min_samples: int = 100
    critical_features: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.pvalue < 1:
            problems.append(f"pvalue must be between 0 and 1, not {self.pvalue}")
        for name in ("wasserstein_normed", "psi"):
            value = getattr(self, name)
            if value <= 0:
                problems.append(f"{name} must be > 0, not {value}")
        for name in ("js_distance", "missing_share", "drifted_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                problems.append(f"{name} must be in (0, 1], not {value}")
        if self.min_samples < 1:
            problems.append(f"min_samples must be at least 1, not {self.min_samples}")
        if isinstance(self.critical_features, str):
            problems.append("critical_features must be a set of names, not one string")
        if problems:
            raise BadInput("invalid drift thresholds: " + "; ".join(problems))
        object.__setattr__(self, "critical_features", frozenset(self.critical_features))

    def with_critical(self, names: Iterable[str]) -> DriftThresholds:
        """The same thresholds with `names` marked critical."""
        return replace(self, critical_features=frozenset(names))

    def numeric(self) -> dict[str, float]:
        """The thresholds a numeric feature is held against, as the report shows them."""
        return {
            "pvalue": self.pvalue,
            "wasserstein_normed": self.wasserstein_normed,
            "psi": self.psi,
            "missing_share": self.missing_share,
        }

    def categorical(self) -> dict[str, float]:
        """The thresholds a categorical feature is held against, as the report shows them."""
        return {"pvalue": self.pvalue, "js_distance": self.js_distance, "missing_share": self.missing_share}

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the report (critical features sorted)."""
        return {
            "pvalue": self.pvalue,
            "wasserstein_normed": self.wasserstein_normed,
            "psi": self.psi,
            "js_distance": self.js_distance,
            "missing_share": self.missing_share,
            "drifted_share": self.drifted_share,
            "min_samples": self.min_samples,
            "critical_features": sorted(self.critical_features),
        }
