"""`kit --help` lists every command from a table, without importing the command modules; the table
says what each command says of itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.main import COMMANDS, load_command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_root_help_line_is_the_commands_own_help(name: str) -> None:
    command = load_command(name)
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name][2] == own


def test_root_help_lists_every_command_without_importing_them() -> None:
    probe = (
        "import sys; from cli.main import main; code = main(['--help']); "
        "print('LOADED:' + ','.join(sorted(m for m in sys.modules if m.startswith('cli.') and m not in "
        "('cli.main', 'cli.output'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = next(line for line in done.stdout.splitlines() if line.startswith("LOADED:"))
    assert loaded == "LOADED:"
    for name in COMMANDS:
        assert f"  {name} " in done.stdout


def test_unknown_command_exits_2_naming_it() -> None:
    from cli.main import main

    assert main(["nosuch"]) == 2
