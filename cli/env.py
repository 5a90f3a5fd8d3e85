"""`kit env`: list, show, validate and diff environment files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.output import console, print_json, table

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list) and data and all(isinstance(i, dict) for i in data):
        out = {}
        for index, item in enumerate(data):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: data}


@app.command("list")
def list_environments(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Environments in promotion order, with account, region and models."""
    from mlops_kit.config import ResourceNames, load_all_environments

    envs = load_all_environments()
    rows = [
        {
            "name": e.name,
            "account_id": e.account_id,
            "region": e.region,
            "models": e.models,
            "artifact_bucket": ResourceNames(e).artifact_bucket,
        }
        for e in envs.values()
    ]
    if as_json:
        print_json(rows)
        return
    console.print(
        table(
            "Environments",
            ["name", "account", "region", "models", "artifact bucket"],
            [
                [r["name"], r["account_id"], r["region"], ", ".join(r["models"]), r["artifact_bucket"]]
                for r in rows
            ],
        )
    )


@app.command("show")
def show(
    name: str = typer.Argument(..., help="dev, staging or prod"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Resolved settings (defaults filled in) and the derived resource names."""
    from mlops_kit.config import ResourceNames, load_environment

    env = load_environment(name)
    data = {"settings": env.model_dump(mode="json"), "names": ResourceNames(env).as_dict()}
    if as_json:
        print_json(data)
        return
    console.print(
        table(
            f"{name}: settings", ["setting", "value"], [[k, v] for k, v in _flatten(data["settings"]).items()]
        )
    )
    console.print(
        table(f"{name}: resource names", ["resource", "name"], [[k, v] for k, v in data["names"].items()])
    )


@app.command("validate")
def validate(
    file: Path | None = typer.Option(None, "--file", help="Validate this file instead of environments/."),
) -> None:
    """Validate environment files; every problem is printed as `file: field: message`."""
    from mlops_kit.config import load_all_environments, load_environment_file

    if file is not None:
        env = load_environment_file(file)
        console.print(f"{file}: valid ({env.name}, account {env.account_id})", highlight=False)
        return
    envs = load_all_environments()
    console.print(f"valid: {', '.join(envs)}", highlight=False)


@app.command("diff")
def diff(
    a: str = typer.Argument(..., help="First environment"),
    b: str = typer.Argument(..., help="Second environment"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Settings that differ between two environments."""
    from mlops_kit.config import load_environment

    left = _flatten(load_environment(a).model_dump(mode="json"))
    right = _flatten(load_environment(b).model_dump(mode="json"))
    keys = sorted(set(left) | set(right))
    rows = [[k, left.get(k, "-"), right.get(k, "-")] for k in keys if left.get(k) != right.get(k)]
    if as_json:
        print_json([{"setting": k, a: x, b: y} for k, x, y in rows])
        return
    console.print(table(f"{a} vs {b}", ["setting", a, b], rows))
