"""What a workflow_dispatch input can do to `kit promote`: a bad model or version exits 2 naming the
argument, before any AWS call."""

from __future__ import annotations

import pytest

from cli.main import main


def test_promote_refuses_a_model_name_carrying_shell(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["promote", "tumor-classifier; curl evil.example", "--to", "staging", "--dry-run"])
    assert code == 2
    assert "MODEL: unknown model 'tumor-classifier; curl evil.example'" in capsys.readouterr().err


def test_promote_refuses_a_version_that_is_not_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["promote", "tumor-classifier", "--to", "staging", "--version", "1; rm", "--dry-run"])
    assert code == 2
    assert "--version" in capsys.readouterr().err


def test_promote_refuses_an_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["promote", "tumor-classifier", "--to", "qa", "--yes"]) == 2
    assert "--to: unknown environment 'qa'" in capsys.readouterr().err
