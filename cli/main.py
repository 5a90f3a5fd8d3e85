"""`kit`: the entry point. Subcommands live in their own modules, imported when they run; they import
the core lazily, so `kit --help` loads neither the command modules nor boto3, sagemaker or cdktf.

The product's commands are in PRODUCT_COMMANDS; other installed packages (the local twin's `kit local`
and `kit demo`) name tables of theirs in the `mlops_kit.commands` entry point group.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

import typer
import typer.core
import typer.main
from typer import _click as click

from cli.output import print_error

# A command's help line is declared once, in its table: the root lists it without importing the
# command's module, and the command gets it as its own help when loaded.
ENTRY_POINT_GROUP = "mlops_kit.commands"


class Command(NamedTuple):
    module: str
    attribute: str  # a typer.Typer (a group of subcommands) or a function (one command)
    help: str


PRODUCT_COMMANDS: dict[str, Command] = {
    "env": Command(
        "cli.env", "app", "Environment files: list, show, validate, diff; tear an environment down."
    ),
    "models": Command("cli.models", "app", "Model contracts: check; model versions: list, show."),
    "pipeline": Command("cli.pipeline", "app", "The training pipeline: run, status, list, show, definition."),
    "drift": Command("cli.drift", "app", "Data drift: compare current data with the training baseline."),
    "labels": Command(
        "cli.labels", "app", "Ground truth: upload labels keyed by the capture's inference id."
    ),
    "quality": Command(
        "cli.quality", "app", "Model quality: accuracy and AUC of labelled answers, per served version."
    ),
    "promote": Command(
        "cli.promote",
        "promote",
        "Promote a model version to the next environment: gates, copy, register, canary rollout, audit.",
    ),
    "approve": Command(
        "cli.promote",
        "approve",
        "Record your approval of a version for promotion into ENV (your STS identity is the approver).",
    ),
    "rollback": Command(
        "cli.promote", "rollback", "Serve the previous approved version again (all traffic at once), audited."
    ),
    "audit": Command(
        "cli.audit",
        "app",
        "The append-only audit log: promotions, rollbacks and approvals, oldest first; verify its chain.",
    ),
    "endpoint": Command("cli.endpoint", "app", "Endpoints: invoke, status, verify."),
    "shadow": Command("cli.shadow", "app", "Shadow tests: copy live traffic to a candidate, report, stop."),
    "stack": Command("cli.stack", "app", "Terraform stacks: diff (a read-only plan, summarised)."),
    "cluster": Command(
        "cli.cluster", "app", "The training cluster: addons (pinned manifests to apply once it exists)."
    ),
    "preflight": Command(
        "cli.preflight",
        "preflight",
        "What a deploy and a run would hit: quotas, offerings, EKS version, bootstrap.",
    ),
    "train": Command(
        "cli.train", "train", "Distributed training on the EKS cluster's GPU pools (--dry-run: manifests)."
    ),
}


def entry_point_values(group: str) -> list[str]:
    """The values (`module:attribute`) of the entry points in `group`, over the installed packages.

    Read from the `*.dist-info/entry_points.txt` files directly: importing importlib.metadata would
    cost `kit --help` about a third of its time (benchmarks/cli.py).
    """
    values: list[str] = []
    for folder in dict.fromkeys(p or "." for p in sys.path):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in sorted(names):
            if not name.endswith(".dist-info"):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as file:
                    text = file.read()
            except OSError:
                continue
            section = ""
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == group and "=" in line:
                    values.append(line.partition("=")[2].strip())
    return values


def plugin_commands(group: str = ENTRY_POINT_GROUP) -> dict[str, Command]:
    """The commands installed packages add; a package that cannot be imported adds none."""
    found: dict[str, Command] = {}
    for value in entry_point_values(group):
        module, _, attribute = value.partition(":")
        try:
            table = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            continue
        found.update({name: Command(*entry) for name, entry in table.items()})
    return found


# Every subcommand, the product's first. The root group imports a command's module only when that
# command runs, so `kit --help` stays near the cost of importing typer (benchmarks/cli.py).
COMMANDS: dict[str, Command] = {**PRODUCT_COMMANDS, **plugin_commands()}


@functools.cache
def load_command(name: str) -> click.Command:
    """The click command of `kit NAME`, built from its module on first use, with its table's help."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        # A group even with one command (`kit drift run`), as add_typer would make it.
        command = typer.main.get_group(target)
        command.help = entry.help
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name, help=entry.help)(target)
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
            formatter.write_dl([(name, entry.help) for name, entry in COMMANDS.items()])


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
