"""`kit drift baseline DATA` and `kit drift run --baseline DATA`: baselines built from data files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main as kit
from mlops_kit.drift import Baseline, build_baseline


def run_kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = kit(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def training_csv(breast_cancer: pd.DataFrame, tmp_path: Path) -> Path:
    """The breast cancer data with a numeric-looking grade column, as CSV."""
    path = tmp_path / "train.csv"
    breast_cancer.assign(grade=(breast_cancer["mean radius"] // 5).astype(int)).to_csv(path, index=False)
    return path


def test_baseline_of_a_csv_file_is_the_kits_baseline_of_its_frame(
    training_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "baseline.json"

    code, out, _ = run_kit(
        capsys, "drift", "baseline", str(training_csv), "-o", str(output), "--categorical", "grade"
    )

    written = Baseline.from_json(output.read_text())
    expected = build_baseline(pd.read_csv(training_csv), categorical=["grade"])
    assert code == 0 and str(output) in out
    assert written.to_dict()["features"] == expected.to_dict()["features"]
    assert written.feature("grade").kind == "categorical"


def test_baseline_of_a_parquet_file_is_printed_without_output(
    breast_cancer: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "train.parquet"
    breast_cancer.to_parquet(path)

    code, out, _ = run_kit(capsys, "drift", "baseline", str(path))

    assert code == 0
    assert Baseline.from_json(out).rows == len(breast_cancer)


def test_a_missing_data_file_exits_2_naming_the_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_kit(capsys, "drift", "baseline", str(tmp_path / "nope.csv"))

    assert (code, out) == (2, "")
    assert "DATA" in err and "nope.csv: no such file" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_categorical_column_exits_2_naming_the_option_and_column(
    training_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_kit(capsys, "drift", "baseline", str(training_csv), "--categorical", "colour")

    assert code == 2
    assert "--categorical" in err and "colour" in err
    assert "Traceback" not in err


def test_an_empty_data_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("a,b\n")

    code, _, err = run_kit(capsys, "drift", "baseline", str(path))

    assert code == 2
    assert "empty.csv: holds no data" in err


def test_drift_run_takes_a_data_file_as_baseline(
    drift_files: dict[str, Path],
    breast_cancer: pd.DataFrame,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    training = tmp_path / "train.parquet"
    breast_cancer.to_parquet(training)

    code, out, _ = run_kit(
        capsys,
        "drift",
        "run",
        "--baseline",
        str(training),
        "--current",
        str(drift_files["shifted"]),
        "--json",
    )

    assert code == 3
    assert json.loads(out)["drifted"] is True


def test_drift_run_against_a_baseline_of_another_schema_exits_2_naming_the_columns(
    drift_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.csv"
    pd.DataFrame({"age": [30, 40, 50] * 100, "plan": ["a", "b", "c"] * 100}).to_csv(other, index=False)

    code, out, err = run_kit(
        capsys, "drift", "run", "--baseline", str(other), "--current", str(drift_files["same"])
    )

    assert (code, out) == (2, "")
    assert "missing column(s): age, plan" in err
    assert len(err.strip().splitlines()) == 1
