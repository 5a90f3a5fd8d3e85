"""`kit endpoint invoke` and `kit endpoint status` as a user runs them, on the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.serving.conftest import ServedModel

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def test_invoke_prints_one_prediction_per_csv_row(
    served_model: ServedModel,
    dataset_rows: list[list[float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(",".join(str(v) for v in row[1:]) for row in dataset_rows[:5]) + "\n")

    code = main(["endpoint", "invoke", "--env", "dev", "--data", str(data), "--json"])

    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["response"]["predictions"][0]["label"] for r in results] == [
        int(r[0]) for r in dataset_rows[:5]
    ]


def test_invoke_sends_a_json_document_as_one_request(
    served_model: ServedModel,
    dataset_rows: list[list[float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "rows.json"
    data.write_text(json.dumps({"instances": [row[1:] for row in dataset_rows[:4]]}))

    code = main(
        ["endpoint", "invoke", "--env", "dev", "--data", str(data), "--content-type", "application/json"]
    )

    assert code == 0
    assert len(json.loads(capsys.readouterr().out.strip())["predictions"]) == 4


def test_invoke_with_missing_file_exits_2_naming_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["endpoint", "invoke", "--env", "dev", "--data", str(tmp_path / "missing.csv")])

    assert code == 2
    assert "--data" in capsys.readouterr().err


def test_invoke_with_bad_json_exits_2_naming_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.json"
    data.write_text("{not json")

    code = main(
        ["endpoint", "invoke", "--env", "dev", "--data", str(data), "--content-type", "application/json"]
    )

    assert code == 2
    assert "--data" in capsys.readouterr().err


def test_status_names_the_serving_configuration_and_model_data(
    served_model: ServedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["endpoint", "status", "--env", "dev", "--json"])

    assert code == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "InService"
    assert status["config_name"] == served_model.config_name
    assert status["model_data_url"].endswith("/model.tar.gz")
    assert status["data_capture"].startswith("100")
