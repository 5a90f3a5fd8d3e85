"""`kit pipeline`: run, follow and inspect the training pipeline (SageMaker, or the local emulator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cli.output import console, print_json, table

if TYPE_CHECKING:
    from mlops_kit.pipeline.service import ExecutionStatus

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS

ENV_OPTION = typer.Option(..., "--env", help="dev, staging or prod")
MODEL_OPTION = typer.Option(None, "--model", help="Model (default: the environment's first).")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
STATUS_STYLE = {"Succeeded": "green", "Failed": "red", "Executing": "yellow", "Stopped": "red"}


def _builder(model: str | None) -> Any:
    from pipelines.training import build_training_pipeline

    return lambda env, platform: build_training_pipeline(env, platform, model)


def _styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _steps_table(status: ExecutionStatus) -> Any:
    rows = []
    for step in status.steps:
        seconds = f"{step.seconds:.1f}" if step.seconds is not None else ""
        detail = step.failure_reason or ", ".join(
            f"{k}: {v.get('Outcome') or v.get('Arn', '')}"
            for k, v in step.metadata.items()
            if isinstance(v, dict)
        )
        rows.append([step.name, _styled(step.status), seconds, detail])
    return table(
        f"execution {status.execution_id}: {_styled(status.status)}",
        ["step", "status", "seconds", "detail"],
        rows,
    )


class _StepLines:
    """Prints `step NAME: STATUS` each time a step's status changes."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def update(self, status: ExecutionStatus) -> None:
        for step in status.steps:
            if self._seen.get(step.name) != step.status:
                self._seen[step.name] = step.status
                console.print(f"step {step.name}: {_styled(step.status)}", highlight=False)


def _raise_unless_succeeded(status: ExecutionStatus) -> None:
    from mlops_kit.errors import OperationFailed

    if status.status != "Succeeded":
        raise OperationFailed(
            f"execution {status.execution_id} {status.status.lower()}: {status.failure_reason}"
        )


@app.command("run")
def run(
    env: str = ENV_OPTION,
    param: list[str] = typer.Option([], "--param", help="Pipeline parameter NAME=VALUE (repeatable)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the execution until it ends."),
    model: str | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Upsert the training pipeline, start it and follow it step by step (exit 1 if it fails or is gated)."""
    from rich.live import Live

    from mlops_kit.config import load_environment
    from mlops_kit.pipeline.service import parse_parameters, start_training_run, wait_for_execution

    environment = load_environment(env)
    started = start_training_run(environment, _builder(model), parse_parameters(param))
    if not wait:
        if as_json:
            print_json(
                {
                    "pipeline": started.pipeline,
                    "execution_arn": started.execution_arn,
                    "parameters": started.parameters,
                }
            )
        else:
            console.print(f"started {started.execution_arn}", highlight=False)
        return
    if as_json:
        final = wait_for_execution(environment, started.execution_arn)
        print_json(final.as_dict())
    elif console.get().is_terminal:
        console.print(f"started {started.execution_arn}", highlight=False)
        with Live(console=console.get(), refresh_per_second=4, transient=False) as live:
            final = wait_for_execution(
                environment, started.execution_arn, lambda s: live.update(_steps_table(s))
            )
    else:
        # In a log (CI, a pipe) a live table cannot redraw: one line per step change, then the table.
        console.print(f"started {started.execution_arn}", highlight=False)
        final = wait_for_execution(environment, started.execution_arn, _StepLines().update)
        console.print(_steps_table(final))
    _raise_unless_succeeded(final)
    if not as_json:
        console.print(f"[green]succeeded[/]: {final.arn}", highlight=False)


@app.command("status")
def status(
    execution: str | None = typer.Argument(None, help="Execution id or ARN (default: the latest)."),
    env: str = ENV_OPTION,
    model: str | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """An execution's status and its steps (exit 1 when it failed)."""
    from mlops_kit.config import load_environment
    from mlops_kit.pipeline.service import execution_status

    current = execution_status(load_environment(env), execution, model=model)
    if as_json:
        print_json(current.as_dict())
    else:
        console.print(_steps_table(current))
        if current.failure_reason:
            console.print(f"reason: {current.failure_reason}", highlight=False, markup=False)
    if current.status in ("Failed", "Stopped"):
        raise typer.Exit(1)


@app.command("list")
def list_executions(
    env: str = ENV_OPTION, model: str | None = MODEL_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """The pipeline's executions, newest first."""
    from mlops_kit.config import load_environment
    from mlops_kit.pipeline.service import list_executions as executions

    rows = executions(load_environment(env), model)
    if as_json:
        print_json(rows)
        return
    console.print(
        table(
            "executions",
            ["execution", "status", "started", "reason"],
            [[r["execution_id"], _styled(r["status"]), r["started"], r["failure_reason"]] for r in rows],
        )
    )


@app.command("show")
def show(env: str = ENV_OPTION, model: str | None = MODEL_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The step graph: each step, its type, what it waits on, and the branch it belongs to."""
    from mlops_kit.config import load_environment
    from mlops_kit.pipeline.service import build_for, step_graph

    built = build_for(load_environment(env), _builder(model))
    graph = step_graph(built.document)
    if as_json:
        print_json({"pipeline": built.name, "parameters": built.parameters, "steps": graph})
        return
    console.print(
        table(
            f"{built.name}: steps",
            ["step", "type", "after", "branch"],
            [[g["name"], g["type"], ", ".join(g["after"]), g["branch"]] for g in graph],
        )
    )
    console.print(
        table(
            "parameters",
            ["name", "type", "default"],
            [[k, v.get("Type"), v.get("DefaultValue")] for k, v in built.parameters.items()],
        )
    )


@app.command("definition")
def definition(env: str = ENV_OPTION, model: str | None = MODEL_OPTION) -> None:
    """The pipeline definition JSON, exactly as sent to SageMaker, to stdout."""
    import sys

    from mlops_kit.config import load_environment
    from mlops_kit.pipeline.service import build_for

    sys.stdout.write(build_for(load_environment(env), _builder(model)).definition + "\n")
