"""The statistics, checked against scipy's reference implementations on raw samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlops_kit.drift.baseline import count_numeric
from mlops_kit.drift.categorical_statistics import chi_square_homogeneity, jensen_shannon_distance
from mlops_kit.drift.numeric_statistics import binned_ks, binned_wasserstein, population_stability_index


def _binned(
    reference: np.ndarray, current: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))
    return edges, count_numeric(reference, edges)[0], count_numeric(current, edges)[0]


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.3])
def test_binned_ks_statistic_is_within_one_bin_share_below_scipys_exact_statistic(
    rng: np.random.Generator, shift: float
) -> None:
    reference, current = rng.normal(size=4_000), rng.normal(shift, 1.2, size=3_000)
    _, baseline_counts, current_counts = _binned(reference, current, bins=20)

    binned, _ = binned_ks(baseline_counts, current_counts)
    exact = stats.ks_2samp(reference, current, method="exact").statistic

    # Restricted to the edges, the CDF gap can only be smaller, by at most one bin's share.
    largest_bin_share = max((baseline_counts / 4_000).max(), (current_counts / 3_000).max())
    assert exact - largest_bin_share <= binned <= exact + 1e-12


def test_binned_ks_equals_scipy_when_binning_loses_nothing(rng: np.random.Generator) -> None:
    # Integer data with an edge between every pair of values: the binned CDFs are the exact ones.
    reference, current = rng.poisson(5.0, 2_000), rng.poisson(5.4, 1_500)
    edges = np.arange(0.5, 30.0)
    baseline_counts, current_counts = count_numeric(reference, edges)[0], count_numeric(current, edges)[0]

    statistic, pvalue = binned_ks(baseline_counts, current_counts)
    reference_result = stats.ks_2samp(reference, current, method="asymp")

    assert statistic == pytest.approx(reference_result.statistic, abs=1e-12)
    # Asymptotic Kolmogorov with Stephens' correction against scipy's exact-n kstwo: within 5%.
    assert pvalue == pytest.approx(reference_result.pvalue, rel=0.05)


def test_ks_pvalue_is_one_for_identical_histograms() -> None:
    counts = np.array([10, 20, 30])

    assert binned_ks(counts, counts * 3) == (0.0, 1.0)


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift(rng: np.random.Generator) -> None:
    reference = rng.normal(size=20_000)
    small_edges, base, small = _binned(reference, rng.normal(0.2, 1.0, 20_000), bins=10)
    _, _, large = _binned(reference, rng.normal(1.0, 1.0, 20_000), bins=10)

    assert population_stability_index(base, base * 2) == pytest.approx(0.0, abs=1e-4)
    assert 0.02 < population_stability_index(base, small) < population_stability_index(base, large)
    assert len(small_edges) == 9


def test_psi_matches_its_textbook_value() -> None:
    baseline, current = np.array([500, 300, 200]), np.array([300, 300, 400])
    p, q = (baseline + 0.5) / 1001.5, (current + 0.5) / 1001.5

    assert population_stability_index(baseline, current) == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_binned_wasserstein_approaches_scipys_as_bins_get_finer(rng: np.random.Generator) -> None:
    reference, current = rng.normal(size=50_000), rng.normal(0.5, 1.0, size=50_000)
    exact = stats.wasserstein_distance(reference, current)
    errors = []
    for bins in (10, 50):
        edges, base, cur = _binned(reference, current, bins)
        index = np.searchsorted(edges, reference, side="left")
        locations = np.bincount(index, weights=reference) / np.bincount(index)
        errors.append(abs(binned_wasserstein(base, cur, locations) - exact))

    assert errors[0] < 0.1 * exact
    assert errors[1] < errors[0]


def test_chi_square_matches_scipys_contingency_test() -> None:
    baseline, current = np.array([400, 300, 200, 100]), np.array([90, 110, 60, 40])

    statistic, pvalue = chi_square_homogeneity(baseline, current)
    reference = stats.chi2_contingency(np.vstack([baseline, current]), correction=False)

    assert statistic == pytest.approx(reference.statistic)
    assert pvalue == pytest.approx(reference.pvalue)


def test_chi_square_tests_an_unseen_category_like_any_other() -> None:
    baseline, current = np.array([500, 500, 0]), np.array([400, 400, 200])

    _, pvalue = chi_square_homogeneity(baseline, current)

    assert pvalue < 1e-10


def test_chi_square_pools_sparse_categories_instead_of_exploding() -> None:
    # Two rare categories, each expected about once: unpooled, one stray value would dominate.
    baseline, current = np.array([5_000, 5_000, 2, 2, 0]), np.array([500, 500, 0, 1, 1])

    _, pvalue = chi_square_homogeneity(baseline, current)

    assert pvalue > 0.01


def test_jensen_shannon_distance_matches_scipy_in_base_two() -> None:
    baseline, current = np.array([50, 30, 20, 0]), np.array([20, 30, 40, 10])

    assert jensen_shannon_distance(baseline, current) == pytest.approx(
        jensenshannon(baseline / 100, current / 100, base=2)
    )


def test_jensen_shannon_distance_is_zero_for_same_shares_and_one_for_disjoint() -> None:
    assert jensen_shannon_distance(np.array([1, 2, 0]), np.array([10, 20, 0])) == pytest.approx(0.0)
    assert jensen_shannon_distance(np.array([5, 0]), np.array([0, 7])) == pytest.approx(1.0)
