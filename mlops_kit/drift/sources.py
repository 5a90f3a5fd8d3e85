"""Where current data comes from: local CSV/Parquet files, or objects under a prefix of a store.

The engine never talks to S3 itself: the caller passes an `ObjectStore` (the CLI layer wraps an
S3 client in one, tests and local runs use `LocalDirectoryStore`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

import pandas as pd

from mlops_kit.drift.baseline_document import Baseline
from mlops_kit.drift.histogram import CurrentHistogram, histogram_of_frame, merge_histograms
from mlops_kit.drift.parquet_streaming import histogram_of_parquet
from mlops_kit.errors import BadInput

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


class ObjectStore(Protocol):
    """Lists keys under a prefix and reads an object's bytes (an S3 bucket, a local folder)."""

    def list_keys(self, prefix: str) -> Iterable[str]:
        """Every key starting with `prefix`."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The object's content."""
        ...


@dataclass(frozen=True)
class LocalDirectoryStore:
    """A local folder seen as an object store: keys are paths relative to `root`, with '/'."""

    root: Path

    def list_keys(self, prefix: str) -> list[str]:
        """Files under the root whose relative path starts with `prefix`, sorted."""
        if not self.root.is_dir():
            raise BadInput(f"{self.root} is not a folder")
        keys = (path.relative_to(self.root).as_posix() for path in self.root.rglob("*"))
        return sorted(key for key in keys if key.startswith(prefix) and (self.root / key).is_file())

    def read_bytes(self, key: str) -> bytes:
        """The file's content."""
        return (self.root / key).read_bytes()


def is_table_name(name: str) -> bool:
    """Whether a file or key name is one the kit reads as a table (CSV, gzipped CSV, Parquet)."""
    return name.lower().endswith(TABLE_SUFFIXES)


def read_table(name: str, data: bytes, baseline: Baseline) -> pd.DataFrame:
    """Parse CSV (with a header row) or Parquet bytes, chosen by the name's suffix.

    Categorical features are read from CSV as text, so a category is known by the text it was
    written as. BadInput naming the file if it cannot be parsed.
    """
    lowered = name.lower()
    try:
        if lowered.endswith((".parquet", ".pq")):
            return pd.read_parquet(io.BytesIO(data))
        if lowered.endswith((".csv", ".csv.gz")):
            categorical = {f.name: str for f in baseline.features if f.kind == "categorical"}
            return pd.read_csv(
                io.BytesIO(data),
                dtype=categorical,
                compression="gzip" if lowered.endswith(".gz") else None,
            )
    except Exception as error:
        # pandas and pyarrow raise a wide range of parser errors; each means this file is unusable.
        raise BadInput(f"cannot read {name}: {error}") from error
    raise BadInput(f"cannot read {name}: expected one of {', '.join(TABLE_SUFFIXES)}")


def histogram_of_files(paths: Sequence[Path], baseline: Baseline) -> CurrentHistogram:
    """The merged histogram of local CSV/Parquet files; BadInput if there are none."""
    if not paths:
        raise BadInput("no input files given")
    histograms = []
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path} is not a file")
        if path.name.lower().endswith((".parquet", ".pq")):
            # Row group by row group: memory stays bounded however large the file.
            histograms.append(_naming(str(path), partial(histogram_of_parquet, path, baseline)))
            continue
        frame = read_table(path.name, path.read_bytes(), baseline)
        histograms.append(_histogram_naming(str(path), frame, baseline))
    return merge_histograms(baseline, histograms)


def histogram_of_prefix(store: ObjectStore, prefix: str, baseline: Baseline) -> CurrentHistogram:
    """The merged histogram of every CSV/Parquet object under `prefix` (other objects are ignored).

    BadInput if the prefix holds no table.
    """
    keys = [key for key in store.list_keys(prefix) if is_table_name(key)]
    if not keys:
        raise BadInput(f"no CSV or Parquet objects under {prefix!r}")
    return histogram_of_keys(store, keys, baseline)


def histogram_of_keys(store: ObjectStore, keys: Iterable[str], baseline: Baseline) -> CurrentHistogram:
    """The merged histogram of the given CSV/Parquet objects, read one at a time."""
    return merge_histograms(
        baseline,
        (_histogram_naming(key, read_table(key, store.read_bytes(key), baseline), baseline) for key in keys),
    )


def keys_for_shard(keys: Iterable[str], shard_index: int, shard_count: int) -> list[str]:
    """This shard's share of the keys: every shard_count-th of the sorted keys, from shard_index."""
    if not 0 <= shard_index < shard_count:
        raise BadInput(f"shard index {shard_index} is not in 0..{shard_count - 1}")
    return sorted(keys)[shard_index::shard_count]


def _histogram_naming(source: str, frame: pd.DataFrame, baseline: Baseline) -> CurrentHistogram:
    """histogram_of_frame, with the file named in a schema error."""
    return _naming(source, lambda: histogram_of_frame(frame, baseline))


def _naming(source: str, count: Callable[[], CurrentHistogram]) -> CurrentHistogram:
    try:
        return count()
    except BadInput as error:
        if error.message.startswith(f"{source}:") or error.message.startswith("cannot read"):
            raise
        raise BadInput(f"{source}: {error.message}", hint=error.hint) from error
