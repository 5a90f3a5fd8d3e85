"""`kit`: the entry point. Subcommands live in their own modules, imported when they run; they import
the core lazily, so `kit --help` loads neither the command modules nor boto3, sagemaker or cdktf."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Sequence

import typer
import typer.core
import typer.main
from typer import _click as click

from cli.output import print_error

# Every subcommand: (module, attribute, the line `kit --help` shows). The root group imports a
# command's module only when that command runs, so `kit --help` stays near the cost of importing
# typer (benchmarks/cli.py); tests/cli checks each line equals the command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "env": ("cli.env", "app", "Environment files: list, show, validate, diff."),
    "local": ("cli.local", "app", "The local AWS emulator: up, down, status, env."),
    "demo": (
        "cli.demo",
        "demo",
        "Start a fresh emulator, deploy dev/staging/prod, train, promote, serve, and catch drift.",
    ),
    "models": ("cli.models", "app", "Model versions: list, show."),
    "pipeline": ("cli.pipeline", "app", "The training pipeline: run, status, list, show, definition."),
    "drift": ("cli.drift", "app", "Data drift: compare current data with the training baseline."),
    "promote": (
        "cli.promote",
        "promote",
        "Promote a model version to the next environment: gates, copy, register, canary rollout, audit.",
    ),
    "approve": (
        "cli.promote",
        "approve",
        "Record your approval of a version for promotion into ENV (your STS identity is the approver).",
    ),
    "rollback": (
        "cli.promote",
        "rollback",
        "Serve the previous approved version again (all traffic at once), audited.",
    ),
    "audit": (
        "cli.promote",
        "audit",
        "The append-only audit log: promotions, rollbacks and approvals, oldest first.",
    ),
    "endpoint": ("cli.endpoint", "app", "Endpoints: invoke, status."),
    "stack": ("cli.stack", "app", "Terraform stacks: diff (a read-only plan, summarised)."),
}


@functools.cache
def load_command(name: str) -> click.Command:
    """The click command of `kit NAME`, built from its module on first use."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        # A group even with one command (`kit drift run`), as add_typer would make it.
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class KitGroup(typer.core.TyperGroup):
    """The root group: lists its commands from COMMANDS and loads one when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, _, line) in COMMANDS.items()])


app = typer.Typer(
    name="kit",
    cls=KitGroup,
    help="mlops-kit: environments, pipelines, promotion and drift for ML on AWS (or its local emulator).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would print credentials and session tokens
    add_completion=False,
    # Plain help for `kit --help`: typer's rich help imports rich.markdown and friends, which alone
    # cost more than the whole help budget (benchmarks/cli.py). Subcommands keep rich help.
    rich_markup_mode=None,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for failures.", envvar="KIT_DEBUG"),
) -> None:
    if debug:
        os.environ["KIT_DEBUG"] = "1"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kit` with `argv`; return the exit code (2 bad input, 1 failed operation, 3 drift found)."""
    import logging
    import warnings

    from mlops_kit.errors import KitError

    # Warnings and errors only. The level sits on the handler: the SageMaker SDK sets some of its
    # loggers to INFO and DEBUG, and their records reach the root handler whatever the root's level.
    level = logging.INFO if os.environ.get("KIT_DEBUG") else logging.WARNING
    handler = logging.StreamHandler()
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler])
    # The kit builds pipeline definitions under a PipelineSession on purpose; the SDK warns each time.
    warnings.filterwarnings("ignore", message="Running within a PipelineSession", category=UserWarning)
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
