"""`kit labels upload` and `kit quality run` refuse bad input before touching AWS: exit 2, one line
naming the argument, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main as kit


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = kit(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return " ".join(err.split())


def test_a_missing_labels_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["labels", "upload", str(tmp_path / "nope.csv"), "--env", "dev"], capsys)
    assert "FILE" in err and "nope.csv" in err


def test_a_missing_label_column_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,truth\na,1\n")
    err = refused(["labels", "upload", str(labels), "--env", "dev"], capsys)
    assert "--label-column: no column 'label'" in err


def test_a_file_with_no_usable_label_is_refused_with_its_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\na,yes\n,1\nb,0\nb,1\n")
    err = refused(["labels", "upload", str(labels), "--env", "dev"], capsys)
    assert "FILE: no usable label (1 missing id, 1 wrong type, 2 conflicting)" in err


def test_an_unknown_model_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\na,1\n")
    err = refused(["labels", "upload", str(labels), "--env", "dev", "--model", "nope"], capsys)
    assert "--model: dev has no model 'nope'" in err


def test_quality_run_names_a_bad_window(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["quality", "run", "--env", "dev", "--since", "soon"], capsys)
    assert "--since 'soon'" in err
