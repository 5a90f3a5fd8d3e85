"""Parquet files counted row group by row group, a few columns at a time: memory stays bounded
whatever the file's width and length, and the counts are exactly those of the whole frame.

pyarrow is imported inside the functions: the drift job's image ships this package without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mlops_kit.drift.baseline import build_baseline, column_threads, map_concurrently
from mlops_kit.drift.baseline_document import Baseline, Feature
from mlops_kit.drift.histogram import (
    CurrentHistogram,
    FeatureCounts,
    check_columns,
    feature_counts,
    histogram_of_frame,
)
from mlops_kit.errors import BadInput

# Bytes of column data decoded at a time (one row group, a subset of its columns): about 64 MiB
# of float64 values, plus pyarrow's own buffers of the same size.
READ_BYTES = 64 << 20
DEFAULT_SAMPLE_ROWS = 200_000


def histogram_of_parquet(path: Path, baseline: Baseline, *, threads: int | None = None) -> CurrentHistogram:
    """The histogram of a Parquet file, read one row group and a few columns at a time.

    Gives exactly histogram_of_frame's counts of the whole file when every numeric feature is
    stored as numbers; a file storing one as text (whose rows with non-numbers must be dropped
    across all columns) is read whole instead.
    """
    parquet = _open(path)
    names = parquet.schema_arrow.names
    missing, extra = check_columns(names, baseline)
    present = [feature for feature in baseline.features if feature.name not in set(missing)]
    if any(not _stored_as_numbers(parquet, feature) for feature in present if feature.kind == "numeric"):
        return histogram_of_frame(parquet.read().to_pandas(), baseline, threads=threads)
    totals: dict[str, FeatureCounts] = {
        feature.name: FeatureCounts(counts=np.zeros(len(feature.counts), dtype=np.int64), missing=0)
        for feature in baseline.features
    }
    reads = [
        (group, chunk)
        for group in range(parquet.num_row_groups)
        for chunk in _column_chunks(present, parquet.metadata.row_group(group).num_rows)
    ]

    def read(index: int) -> Any:
        group, chunk = reads[index]
        return parquet.read_row_group(group, columns=[feature.name for feature in chunk])

    # The next chunk is read (pyarrow releases the GIL) while this one is counted: at most two
    # chunks are in memory at a time.
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(read, 0) if reads else None
        for index, (_, chunk) in enumerate(reads):
            assert pending is not None
            table = pending.result()
            pending = reader.submit(read, index + 1) if index + 1 < len(reads) else None
            columns = [(feature, _series(table.column(feature.name))) for feature in chunk]
            threads_here = column_threads(table.num_rows * len(chunk), threads)
            for feature, counts in zip(
                chunk, map_concurrently(feature_counts, columns, threads=threads_here)
            ):
                totals[feature.name] = totals[feature.name] + counts
            del table, columns
    rows = sum(parquet.metadata.row_group(group).num_rows for group in range(parquet.num_row_groups))
    return CurrentHistogram(
        baseline_fingerprint=baseline.fingerprint,
        features=totals,
        rows=rows,
        missing_columns=frozenset(missing),
        extra_columns=frozenset(extra),
    )


def baseline_of_parquet_sample(
    path: Path, *, sample_rows: int = DEFAULT_SAMPLE_ROWS, categorical: Sequence[str] = ()
) -> Baseline:
    """A baseline of whole row groups spread evenly over the file, about `sample_rows` rows in all,
    built a few columns at a time: memory bounded by the sample's size for those columns."""
    parquet = _open(path)
    groups = parquet.num_row_groups
    if groups == 0 or parquet.metadata.num_rows == 0:
        raise BadInput(f"{path}: holds no data")
    unknown = sorted(set(categorical) - set(parquet.schema_arrow.names))
    if unknown:
        raise BadInput(f"categorical columns not in {path.name}: {', '.join(unknown)}")
    per_group = max(parquet.metadata.num_rows // groups, 1)
    wanted = min(groups, max(1, -(-sample_rows // per_group)))
    chosen = sorted({round(index * (groups - 1) / max(wanted - 1, 1)) for index in range(wanted)})
    rows = sum(parquet.metadata.row_group(group).num_rows for group in chosen)
    names = parquet.schema_arrow.names
    width = max(1, READ_BYTES // max(rows * 8, 1))
    features: list[Feature] = []
    for start in range(0, len(names), width):
        columns = names[start : start + width]
        frame = parquet.read_row_groups(chosen, columns=columns).to_pandas()
        part = build_baseline(frame, categorical=[name for name in categorical if name in columns])
        features.extend(part.features)
        del frame
    metadata = {"data": path.name, "sample_rows": str(rows)}
    return Baseline(features=tuple(features), rows=rows, metadata=metadata)


def _open(path: Path) -> Any:
    import pyarrow.parquet as pq

    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    try:
        return pq.ParquetFile(path)
    except Exception as error:
        # pyarrow raises several error types for a file that is not Parquet; each means unusable.
        raise BadInput(f"cannot read {path.name}: {error}") from error


def _stored_as_numbers(parquet: Any, feature: Feature) -> bool:
    import pyarrow as pa

    kind = parquet.schema_arrow.field(feature.name).type
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _column_chunks(features: Sequence[Feature], rows: int) -> list[list[Feature]]:
    width = max(1, READ_BYTES // max(rows * 8, 1))
    return [list(features[start : start + width]) for start in range(0, len(features), width)]


def _series(column: Any) -> Any:
    """A pandas Series of one column, without copying plain float data with no nulls."""
    return column.to_pandas()
