"""Two-sample statistics of a numeric feature, computed from counts in the baseline's bins."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import numpy.typing as npt
from scipy.special import kolmogorov

from mlops_kit.drift.categorical_statistics import chi_square_homogeneity

# Half a count added to every bin (Jeffreys' prior) before taking logarithms: a bin that is empty
# on one side would otherwise make the PSI infinite. Negligible once bins hold dozens of values.
_PSI_PSEUDOCOUNT = 0.5


@dataclass(frozen=True)
class NumericStatistics:
    """PSI, binned Kolmogorov-Smirnov, chi-square on the bins and binned Wasserstein-1 of current
    against baseline. KS is most sensitive to shifts of location, the chi-square test to changes of
    spread and shape (it weighs the tails as much as the middle)."""

    psi: float
    ks_statistic: float
    ks_pvalue: float
    chi2_pvalue: float
    wasserstein: float
    wasserstein_normed: float | None


def population_stability_index(baseline: npt.NDArray[np.int64], current: npt.NDArray[np.int64]) -> float:
    """Sum over bins of (q - p) * ln(q / p), p and q the smoothed baseline and current shares."""
    expected = _smoothed_shares(baseline.tolist())
    actual = _smoothed_shares(current.tolist())
    return sum((q - p) * math.log(q / p) for p, q in zip(expected, actual))


def binned_ks(baseline: npt.NDArray[np.int64], current: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Kolmogorov-Smirnov statistic between the binned CDFs and its two-sided p-value.

    The statistic is the exact two-sample statistic restricted to the bin edges, so it never
    exceeds the exact one and falls short of it by at most the largest share of one bin. The
    p-value is the asymptotic Kolmogorov distribution at the effective sample size
    n*m/(n+m), with Stephens' small-sample correction of its argument: within 2% of scipy's
    exact-n `kstwo` for p >= 0.001 from an effective size of 50 up, at a thousandth of its cost.
    Both are conservative for binned data.
    """
    n, m = int(baseline.sum()), int(current.sum())
    distance = max(_cdf_gaps(baseline.tolist(), current.tolist()))
    if distance == 0.0:
        return 0.0, 1.0
    root_n = math.sqrt(n * m / (n + m))
    pvalue = float(kolmogorov((root_n + 0.12 + 0.11 / root_n) * distance))
    return distance, min(max(pvalue, 0.0), 1.0)


def binned_wasserstein(
    baseline: npt.NDArray[np.int64],
    current: npt.NDArray[np.int64],
    bin_locations: npt.NDArray[np.float64],
) -> float:
    """Wasserstein-1 distance with each bin's mass placed at its location (the training bin mean).

    Mass beyond the outermost edges sits at the outer bins' locations, so a shift far past the
    training range is measured only up to the range's end.
    """
    locations = bin_locations.tolist()
    steps = [high - low for low, high in zip(locations, locations[1:])]
    gaps = _cdf_gaps(baseline.tolist(), current.tolist())
    return float(sum(gap * step for gap, step in zip(gaps, steps)))


def numeric_statistics(
    baseline: npt.NDArray[np.int64],
    current: npt.NDArray[np.int64],
    bin_locations: npt.NDArray[np.float64],
    baseline_std: float,
) -> NumericStatistics:
    """All numeric statistics; both count arrays must hold at least one value."""
    ks_statistic, ks_pvalue = binned_ks(baseline, current)
    wasserstein = binned_wasserstein(baseline, current, bin_locations)
    normed = wasserstein / baseline_std if baseline_std > 0 else None
    return NumericStatistics(
        psi=population_stability_index(baseline, current),
        ks_statistic=ks_statistic,
        ks_pvalue=ks_pvalue,
        chi2_pvalue=chi_square_homogeneity(baseline, current)[1],
        wasserstein=wasserstein,
        wasserstein_normed=normed if normed is None or math.isfinite(normed) else None,
    )


def _cdf_gaps(baseline: list[int], current: list[int]) -> list[float]:
    """|F_baseline - F_current| at each bin's upper edge."""
    n, m = sum(baseline), sum(current)
    return [abs(low / n - high / m) for low, high in zip(accumulate(baseline), accumulate(current))]


def _smoothed_shares(counts: list[int]) -> list[float]:
    # Bins are few (at most 100): plain Python beats numpy's per-call cost on arrays this short.
    total = sum(counts) + _PSI_PSEUDOCOUNT * len(counts)
    return [(count + _PSI_PSEUDOCOUNT) / total for count in counts]
