"""Counts of the data being checked, in the baseline's bins: the unit that shards compute and merge.

A histogram holds only integers, so adding the histograms of shards gives exactly the histogram of
the whole input, in any order and any split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from mlops_kit.drift.baseline import (
    column_threads,
    count_categorical,
    count_numeric,
    is_numeric_dtype,
    map_concurrently,
    numeric_values,
)
from mlops_kit.drift.baseline_document import Baseline, CategoricalFeature, Counts, Feature
from mlops_kit.errors import BadInput

HISTOGRAM_FORMAT = "mlops-kit/drift-histogram"
HISTOGRAM_FORMAT_VERSION = 1
_RANGE_SLACK = 1e-9


@dataclass(frozen=True, eq=False)
class FeatureCounts:
    """One feature's counts per baseline bin (categorical: last is "unseen") and missing values,
    with its data quality: values below and above the training range (numeric features) and
    values that are no number where a number belongs (their rows are skipped)."""

    counts: Counts
    missing: int
    below_range: int = 0
    above_range: int = 0
    invalid: int = 0

    def __add__(self, other: FeatureCounts) -> FeatureCounts:
        return FeatureCounts(
            counts=self.counts + other.counts,
            missing=self.missing + other.missing,
            below_range=self.below_range + other.below_range,
            above_range=self.above_range + other.above_range,
            invalid=self.invalid + other.invalid,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a shard's document."""
        return {
            "counts": self.counts.tolist(),
            "missing": self.missing,
            "below_range": self.below_range,
            "above_range": self.above_range,
            "invalid": self.invalid,
        }


