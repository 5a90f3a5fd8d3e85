"""Two-sample statistics of a categorical feature, computed from counts per category."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

# Categories expected to hold fewer values than this in either sample are pooled into one cell
# before the chi-square test: its chi-square approximation is unreliable below about five.
_MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class CategoricalStatistics:
    """Chi-square homogeneity test and Jensen-Shannon distance of current against baseline."""

    chi2_statistic: float
    chi2_pvalue: float
    js_distance: float
    unseen: int


def chi_square_homogeneity(
    baseline: npt.NDArray[np.int64], current: npt.NDArray[np.int64]
) -> tuple[float, float]:
    """Pearson's chi-square statistic and p-value that both samples share one distribution.

    Works on the 2 x k table of counts, so a category absent from the baseline (the "unseen"
    bucket) is tested like any other; sparse categories are pooled first.
    """
    table = np.vstack([baseline, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    row_totals = table.sum(axis=1, keepdims=True)
    expected = row_totals * table.sum(axis=0) / table.sum()
    sparse = expected.min(axis=0) < _MIN_EXPECTED
    if sparse.any():
        pooled = table[:, sparse].sum(axis=1, keepdims=True)
        table = np.hstack([table[:, ~sparse], pooled])
        expected = row_totals * table.sum(axis=0) / table.sum()
    degrees_of_freedom = table.shape[1] - 1
    if degrees_of_freedom < 1:
        return 0.0, 1.0
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(chdtrc(degrees_of_freedom, statistic))


def jensen_shannon_distance(baseline: npt.NDArray[np.int64], current: npt.NDArray[np.int64]) -> float:
    """Square root of the base-2 Jensen-Shannon divergence of the two shares: 0 same, 1 disjoint."""
    p = baseline / baseline.sum()
    q = current / current.sum()
    mixture = (p + q) / 2
    divergence = (_kl_to(p, mixture) + _kl_to(q, mixture)) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def categorical_statistics(
    baseline: npt.NDArray[np.int64], current: npt.NDArray[np.int64]
) -> CategoricalStatistics:
    """All categorical statistics; counts end with the "unseen" bucket, both hold a value."""
    statistic, pvalue = chi_square_homogeneity(baseline, current)
    return CategoricalStatistics(
        chi2_statistic=statistic,
        chi2_pvalue=pvalue,
        js_distance=jensen_shannon_distance(baseline, current),
        unseen=int(current[-1]),
    )


def _kl_to(shares: npt.NDArray[np.float64], mixture: npt.NDArray[np.float64]) -> float:
    present = shares > 0
    return float(np.sum(shares[present] * np.log2(shares[present] / mixture[present])))
