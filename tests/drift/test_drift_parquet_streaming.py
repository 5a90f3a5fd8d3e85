"""Parquet files counted row group by row group give exactly the in-memory answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_kit.drift.parquet_streaming as streaming
from mlops_kit.drift import build_baseline, check_frame, evaluate_drift, histogram_of_frame
from mlops_kit.drift.parquet_streaming import baseline_of_parquet_sample, histogram_of_parquet
from mlops_kit.errors import BadInput


@pytest.fixture
def wide_frame(rng: np.random.Generator) -> pd.DataFrame:
    """40 numeric columns (some with missing values, one of ints), a categorical one, drift in two."""
    rows = 5_000
    frame = pd.DataFrame({f"x{i:02d}": rng.normal(i, 1.0 + i / 10, rows) for i in range(40)})
    frame.loc[rng.random(rows) < 0.05, "x03"] = np.nan
    frame["count"] = rng.poisson(4, rows)
    frame["plan"] = rng.choice(["basic", "pro", "team"], rows)
    return frame


def test_streamed_report_equals_the_in_memory_report(
    wide_frame: pd.DataFrame, rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = build_baseline(wide_frame, categorical=["plan"])
    current = wide_frame.sample(frac=1.0, random_state=rng).reset_index(drop=True)
    current["x05"] += 2.0
    current.loc[:9, "x07"] = 1e9
    path = tmp_path / "current.parquet"
    current.to_parquet(path, row_group_size=700)
    monkeypatch.setattr(streaming, "READ_BYTES", 700 * 8 * 6)  # six columns per read: many chunks

    streamed = evaluate_drift(baseline, histogram_of_parquet(path, baseline))

    assert streamed.to_dict() == check_frame(baseline, pd.read_parquet(path)).to_dict()
    assert streamed.drifted_features == ["x05"]


def test_a_parquet_file_storing_numbers_as_text_is_read_whole_with_the_same_answer(
    wide_frame: pd.DataFrame, tmp_path: Path
) -> None:
    baseline = build_baseline(wide_frame, categorical=["plan"])
    current = wide_frame.astype({"x01": str})
    current.loc[3, "x01"] = "n/a"
    path = tmp_path / "text.parquet"
    current.to_parquet(path, row_group_size=1_000)

    streamed = histogram_of_parquet(path, baseline)

    assert streamed.to_json() == histogram_of_frame(pd.read_parquet(path), baseline).to_json()
    assert dict(streamed.skipped) == {"unparseable": 1}


def test_a_baseline_from_a_sample_of_row_groups_reads_only_about_the_sample(
    wide_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "train.parquet"
    wide_frame.to_parquet(path, row_group_size=500)

    baseline = baseline_of_parquet_sample(path, sample_rows=1_500, categorical=["plan"])

    assert baseline.rows == 1_500
    assert baseline.feature_names == list(wide_frame.columns)


def test_a_file_that_is_not_parquet_is_bad_input_naming_it(tmp_path: Path, wide_frame: pd.DataFrame) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet")

    with pytest.raises(BadInput, match=r"cannot read broken\.parquet"):
        histogram_of_parquet(path, build_baseline(wide_frame))


def test_a_baseline_built_a_few_columns_at_a_time_equals_one_of_the_whole_sample(
    wide_frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "train.parquet"
    wide_frame.to_parquet(path, row_group_size=1_000)
    monkeypatch.setattr(streaming, "READ_BYTES", 5_000 * 8 * 7)  # seven columns at a time

    baseline = baseline_of_parquet_sample(path, sample_rows=5_000, categorical=["plan"])

    whole = build_baseline(pd.read_parquet(path), categorical=["plan"])
    assert baseline.to_dict()["features"] == whole.to_dict()["features"]
