"""A plain install (`pip install mlops-kit`, no `local` extra) works against AWS: `kit` runs with moto,
Flask and the local twin out of reach, and only the twin's commands ask for the extra."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from tests.conftest import REPO, free_port

# Run `kit ARGS` in a fresh interpreter whose import system refuses the named top-level packages,
# as if they were not installed.
PROBE = """
import sys

BLOCKED = set(sys.argv[1].split(","))


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Refuse())
from cli.main import main

code = main(sys.argv[2:])
print("IMPORTED:" + ",".join(sorted(m for m in BLOCKED if m in sys.modules)))
sys.exit(code)
"""

TWIN = ("moto", "flask", "local_aws")


def kit_without(blocked: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(blocked), *args],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_kit_help_runs_without_moto_flask_or_the_twin() -> None:
    result = kit_without(TWIN, "--help")
    assert result.returncode == 0, result.stderr
    assert "  env " in result.stdout
    assert "  promote " in result.stdout
    assert "  local " not in result.stdout


def test_env_validate_runs_without_moto_flask_or_the_twin() -> None:
    result = kit_without(TWIN, "env", "validate")
    assert result.returncode == 0, result.stderr
    assert "IMPORTED:\n" in result.stdout


def test_kit_local_up_without_the_extra_names_the_extra_and_exits_2() -> None:
    result = kit_without(("moto", "flask"), "local", "up", "--port", str(free_port()))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'mlops-kit[local]'" in lines[0]


def test_base_dependencies_name_neither_moto_nor_flask() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = [
        d.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
        for d in project["dependencies"]
    ]
    assert not {"moto", "flask"} & set(names)
    assert any(d.startswith("moto[server]") for d in project["optional-dependencies"]["local"])