@dataclass(frozen=True, eq=False)
class CurrentHistogram:
    """Per-feature counts of current data against one baseline, plus the rows used and skipped.

    `skipped` counts skipped rows by reason: "corrupt" (capture lines that cannot be decoded, e.g.
    cut mid-line), "schema" (captured requests without the baseline's fields), "unparseable" (text
    where a number belongs). `missing_columns` are baseline features absent from some input (they
    get no verdict from it), `extra_columns` input columns the baseline does not know.
    """

    baseline_fingerprint: str
    features: Mapping[str, FeatureCounts]
    rows: int
    skipped: Mapping[str, int] = field(default_factory=dict)
    missing_columns: frozenset[str] = frozenset()
    extra_columns: frozenset[str] = frozenset()

    @property
    def rows_skipped(self) -> int:
        """Rows skipped for any reason."""
        return sum(self.skipped.values())

    def __add__(self, other: CurrentHistogram) -> CurrentHistogram:
        """The histogram of both inputs together; BadInput if they used different baselines."""
        if other.baseline_fingerprint != self.baseline_fingerprint:
            raise BadInput(
                "cannot merge histograms made against different baselines "
                f"({self.baseline_fingerprint} and {other.baseline_fingerprint})"
            )
        if set(other.features) != set(self.features):
            raise BadInput("cannot merge histograms of different features")
        return CurrentHistogram(
            baseline_fingerprint=self.baseline_fingerprint,
            features={name: counts + other.features[name] for name, counts in self.features.items()},
            rows=self.rows + other.rows,
            skipped=_added(self.skipped, other.skipped),
            missing_columns=self.missing_columns | other.missing_columns,
            extra_columns=self.extra_columns | other.extra_columns,
        )

    def with_skipped(self, reason: str, rows: int) -> CurrentHistogram:
        """The same counts with `rows` more rows reported as skipped for `reason`."""
        if not rows:
            return self
        return replace(self, skipped=_added(self.skipped, {reason: rows}))

    def to_json(self) -> str:
        """A JSON document that a shard writes and the merging step reads back with from_json."""
        return json.dumps(
            {
                "format": HISTOGRAM_FORMAT,
                "version": HISTOGRAM_FORMAT_VERSION,
                "baseline_fingerprint": self.baseline_fingerprint,
                "rows": self.rows,
                "skipped": dict(sorted(self.skipped.items())),
                "missing_columns": sorted(self.missing_columns),
                "extra_columns": sorted(self.extra_columns),
                "features": {name: counts.to_dict() for name, counts in self.features.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CurrentHistogram:
        """Parse a shard's histogram document; BadInput if it is not one."""
        try:
            document: dict[str, Any] = json.loads(text)
            if document.get("format") != HISTOGRAM_FORMAT:
                raise ValueError(f"expected format {HISTOGRAM_FORMAT!r}")
            if document.get("version") != HISTOGRAM_FORMAT_VERSION:
                raise ValueError(f"unsupported version {document.get('version')!r}")
            return cls(
                baseline_fingerprint=str(document["baseline_fingerprint"]),
                features={
                    str(name): FeatureCounts(
                        counts=np.asarray(item["counts"], dtype=np.int64),
                        missing=int(item["missing"]),
                        below_range=int(item.get("below_range", 0)),
                        above_range=int(item.get("above_range", 0)),
                        invalid=int(item.get("invalid", 0)),
                    )
                    for name, item in document["features"].items()
                },
                rows=int(document["rows"]),
                skipped={str(k): int(v) for k, v in document.get("skipped", {}).items()},
                missing_columns=frozenset(str(n) for n in document.get("missing_columns", [])),
                extra_columns=frozenset(str(n) for n in document.get("extra_columns", [])),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BadInput(f"not a drift histogram document: {error}") from error


def empty_histogram(baseline: Baseline) -> CurrentHistogram:
    """The histogram of no rows: the neutral element of +."""
    return CurrentHistogram(
        baseline_fingerprint=baseline.fingerprint,
        features={
            feature.name: FeatureCounts(counts=np.zeros(len(feature.counts), dtype=np.int64), missing=0)
            for feature in baseline.features
        },
        rows=0,
    )


def merge_histograms(baseline: Baseline, histograms: Iterable[CurrentHistogram]) -> CurrentHistogram:
    """The sum of shard histograms (the empty histogram if there are none)."""
    total = empty_histogram(baseline)
    for histogram in histograms:
        total = total + histogram
    return total


def check_columns(columns: Iterable[object], baseline: Baseline) -> tuple[list[str], list[str]]:
    """The baseline's features missing from `columns`, and the columns it does not know.

    BadInput if no feature is present (most likely data of another model) or a name repeats.
    """
    present = [str(column) for column in columns]
    expected = baseline.feature_names
    present_set, expected_set = set(present), set(expected)
    missing = [name for name in expected if name not in present_set]
    extra = [name for name in present if name not in expected_set]
    if len(missing) == len(expected):
        parts = [f"missing column(s): {', '.join(missing)}"]
        if extra:
            parts.append(f"extra column(s): {', '.join(extra)}")
        raise BadInput(
            f"input has none of the baseline's features: {'; '.join(parts)}",
            hint=f"expected {', '.join(expected)}",
        )
    if len(set(present)) != len(present):
        raise BadInput("input has duplicate column names")
    return missing, extra


def histogram_of_frame(
    frame: pd.DataFrame, baseline: Baseline, *, threads: int | None = None
) -> CurrentHistogram:
    """Count a frame into the baseline's bins; rows with a non-number in a numeric column are skipped.

    Baseline features the frame lacks are counted as absent (no values) and reported, as are
    columns the baseline does not know; BadInput if it has none of the features. `threads` as in
    build_baseline: by default one per CPU (up to 8) for long frames.
    """
    if threads is not None and threads < 1:
        raise BadInput(f"threads must be at least 1, not {threads}")
    missing, extra = check_columns(frame.columns, baseline)
    frame, invalid, dropped = _drop_unparseable_rows(frame, baseline)
    present = [feature for feature in baseline.features if feature.name not in set(missing)]
    # Columns are taken out of the frame here, in one thread, so the workers never touch it.
    columns = [(feature, frame[feature.name]) for feature in present]
    counted = map_concurrently(feature_counts, columns, threads=column_threads(len(frame), threads))
    features = {feature.name: counts for feature, counts in zip(present, counted)}
    for feature in baseline.features:
        if feature.name in features:
            features[feature.name] = replace(features[feature.name], invalid=invalid.get(feature.name, 0))
        else:
            features[feature.name] = FeatureCounts(
                counts=np.zeros(len(feature.counts), dtype=np.int64), missing=0
            )
    histogram = CurrentHistogram(
        baseline_fingerprint=baseline.fingerprint,
        features={feature.name: features[feature.name] for feature in baseline.features},
        rows=len(frame),
        missing_columns=frozenset(missing),
        extra_columns=frozenset(extra),
    )
    return histogram.with_skipped("unparseable", dropped)


def feature_counts(column: tuple[Feature, pd.Series]) -> FeatureCounts:
    """One column's counts in its feature's bins, with its values outside the training range."""
    feature, series = column
    if isinstance(feature, CategoricalFeature):
        counts, missing = count_categorical(series, feature.categories)
        return FeatureCounts(counts=counts, missing=missing)
    values = numeric_values(series)
    if not math.isfinite(feature.minimum):  # a document written before ranges were recorded
        counts, missing = count_numeric(values, feature.edges)
        return FeatureCounts(counts=counts, missing=missing)
    # The range is (-inf, low], (low, high], (high, inf): min and max widened by a relative 1e-9,
    # as text parsers differ in the last bit (pandas 1.1's in the drift job's image) and the
    # training extremes themselves must stay inside.
    slack = _RANGE_SLACK * max(abs(feature.minimum), abs(feature.maximum))
    low, high = feature.minimum - slack - np.spacing(feature.minimum), feature.maximum + slack
    edges = feature.edges
    if not len(edges) or (low < edges[0] and high > edges[-1]):
        # One pass counts the bins and the range together: the outer cuts split the outer bins.
        both, missing = count_numeric(values, np.concatenate([[low], edges, [high]]))
        counts = both[1:-1].copy()
        counts[0] += both[0]
        counts[-1] += both[-1]
        below, above = int(both[0]), int(both[-1])
    else:  # an edge beyond the range (ties at an extreme): two passes
        counts, missing = count_numeric(values, edges)
        outside, _ = count_numeric(values, np.array([low, high]))
        below, above = int(outside[0]), int(outside[2])
    return FeatureCounts(counts=counts, missing=missing, below_range=below, above_range=above)


def _added(left: Mapping[str, int], right: Mapping[str, int]) -> dict[str, int]:
    return {key: left.get(key, 0) + right.get(key, 0) for key in sorted({*left, *right})}


def _drop_unparseable_rows(
    frame: pd.DataFrame, baseline: Baseline
) -> tuple[pd.DataFrame, dict[str, int], int]:
    """Parse text in numeric columns to numbers; drop the rows holding text that is no number.

    Also returns how many such values each column held, and how many rows were dropped.
    """
    dtypes = frame.dtypes  # one lookup of every column's type, instead of a Series per column
    numeric_text = [
        feature.name
        for feature in baseline.features
        if feature.kind == "numeric" and feature.name in dtypes and not is_numeric_dtype(dtypes[feature.name])
    ]
    if not numeric_text:
        return frame, {}, 0
    frame = frame.copy()
    unparseable = np.zeros(len(frame), dtype=bool)
    invalid: dict[str, int] = {}
    for name in numeric_text:
        original = frame[name]
        parsed = pd.to_numeric(original, errors="coerce")
        blank = original.isna() | original.astype(str).str.strip().eq("")
        bad = (parsed.isna() & ~blank).to_numpy()
        if bad.any():
            invalid[name] = int(bad.sum())
        unparseable |= bad
        frame[name] = parsed.astype(np.float64)
    return frame.loc[~unparseable], invalid, int(unparseable.sum())
