"""The compiled bin counter gives exactly numpy's counts, on every kind of value it takes."""

from __future__ import annotations

import importlib.util
import threading

import numpy as np
import pytest

import mlops_kit.drift.baseline as baseline
from mlops_kit.drift.baseline import count_numeric, count_numeric_with_numpy, float32_cut_points


def test_the_compiled_counter_is_built_by_the_install() -> None:
    # `make setup` installs the kit with its C extension; without it the engine is ~3x slower.
    assert importlib.util.find_spec("mlops_kit.drift._bin_counts") is not None, (
        "mlops_kit/drift/_bin_counts.c was not built: run `.venv/bin/pip install --no-deps -e .` "
        "with a C compiler present"
    )
    assert baseline._compiled_count_bins is not None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_and_numpy_counts_agree_on_random_values_and_edges(
    rng: np.random.Generator, dtype: type[np.floating]
) -> None:
    for trial in range(400):
        length = int(rng.integers(0, 70))  # every remainder of the four-value blocks
        values = rng.normal(0, 1, length) * 10.0 ** float(rng.integers(-3, 4))
        if trial % 3 == 0:
            values = np.round(values, 1)  # ties with the edges
        for special, share in ((np.nan, 0.1), (np.inf, 0.05), (-np.inf, 0.05), (-0.0, 0.05), (5e-324, 0.02)):
            values[rng.random(length) < share] = special
        finite = values[np.isfinite(values)]
        edge_count = int(rng.integers(0, 40))  # more than one pass of 16 edges, and none at all
        edges = np.unique(rng.choice(finite, edge_count)) if len(finite) and edge_count else np.array([])
        if trial % 2:
            edges = float32_cut_points(edges)
        typed = values.astype(dtype)

        compiled, compiled_missing = count_numeric(typed, edges)
        expected, expected_missing = count_numeric_with_numpy(typed, edges)

        assert compiled.tolist() == expected.tolist(), f"trial {trial}"
        assert compiled_missing == expected_missing


def test_long_columns_count_the_same_both_ways(rng: np.random.Generator) -> None:
    values = rng.lognormal(0, 1, 1_000_003)
    values[rng.random(len(values)) < 0.01] = np.nan
    edges = float32_cut_points(np.quantile(values[~np.isnan(values)], np.arange(1, 10) / 10))

    counts, missing = count_numeric(values, edges)

    assert counts.tolist() == count_numeric_with_numpy(values, edges)[0].tolist()
    assert int(counts.sum()) + missing == len(values)
    assert missing == int(np.isnan(values).sum())


@pytest.mark.parametrize(
    "make",
    [
        lambda values: values[::2],  # not contiguous
        lambda values: values.astype(">f8"),  # not in the machine's byte order
        lambda values: np.round(values * 100).astype(np.int64),  # integers
        lambda values: values.astype(np.float16),
    ],
    ids=["strided", "big-endian", "int64", "float16"],
)
def test_values_the_compiled_counter_does_not_take_are_counted_with_numpy(
    rng: np.random.Generator, make: object
) -> None:
    values = make(rng.normal(0, 1, 10_001))  # type: ignore[operator]
    edges = np.array([-50.0, -0.5, 0.0, 0.25, 75.0])
    as_float = np.asarray(values, dtype=np.float64)
    expected = np.bincount(np.searchsorted(edges, as_float, side="left"), minlength=len(edges) + 1)

    counts, missing = count_numeric(values, edges)

    assert counts.tolist() == expected.tolist()
    assert missing == 0


def test_columns_count_concurrently_with_the_same_results(rng: np.random.Generator) -> None:
    columns = [rng.normal(index, 1, 200_000) for index in range(8)]
    edges = float32_cut_points(np.linspace(-2, 9, 12))
    expected = [count_numeric_with_numpy(column, edges)[0].tolist() for column in columns]
    results: dict[int, list[int]] = {}

    def count(index: int) -> None:
        results[index] = count_numeric(columns[index], edges)[0].tolist()

    threads = [threading.Thread(target=count, args=(index,)) for index in range(len(columns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [results[index] for index in range(len(columns))] == expected


def test_the_compiled_counter_rejects_buffers_that_do_not_fit() -> None:
    counter = baseline._compiled_count_bins
    assert counter is not None
    values, edges = np.zeros(8), np.array([0.5, 1.5])

    with pytest.raises(ValueError, match="type code must be 'd' or 'f'"):
        counter(values, "i", edges, np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="one int64 per edge"):
        counter(values, "d", edges, np.zeros(3, dtype=np.int64))
