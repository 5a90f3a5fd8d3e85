"""`kit endpoint`: send requests to an environment's endpoint, and see what it serves."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


@app.command("invoke")
def invoke(
    env: str = typer.Option(..., "--env", help="Environment"),
    data: Path = typer.Option(
        ..., "--data", help="Requests: CSV rows (one request per line) or a JSON document"
    ),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's only model)"),
    content_type: str = typer.Option("text/csv", "--content-type", help="text/csv or application/json"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Send each CSV row (or the JSON document) in --data to the endpoint and print its predictions."""
    import json

    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.serving.invocation import invoke_endpoint_with_file

    results = invoke_endpoint_with_file(load_environment(env), data, model=model, content_type=content_type)
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    for result in results:
        text = result.response if isinstance(result.response, str) else json.dumps(result.response)
        console.print(text, highlight=False, markup=False, soft_wrap=True)


@app.command("status")
def status(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's only model)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What the endpoint serves: status, endpoint configuration, promoted version, model data, capture."""
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.serving.invocation import endpoint_status

    state = endpoint_status(load_environment(env), model)
    if as_json:
        print_json(state.as_dict())
        return
    rows = [
        ["status", state.status],
        [
            "serving",
            f"v{state.version}" if state.version is not None else "the bootstrap model (or unmanaged)",
        ],
        ["endpoint configuration", state.config_name],
        ["model", state.model_name],
        ["model data", state.model_data_url],
        ["data capture", state.data_capture],
    ]
    if state.pending_config:
        rows.append(["updating to", state.pending_config])
    if state.failure_reason:
        rows.append(["last failure", state.failure_reason])
    console.print(table(f"Endpoint {state.endpoint} ({env})", ["", ""], rows))


@app.command("verify")
def verify(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Model (default: every model of the environment)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Read back what the endpoint serves and compare it with the kit's and Terraform's records;
    exit 1 naming each difference."""
    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.verification import verify_environment

    results = verify_environment(load_environment(env), model)
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        for result in results:
            verdict = "[green]matches[/]" if result.matches else "[bold red]DIFFERS[/]"
            console.print(
                f"{result.endpoint} ({env}): {verdict}; intended {result.intended}",
                highlight=False,
                soft_wrap=True,
            )
            for difference in result.differences:
                console.print(f"  [red]-[/] {difference}", highlight=False, soft_wrap=True)
    if not all(r.matches for r in results):
        raise typer.Exit(1)
