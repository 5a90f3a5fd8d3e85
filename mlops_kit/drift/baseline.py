"""Building the training baseline: quantile bins per numeric feature, categories per categorical
one, and the training data's counts in them; and the bin counters the drift check shares.

The document itself (data model, JSON reading, writing and validation) is baseline_document.py.
Both modules are shipped as source into SageMaker processing containers (the training pipeline's
preprocess step builds the baseline there), so they import only numpy, pandas and the standard
library, and each other: inside the kit as mlops_kit.drift modules, in a job's lib/ folder as
top-level ones.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

try:
    from mlops_kit.drift.baseline_document import (
        BASELINE_FORMAT,
        BASELINE_FORMAT_VERSION,
        Baseline,
        BaselineError,
        CategoricalFeature,
        Counts,
        Feature,
        Floats,
        NumericFeature,
    )
except ImportError:  # shipped into a job's lib/ folder beside baseline_document.py
    from baseline_document import (  # type: ignore[import-not-found,no-redef]
        BASELINE_FORMAT,
        BASELINE_FORMAT_VERSION,
        Baseline,
        BaselineError,
        CategoricalFeature,
        Counts,
        Feature,
        Floats,
        NumericFeature,
    )

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_FORMAT_VERSION",
    "Baseline",
    "BaselineError",
    "CategoricalFeature",
    "Counts",
    "Feature",
    "Floats",
    "NumericFeature",
    "build_baseline",
]

DEFAULT_BINS = 10
DEFAULT_MAX_CATEGORIES = 100
UNSEEN_LABEL = "unseen"

# Values are compared against the edges in blocks this long, so the temporary boolean mask stays
# in the CPU cache instead of costing one full-length allocation per edge.
_BLOCK = 1 << 17
# Frames shorter than this are counted in one thread: starting threads would cost more.
_PARALLEL_ROWS = 1 << 18
_MAX_THREADS = 8
# Categorical codes are counted by one comparison per category up to this many categories, above
# it by np.bincount.
_COMPARED_CATEGORIES = 32
_FLOAT32_MAX = float(np.finfo(np.float32).max)

# The compiled counter (mlops_kit/drift/_bin_counts.c), built when the kit is installed. This file
# also ships alone, into the training and drift jobs' images, where count_numeric uses numpy.
try:
    from mlops_kit.drift._bin_counts import count_bins as _compiled_count_bins
except ImportError:
    _compiled_count_bins = None  # type: ignore[assignment]

Item = TypeVar("Item")
Result = TypeVar("Result")


def build_baseline(
    frame: pd.DataFrame,
    *,
    bins: int = DEFAULT_BINS,
    categorical: Collection[str] = (),
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    metadata: Mapping[str, str] | None = None,
    threads: int | None = None,
) -> Baseline:
    """Baseline of every column: quantile bins for numeric ones, category lists for the others.

    Numeric columns (int or float, not bool) get up to `bins` bins cut at the training quantiles,
    the outer two open-ended; columns named in `categorical`, and all non-numeric ones, keep their
    `max_categories` most frequent categories (the rest count as "unseen"). Columns are processed
    on `threads` threads (default: one per CPU, up to 8, for frames of 262,144 rows or more).
    """
    if not 2 <= bins <= 100:
        raise BaselineError(f"bins must be between 2 and 100, not {bins}")
    if max_categories < 1:
        raise BaselineError(f"max_categories must be at least 1, not {max_categories}")
    unknown = sorted(set(categorical) - {str(c) for c in frame.columns})
    if unknown:
        raise BaselineError(f"categorical columns not in the frame: {', '.join(unknown)}")
    # Columns are taken out of the frame here, in one thread, so the workers never touch it.
    columns = [(str(column), frame[column]) for column in frame.columns]

    def feature_of(column: tuple[str, pd.Series]) -> Feature:
        name, series = column
        if name in categorical or not is_numeric_series(series):
            return _categorical_feature(name, series, max_categories)
        return _numeric_feature(name, numeric_values(series), bins)

    features = map_concurrently(feature_of, columns, threads=column_threads(len(frame), threads))
    return Baseline(features=tuple(features), rows=len(frame), metadata=dict(metadata or {}))


def is_numeric_series(series: pd.Series) -> bool:
    """Whether a column is binned by quantiles (ints and floats; bools are categories)."""
    return is_numeric_dtype(series.dtype)


def is_numeric_dtype(dtype: Any) -> bool:
    """Whether columns of this type are binned by quantiles (ints and floats, not bools)."""
    return bool(pd.api.types.is_numeric_dtype(dtype)) and not pd.api.types.is_bool_dtype(dtype)


def numeric_values(series: pd.Series) -> npt.NDArray[Any]:
    """The column as a numpy array without copying plain int/float data; missing values are NaN."""
    dtype = series.dtype
    values: npt.NDArray[Any]
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        values = series.to_numpy()
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def count_numeric(values: npt.NDArray[Any], edges: Floats) -> tuple[Counts, int]:
    """Counts per bin (len(edges) + 1, right-closed bins) and the number of NaN values.

    Exact and integer-valued, so counts of shards add up to the counts of the whole.
    """
    if _compiled_count_bins is not None and compiled_counting_applies(values):
        cumulative = np.empty(len(edges), dtype=np.int64)
        missing = _compiled_count_bins(
            values, values.dtype.char, np.ascontiguousarray(edges, dtype=np.float64), cumulative
        )
        bounds: Counts = np.array([0, *cumulative.tolist(), len(values) - missing], dtype=np.int64)
        return bounds[1:] - bounds[:-1], missing
    return count_numeric_with_numpy(values, edges)


def compiled_counting_applies(values: npt.NDArray[Any]) -> bool:
    """Whether the compiled counter takes these values: contiguous native float64 or float32."""
    dtype = values.dtype
    return dtype in (np.float64, np.float32) and dtype.isnative and values.flags.c_contiguous


def count_numeric_with_numpy(values: npt.NDArray[Any], edges: Floats) -> tuple[Counts, int]:
    """count_numeric in numpy alone: for integer values, and where the compiled counter is absent."""
    # Counting values <= each edge gives the cumulative counts with one vectorised comparison per
    # edge: several times faster than a per-value np.searchsorted, whose binary search does not
    # vectorise. The values go through the CPU cache block by block, so memory is read once.
    # The loop runs ~20 numpy calls per block: Python ints and a list of limits keep it lean.
    is_float = values.dtype.kind == "f"
    narrow = is_float and values.dtype.itemsize >= 4 and decided_in_float32(edges)
    limits = list(edges.astype(np.float32) if narrow else edges)  # same answers: float32_cut_points
    cumulative = [0] * len(limits)
    present = 0
    size = min(len(values), _BLOCK)
    mask = np.empty(size, dtype=bool)
    narrowed = np.empty(size if narrow and values.dtype != np.float32 else 0, dtype=np.float32)
    less_equal, count_nonzero = np.less_equal, np.count_nonzero
    # Values beyond float32's range become +-inf when narrowed: on the same side of every edge.
    with np.errstate(over="ignore"):
        for start in range(0, len(values), _BLOCK):
            block = values[start : start + _BLOCK]
            length = len(block)
            if len(narrowed):
                np.copyto(narrowed[:length], block, casting="same_kind")
                block = narrowed[:length]
            block_mask = mask[:length]
            for index, limit in enumerate(limits):
                less_equal(block, limit, out=block_mask)
                cumulative[index] += int(count_nonzero(block_mask))
            # NaN is the only value not <= +inf. The maximum, which is NaN if any value is, finds
            # them faster than that comparison; integers are never NaN.
            if is_float and np.isnan(block.max(initial=-np.inf)):
                present += int(count_nonzero(less_equal(block, np.inf, out=block_mask)))
            else:
                present += length
    bounds: Counts = np.array([0, *cumulative, present], dtype=np.int64)
    return bounds[1:] - bounds[:-1], len(values) - present


def float32_cut_points(edges: Floats) -> Floats:
    """Each edge moved up, by at most two float32 steps, to a point where float32 rounding decides.

    The point lies halfway between neighbouring float32 numbers low < high, low's last bit even.
    Rounding to the nearest float32 (ties to even) sends every float64 at or below the point to
    low or less and every one above it to high or more, so `v <= point` is exactly
    `float32(v) <= low`: count_numeric then compares float32, half the bytes of float64.
    Edges beyond float32's range, or closer together than a few float32 steps, stay as they are.
    """
    if not len(edges) or not (np.abs(edges) < _FLOAT32_MAX).all():
        return edges
    below = edges.astype(np.float32)
    below = np.where(below.astype(np.float64) > edges, np.nextafter(below, np.float32(-np.inf)), below)
    # `below` is the largest float32 <= edge; of it and its next two, the first even one whose
    # midpoint with its successor is at or above the edge (one of the two above always is).
    candidates = [below]
    for _ in range(2):
        candidates.append(np.nextafter(candidates[-1], np.float32(np.inf)))
    moved = np.full(len(edges), np.nan)
    for low in reversed(candidates):
        point = _float32_midpoint(low)
        moved = np.where(((low.view(np.uint32) & 1) == 0) & (point >= edges), point, moved)
    if not (np.diff(moved) > 0).all() or not decided_in_float32(moved):
        return edges
    return moved


def decided_in_float32(edges: Floats) -> bool:
    """Whether every edge is a float32_cut_points point, so float32 comparisons are exact."""
    if not len(edges) or not (np.abs(edges) < _FLOAT32_MAX).all() or not _rounds_subnormals():
        return False
    low = edges.astype(np.float32)  # the point is a tie, which rounds to its even neighbour
    return bool(((low.view(np.uint32) & 1) == 0).all() and (_float32_midpoint(low) == edges).all())


def _float32_midpoint(low: npt.NDArray[np.float32]) -> Floats:
    high = np.nextafter(low, np.float32(np.inf))
    # Neighbouring float32 numbers add up exactly in float64, and halving is exact too.
    midpoint: Floats = (low.astype(np.float64) + high.astype(np.float64)) / 2
    return midpoint


def _rounds_subnormals() -> bool:
    """False if flush-to-zero or denormals-are-zero is on (some native libraries switch it on for
    the whole process): that breaks the rounding argument near zero, so compare in float64."""
    smallest = np.float32(np.finfo(np.float32).smallest_subnormal)
    converted = np.array([float(smallest)]).astype(np.float32)
    return bool(converted[0] == smallest and not np.less_equal(converted, np.float32(0.0))[0])


def column_threads(rows: int, requested: int | None) -> int:
    """Threads to process columns of a frame with: `requested`, or by default one per CPU (up to
    8) for frames long enough to pay for them."""
    if requested is not None:
        if requested < 1:
            raise BaselineError(f"threads must be at least 1, not {requested}")
        return requested
    return min(os.cpu_count() or 1, _MAX_THREADS) if rows >= _PARALLEL_ROWS else 1


def map_concurrently(
    function: Callable[[Item], Result], items: Sequence[Item], *, threads: int
) -> list[Result]:
    """`function` of each item, in order, on up to `threads` threads.

    numpy releases the GIL inside its comparisons and sorts, so columns are counted side by side.
    """
    threads = min(threads, len(items))
    if threads < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=threads) as executor:
        return list(executor.map(function, items))


def category_label(value: object) -> str:
    """The string a category is known by, so 3, 3.0 and "3" from CSV all name the same one."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def count_categorical(series: pd.Series, categories: Sequence[str]) -> tuple[Counts, int]:
    """Counts per category of `categories` plus a final "unseen" bucket, and the missing count."""
    distinct, distinct_counts, missing = _distinct_counts(series)
    position = {label: index for index, label in enumerate(categories)}
    unseen = len(categories)
    targets = np.array([position.get(category_label(value), unseen) for value in distinct], dtype=np.intp)
    counts = np.zeros(len(categories) + 1, dtype=np.int64)
    np.add.at(counts, targets, distinct_counts)
    return counts, missing


