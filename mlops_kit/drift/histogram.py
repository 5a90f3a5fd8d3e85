"""Counts of the data being checked, in the baseline's bins: the unit that shards compute and merge.

A histogram holds only integers, so adding the histograms of shards gives exactly the histogram of
the whole input, in any order and any split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True, eq=False)
class FeatureCounts:
    """One feature's counts per baseline bin (categorical: last is "unseen") and missing values."""

    counts: Counts
    missing: int

    def __add__(self, other: FeatureCounts) -> FeatureCounts:
        return FeatureCounts(counts=self.counts + other.counts, missing=self.missing + other.missing)


@dataclass(frozen=True, eq=False)
class CurrentHistogram:
    """Per-feature counts of current data against one baseline, plus the rows used and skipped."""

    baseline_fingerprint: str
    features: Mapping[str, FeatureCounts]
    rows: int
    rows_skipped: int

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
            rows_skipped=self.rows_skipped + other.rows_skipped,
        )

    def with_skipped(self, rows_skipped: int) -> CurrentHistogram:
        """The same counts with `rows_skipped` more rows reported as skipped."""
        return CurrentHistogram(
            baseline_fingerprint=self.baseline_fingerprint,
            features=self.features,
            rows=self.rows,
            rows_skipped=self.rows_skipped + rows_skipped,
        )

    def to_json(self) -> str:
        """A JSON document that a shard writes and the merging step reads back with from_json."""
        return json.dumps(
            {
                "format": HISTOGRAM_FORMAT,
                "version": HISTOGRAM_FORMAT_VERSION,
                "baseline_fingerprint": self.baseline_fingerprint,
                "rows": self.rows,
                "rows_skipped": self.rows_skipped,
                "features": {
                    name: {"counts": counts.counts.tolist(), "missing": counts.missing}
                    for name, counts in self.features.items()
                },
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
                    )
                    for name, item in document["features"].items()
                },
                rows=int(document["rows"]),
                rows_skipped=int(document["rows_skipped"]),
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
        rows_skipped=0,
    )


def merge_histograms(baseline: Baseline, histograms: Iterable[CurrentHistogram]) -> CurrentHistogram:
    """The sum of shard histograms (the empty histogram if there are none)."""
    total = empty_histogram(baseline)
    for histogram in histograms:
        total = total + histogram
    return total


def check_columns(columns: Iterable[object], baseline: Baseline) -> None:
    """BadInput naming the missing and extra columns unless `columns` are the baseline's features."""
    present = [str(column) for column in columns]
    expected = baseline.feature_names
    present_set, expected_set = set(present), set(expected)
    missing = [name for name in expected if name not in present_set]
    extra = [name for name in present if name not in expected_set]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if extra:
            parts.append(f"extra column(s): {', '.join(extra)}")
        raise BadInput(
            f"input does not match the baseline's features: {'; '.join(parts)}",
            hint=f"expected {', '.join(expected)}",
        )
    if len(set(present)) != len(present):
        raise BadInput("input has duplicate column names")


def histogram_of_frame(
    frame: pd.DataFrame, baseline: Baseline, *, threads: int | None = None
) -> CurrentHistogram:
    """Count a frame into the baseline's bins; rows with a non-number in a numeric column are skipped.

    BadInput if the frame's columns are not exactly the baseline's features. `threads` as in
    build_baseline: by default one per CPU (up to 8) for long frames.
    """
    if threads is not None and threads < 1:
        raise BadInput(f"threads must be at least 1, not {threads}")
    check_columns(frame.columns, baseline)
    frame, skipped = _drop_unparseable_rows(frame, baseline)
    # Columns are taken out of the frame here, in one thread, so the workers never touch it.
    columns = [(feature, frame[feature.name]) for feature in baseline.features]
    counted = map_concurrently(_feature_counts, columns, threads=column_threads(len(frame), threads))
    features = {feature.name: counts for feature, counts in zip(baseline.features, counted)}
    return CurrentHistogram(
        baseline_fingerprint=baseline.fingerprint,
        features=features,
        rows=len(frame),
        rows_skipped=skipped,
    )


def _feature_counts(column: tuple[Feature, pd.Series]) -> FeatureCounts:
    feature, series = column
    if isinstance(feature, CategoricalFeature):
        counts, missing = count_categorical(series, feature.categories)
    else:
        counts, missing = count_numeric(numeric_values(series), feature.edges)
    return FeatureCounts(counts=counts, missing=missing)


def _drop_unparseable_rows(frame: pd.DataFrame, baseline: Baseline) -> tuple[pd.DataFrame, int]:
    """Parse text in numeric columns to numbers; drop the rows holding text that is no number."""
    dtypes = frame.dtypes  # one lookup of every column's type, instead of a Series per column
    numeric_text = [
        feature.name
        for feature in baseline.features
        if feature.kind == "numeric" and not is_numeric_dtype(dtypes[feature.name])
    ]
    if not numeric_text:
        return frame, 0
    frame = frame.copy()
    unparseable = np.zeros(len(frame), dtype=bool)
    for name in numeric_text:
        original = frame[name]
        parsed = pd.to_numeric(original, errors="coerce")
        blank = original.isna() | original.astype(str).str.strip().eq("")
        unparseable |= (parsed.isna() & ~blank).to_numpy()
        frame[name] = parsed.astype(np.float64)
    return frame.loc[~unparseable], int(unparseable.sum())
