"""`kit drift run` on local files: verdicts, exit codes, the JSON document and the HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main as kit
from tests.drift_job.conftest import SHIFTED_FEATURES


def run_kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = kit(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def drift_run(
    capsys: pytest.CaptureFixture[str], baseline: str, current: str, *extra: str
) -> tuple[int, str, str]:
    """`kit drift run --baseline BASELINE --current CURRENT EXTRA...`."""
    return run_kit(capsys, "drift", "run", "--baseline", baseline, "--current", current, *extra)


def test_same_distribution_exits_0_and_json_is_one_object(
    drift_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift_run(capsys, str(drift_files["baseline"]), str(drift_files["same"]), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["drifted"] is False
    assert document["rows_current"] == 500
    assert document["rows_skipped"] == 0
    assert document["generated_at"].endswith("Z")
    assert len(document["features"]) == 30
    for feature in document["features"]:
        assert {"name", "kind", "statistics", "threshold", "drifted"} <= set(feature)
        assert feature["kind"] == "numeric"
        assert set(feature["threshold"]) == {"pvalue", "wasserstein_normed", "psi", "missing_share"}


def test_shifted_features_exit_3_and_come_first(
    drift_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = drift_run(capsys, str(drift_files["baseline"]), str(drift_files["shifted"]), "--json")
    assert code == 3
    document = json.loads(out)
    assert document["drifted"] is True
    drifted = [f["name"] for f in document["features"] if f["drifted"]]
    assert set(SHIFTED_FEATURES) <= set(drifted)
    assert [f["name"] for f in document["features"][: len(drifted)]] == drifted
    assert "drift found" in err


def test_terminal_table_lists_drifted_features_first(
    drift_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift_run(capsys, str(drift_files["baseline"]), str(drift_files["shifted"]))
    assert code == 3
    assert "DRIFT" in out
    lines = out.splitlines()
    drift_rows = [i for i, line in enumerate(lines) if "│ drift " in line]
    ok_rows = [i for i, line in enumerate(lines) if "│ ok " in line]
    assert len(drift_rows) >= len(SHIFTED_FEATURES)
    assert max(drift_rows) < min(ok_rows)


def test_a_renamed_column_is_reported_as_a_schema_violation_and_the_rest_judged(
    drift_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift_run(capsys, str(drift_files["baseline"]), str(drift_files["renamed"]), "--json")

    document = json.loads(out)
    assert code == 0
    assert document["data_quality"]["missing_columns"] == ["mean radius"]
    assert document["data_quality"]["extra_columns"] == ["radius_mean"]
    assert (
        next(f for f in document["features"] if f["name"] == "mean radius")["verdict"] == "insufficient_data"
    )


def test_missing_file_exits_2(
    drift_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = drift_run(capsys, str(tmp_path / "nope.json"), str(drift_files["same"]))
    assert code == 2
    assert "nope.json" in err


def test_bad_since_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_kit(capsys, "drift", "run", "--env", "dev", "--since", "yesterday")
    assert code == 2
    assert "--since" in err


def test_html_report_is_a_self_contained_page(
    drift_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    code, _, _ = drift_run(
        capsys, str(drift_files["baseline"]), str(drift_files["shifted"]), "--html", str(page)
    )
    assert code == 3
    text = page.read_text()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert "mean radius" in text
    assert (
        "<script src=" not in text
        and "<link " not in text
        and "http://" not in text.replace("http://www.w3.org", "")
    )