def _distinct_counts(series: pd.Series) -> tuple[list[object], Counts, int]:
    """Each distinct non-missing value with its count, and the number of missing values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # The integer codes behind the categories, without the Series that .cat.codes builds.
        codes = np.asarray(series.array.codes)
        values = list(series.cat.categories)
        counts = count_codes(codes, len(values))
        return values, counts, int(len(codes) - counts.sum())
    value_counts = series.value_counts(dropna=True, sort=False)
    missing = int(len(series) - value_counts.sum())
    distinct_counts: Counts = np.asarray(value_counts.to_numpy(), dtype=np.int64)
    return list(value_counts.index), distinct_counts, missing


def count_codes(codes: npt.NDArray[Any], categories: int) -> Counts:
    """How often each code 0 .. categories - 1 occurs (negative codes, i.e. missing, are left out)."""
    if categories > _COMPARED_CATEGORIES:
        present = codes[codes >= 0]
        return np.bincount(present, minlength=categories).astype(np.int64)
    # Few categories: one comparison per code over cache-sized blocks. np.bincount would first
    # widen every 1- or 2-byte code to 8 bytes, which costs more than a dozen comparisons.
    counts = [0] * categories
    # Codes of up to 32 categories are 1-byte integers: blocks 8 times as long as those of floats
    # take as much cache and need fewer calls.
    size = _BLOCK * 8
    mask = np.empty(min(len(codes), size), dtype=bool)
    for start in range(0, len(codes), size):
        block = codes[start : start + size]
        block_mask = mask[: len(block)]
        for code in range(categories):
            np.equal(block, code, out=block_mask)
            counts[code] += int(np.count_nonzero(block_mask))
    return np.array(counts, dtype=np.int64)


def _numeric_feature(name: str, values: npt.NDArray[Any], bins: int) -> NumericFeature:
    # One sort gives the quantiles and the bin means: numpy's vectorised sort is faster than the
    # selection np.quantile runs for each cut point.
    ordered = np.sort(values.astype(np.float64, copy=False))
    # Sorted, -inf comes first and +inf then NaN last: the finite values are a slice, not a copy.
    finite = ordered[np.searchsorted(ordered, -np.inf, "right") : np.searchsorted(ordered, np.inf, "left")]
    if len(finite):
        edges = float32_cut_points(np.unique(_linear_quantiles(finite, np.arange(1, bins) / bins)))
        mean, std = float(finite.mean()), float(finite.std())
        minimum, maximum = float(finite[0]), float(finite[-1])
    else:
        edges, mean, std = np.empty(0), 0.0, 0.0
        minimum = maximum = math.nan
    counts, missing = count_numeric(values, edges)
    return NumericFeature(
        name=name,
        edges=edges,
        counts=counts,
        bin_means=_bin_means(finite, edges),
        missing=missing,
        mean=mean,
        std=std,
        minimum=minimum,
        maximum=maximum,
    )


def _linear_quantiles(ordered: Floats, probabilities: Floats) -> Floats:
    """Quantiles of sorted values, interpolated linearly (numpy's default "linear" method)."""
    positions = probabilities * (len(ordered) - 1)
    lower = np.floor(positions).astype(np.intp)
    upper = np.minimum(lower + 1, len(ordered) - 1)
    fraction = positions - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def _bin_means(ordered: Floats, edges: Floats) -> Floats:
    """Mean of the sorted finite training values per bin; an empty bin takes its edges' middle."""
    bounds = np.concatenate([[0], np.searchsorted(ordered, edges, side="right"), [len(ordered)]])
    means = np.empty(len(edges) + 1)
    for index in range(len(edges) + 1):
        start, stop = bounds[index], bounds[index + 1]
        if stop > start:
            means[index] = ordered[start:stop].mean()
        elif len(edges) == 0:
            means[index] = 0.0
        else:
            means[index] = (edges[max(index - 1, 0)] + edges[min(index, len(edges) - 1)]) / 2
    return means


def _categorical_feature(name: str, series: pd.Series, max_categories: int) -> CategoricalFeature:
    distinct, distinct_counts, missing = _distinct_counts(series)
    totals: dict[str, int] = {}
    for value, count in zip(distinct, distinct_counts.tolist()):
        if count:
            label = category_label(value)
            totals[label] = totals.get(label, 0) + count
    # Most frequent first, ties by label, so the same frame always gives the same document.
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    kept = ranked[:max_categories]
    tail = sum(count for _, count in ranked[max_categories:])
    counts = np.array([count for _, count in kept] + [tail], dtype=np.int64)
    return CategoricalFeature(
        name=name, categories=tuple(label for label, _ in kept), counts=counts, missing=missing
    )
