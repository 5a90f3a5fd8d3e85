"""Current data from local CSV and Parquet files, or from objects under a prefix of a store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlops_kit.drift import (
    Baseline,
    LocalDirectoryStore,
    histogram_of_files,
    histogram_of_frame,
    histogram_of_prefix,
    keys_for_shard,
    merge_histograms,
)
from mlops_kit.drift.sources import histogram_of_keys
from mlops_kit.errors import BadInput


@pytest.fixture
def table_folder(tmp_path: Path, mixed_frame: pd.DataFrame) -> Path:
    """A folder holding `mixed_frame` split over a CSV, a gzipped CSV and a Parquet file, plus a
    marker object that is not a table."""
    folder = tmp_path / "current" / "2026-11-25"
    folder.mkdir(parents=True)
    mixed_frame.iloc[:1_000].to_csv(folder / "part-0.csv", index=False)
    mixed_frame.iloc[1_000:2_000].to_csv(folder / "part-1.csv.gz", index=False)
    mixed_frame.iloc[2_000:].to_parquet(folder / "part-2.parquet", index=False)
    (folder / "_SUCCESS").write_text("")
    return tmp_path


def test_csv_and_parquet_files_give_the_histogram_of_the_frame(
    table_folder: Path, mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    files = sorted((table_folder / "current" / "2026-11-25").glob("part-*"))

    histogram = histogram_of_files(files, mixed_baseline)

    assert histogram.to_json() == histogram_of_frame(mixed_frame, mixed_baseline).to_json()


def test_a_prefix_of_a_store_reads_every_table_under_it_and_ignores_other_objects(
    table_folder: Path, mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    store = LocalDirectoryStore(table_folder)

    histogram = histogram_of_prefix(store, "current/2026-11", mixed_baseline)

    assert histogram.rows == len(mixed_frame)
    assert histogram.to_json() == histogram_of_frame(mixed_frame, mixed_baseline).to_json()


def test_a_prefix_without_tables_is_bad_input(table_folder: Path, mixed_baseline: Baseline) -> None:
    with pytest.raises(BadInput, match="no CSV or Parquet objects under 'current/2025'"):
        histogram_of_prefix(LocalDirectoryStore(table_folder), "current/2025", mixed_baseline)


def test_shards_of_the_keys_cover_each_key_once_and_merge_to_the_whole(
    table_folder: Path, mixed_baseline: Baseline
) -> None:
    store = LocalDirectoryStore(table_folder)
    keys = [key for key in store.list_keys("current/") if not key.endswith("_SUCCESS")]
    shards = [keys_for_shard(keys, index, 2) for index in range(2)]

    merged = merge_histograms(
        mixed_baseline, (histogram_of_keys(store, shard, mixed_baseline) for shard in shards)
    )

    assert sorted(shards[0] + shards[1]) == sorted(keys)
    assert merged.to_json() == histogram_of_prefix(store, "current/", mixed_baseline).to_json()


def test_a_file_with_an_extra_column_is_counted_and_the_column_reported(
    tmp_path: Path, mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    path = tmp_path / "extra.csv"
    mixed_frame.assign(label=1).to_csv(path, index=False)

    histogram = histogram_of_files([path], mixed_baseline)

    assert (histogram.rows, set(histogram.extra_columns)) == (len(mixed_frame), {"label"})


def test_a_file_of_another_schema_is_bad_input_naming_file_and_columns(
    tmp_path: Path, mixed_baseline: Baseline
) -> None:
    path = tmp_path / "other.csv"
    pd.DataFrame({"label": [1, 2]}).to_csv(path, index=False)

    with pytest.raises(
        BadInput, match=r"other\.csv: .*none of the baseline's features.*extra column\(s\): label"
    ):
        histogram_of_files([path], mixed_baseline)


def test_an_unreadable_file_is_bad_input_naming_it(tmp_path: Path, mixed_baseline: Baseline) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")

    with pytest.raises(BadInput, match=r"cannot read broken\.parquet"):
        histogram_of_files([path], mixed_baseline)


def test_a_file_of_another_format_is_bad_input(tmp_path: Path, mixed_baseline: Baseline) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"")

    with pytest.raises(BadInput, match=r"expected one of \.csv"):
        histogram_of_files([path], mixed_baseline)
