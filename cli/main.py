"""`kit`: the entry point. Subcommand groups live in their own modules and import the core lazily,
so `kit --help` never loads boto3, sagemaker or cdktf."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
import typer.main

from cli import demo as demo_command
from cli import drift as drift_commands
from cli import endpoint as endpoint_commands
from cli import env as env_commands
from cli import local as local_commands
from cli import models as models_commands
from cli import pipeline as pipeline_commands
from cli import promote as promote_commands
from cli.output import print_error

app = typer.Typer(
    name="kit",
    help="mlops-kit: environments, pipelines, promotion and drift for ML on AWS (or its local emulator).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would print credentials and session tokens
    add_completion=False,
    # Plain help for `kit --help`: typer's rich help imports rich.markdown and friends, which alone
    # cost more than the whole help budget (benchmarks/cli.py). Subcommands keep rich help.
    rich_markup_mode=None,
)
app.add_typer(env_commands.app, name="env")
app.add_typer(local_commands.app, name="local")
app.command("demo")(demo_command.demo)
app.add_typer(models_commands.app, name="models")
app.add_typer(pipeline_commands.app, name="pipeline")
app.add_typer(drift_commands.app, name="drift")
app.command("promote")(promote_commands.promote)
app.command("approve")(promote_commands.approve)
app.command("rollback")(promote_commands.rollback)
app.command("audit")(promote_commands.audit)
app.add_typer(endpoint_commands.app, name="endpoint")


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for failures.", envvar="KIT_DEBUG"),
) -> None:
    if debug:
        os.environ["KIT_DEBUG"] = "1"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kit` with `argv`; return the exit code (2 bad input, 1 failed operation, 3 drift found)."""
    import logging

    from mlops_kit.errors import KitError

    # Warnings and errors only: a root handler set up first also keeps libraries that call
    # logging.basicConfig(level=INFO) on import (the SageMaker SDK) from flooding the terminal.
    logging.basicConfig(level=logging.INFO if os.environ.get("KIT_DEBUG") else logging.WARNING)
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else sys.argv[1:], prog_name="kit", standalone_mode=False
        )
    except KitError as exc:
        if os.environ.get("KIT_DEBUG"):
            raise
        print_error(exc)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print_error("aborted")
        return 1
    # typer 0.29 ships its own click (never the click package, whose import alone costs ~35 ms):
    # its usage errors derive from typer.TyperException.
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print_error(exc)
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry (`kit`)."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
