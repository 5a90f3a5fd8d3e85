"""Baselines on the kit's side, where a problem is the user's input error: reading a baseline
document, and building a baseline from a data file (CSV or Parquet)."""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from mlops_kit.drift.baseline import build_baseline
from mlops_kit.drift.baseline_document import Baseline, BaselineError
from mlops_kit.drift.sources import TABLE_SUFFIXES, is_table_name
from mlops_kit.errors import BadInput


def load_baseline(text: str | bytes, *, source: str = "baseline") -> Baseline:
    """Parse a baseline document; BadInput naming `source` if it is invalid."""
    try:
        return Baseline.from_json(text)
    except BaselineError as error:
        raise BadInput(f"{source}: {error}") from error


def read_data_table(name: str, data: bytes) -> pd.DataFrame:
    """A CSV (header row; may be gzipped) or Parquet table, chosen by the name's suffix.

    BadInput naming it if it has another suffix, cannot be parsed, or holds no rows or no columns.
    """
    if not is_table_name(name):
        raise BadInput(f"{name}: expected a data file ending in {', '.join(TABLE_SUFFIXES)}")
    lowered = name.lower()
    try:
        if lowered.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_csv(io.BytesIO(data), compression="gzip" if lowered.endswith(".gz") else None)
    except Exception as error:
        # pandas and pyarrow raise a wide range of parser errors; each means the file is unusable.
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise BadInput(f"{name}: cannot read it: {first_line}") from error
    if frame.empty:
        raise BadInput(f"{name}: holds no data ({len(frame)} rows, {len(frame.columns)} columns)")
    return frame


def read_data_file(path: Path) -> pd.DataFrame:
    """read_data_table of a local file; BadInput if it is not one."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    return read_data_table(path.name, path.read_bytes())


def baseline_of_frame(
    frame: pd.DataFrame,
    *,
    categorical: Collection[str] = (),
    metadata: Mapping[str, str] | None = None,
) -> Baseline:
    """build_baseline with a problem (e.g. a categorical column the frame lacks) as BadInput."""
    try:
        return build_baseline(frame, categorical=categorical, metadata=metadata)
    except BaselineError as error:
        raise BadInput(str(error)) from error


def baseline_of_table(name: str, data: bytes, *, categorical: Collection[str] = ()) -> Baseline:
    """The baseline of a CSV/Parquet table's bytes (non-numeric columns are categorical)."""
    return baseline_of_frame(read_data_table(name, data), categorical=categorical, metadata={"data": name})
