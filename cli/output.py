"""Rendering shared by the commands: JSON to stdout, one-line errors to stderr, rich tables."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class _LazyConsole:
    """A rich Console created on first use, so `kit --help` never pays for importing rich."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    # Special methods bypass __getattr__; rich's Live uses the console as a context manager.
    def __enter__(self) -> Console:
        return self.get().__enter__()

    def __exit__(self, *exc: object) -> None:
        self.get().__exit__(*exc)  # type: ignore[arg-type]


console: Any = _LazyConsole(stderr=False)
err_console: Any = _LazyConsole(stderr=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def option_text(error: Exception | str) -> str:
    """An error's text, naming the input it is about as the command-line option (`--env: ...`)."""
    argument = getattr(error, "argument", None)
    if not argument:
        return str(error)
    option, _, value = argument.partition(" ")
    named = f"--{option.replace('_', '-')}" + (f" {value}" if value else "")
    hint = getattr(error, "hint", None)
    return f"{named}: {error.message}" + (f" ({hint})" if hint else "")  # type: ignore[union-attr]


def print_error(error: Exception | str) -> None:
    """Print an error without traceback: `error: message` (multi-line messages keep their lines)."""
    from rich.markup import escape

    text = option_text(error)
    lines = text.splitlines() or [text]
    if len(lines) == 1:
        err_console.print(
            f"[bold red]error:[/] {escape(lines[0])}", highlight=False, markup=True, soft_wrap=True
        )
    else:
        for line in lines:
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for column in columns:
        t.add_column(column)
    for row in rows:
        t.add_row(*[str(c) for c in row])
    return t


def confirm_change(action: str, yes: bool) -> None:
    """Ask before `action` changes an environment; without a terminal, `--yes` is required."""
    import sys

    from mlops_kit.errors import BadInput

    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInput(f"--yes: {action} changes an environment; confirm interactively or pass --yes")
    import typer

    if not typer.confirm(f"{action}?"):
        raise typer.Abort()
