"""`kit shadow`: give a candidate version a copy of live traffic, compare it, stop it."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


@app.command("start")
def start(
    model: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version in ENV's registry"),
    env: str = typer.Option(..., "--env", help="Environment"),
    percent: int = typer.Option(100, "--percent", help="Share of live requests copied to the shadow"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Copy PERCENT% of live requests to VERSION: answers captured, never returned."""
    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.shadow import start_shadow

    state = start_shadow(load_environment(env), model, version, percent=percent)
    if as_json:
        print_json({"config": state.config, "version": state.version, "returns_to": state.returns_to})
        return
    console.print(
        f"shadow test of v{state.version} started on {model} in {env} ({state.config})", highlight=False
    )


@app.command("report")
def report(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str = typer.Option(..., "--model", help="Model name"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The shadow against the live version: requests, errors, latency, output distribution."""
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.shadow import shadow_report

    found = shadow_report(load_environment(env), model)
    if as_json:
        print_json(found)
        return
    rows = [
        [key, str(found["live"][key]), str(found["shadow"][key])]
        for key in ("requests", "errors", "error_rate", "latency_mean_ms", "outputs")
    ]
    rows.append(["output PSI (shadow vs live)", "", str(found["output_psi"])])
    console.print(
        table(f"Shadow v{found['shadow_version']} since {found['since']}", ["", "live", "shadow"], rows)
    )


@app.command("stop")
def stop(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str = typer.Option(..., "--model", help="Model name"),
) -> None:
    """End the shadow test: the endpoint serves what it served before."""
    from cli.output import console
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.shadow import stop_shadow

    config = stop_shadow(load_environment(env), model)
    console.print(f"shadow test stopped; {model} in {env} serves {config}", highlight=False)
