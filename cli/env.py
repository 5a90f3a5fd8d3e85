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


@app.command("teardown")
def teardown(
    env: str = typer.Argument(..., help="Environment to remove (its file must set allow_teardown: true)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Remove an environment: what the kit created (versions, endpoint configurations, models,
    pipelines, objects, images), then its stack (cdktf destroy). A re-run finishes a failed one."""
    import os

    from cli.output import confirm_change
    from mlops_kit.aws import clients_for
    from mlops_kit.config import load_environment
    from mlops_kit.errors import BadInput
    from mlops_kit.stack_deploy import DestroyResult, destroy_stack
    from mlops_kit.teardown import check_teardown_allowed, kit_created_resources, teardown_environment

    environment = load_environment(env)
    try:
        check_teardown_allowed(environment)
    except BadInput as exc:
        raise BadInput(f"ENV: {exc.message}") from None
    clients = clients_for(environment, role="deploy", session_name="mlops-kit-teardown")
    found = kit_created_resources(clients, environment)
    if not as_json:
        rows = [[r.kind, r.name, r.detail] for r in found]
        console.print(table(f"Created by the kit in {env}", ["kind", "name", "detail"], rows))
    confirm_change(f"Remove these and destroy the {env} stack", yes)
    state_dir = Path(os.environ.get("KIT_STATE_DIR", ".kit")).resolve()

    def destroy() -> DestroyResult:
        return destroy_stack(
            env,
            aws_env={},
            state_dir=state_dir,
            progress=None if as_json else lambda m: console.print(f"  {m}", highlight=False),
        )

    result = teardown_environment(
        environment,
        clients,
        destroy=destroy,
        on_removed=None if as_json else lambda r: console.print(f"  removed {r.label}", highlight=False),
    )
    if as_json:
        print_json(
            {
                "environment": result.environment,
                "removed": [{"kind": r.kind, "name": r.name, "detail": r.detail} for r in result.removed],
                "destroy_log": result.destroy_log,
                "kept": [{"address": k.address, "id": k.import_id} for k in result.kept],
            }
        )
        return
    console.print(
        f"{env} torn down: {len(result.removed)} kit resource(s) removed, stack destroyed", highlight=False
    )
    if result.kept:
        console.print(
            f"kept in AWS, out of the state: the audit log (Object Lock retains its records) and its key; "
            f"a deploy through the kit adopts them again, or with cdktf run in cdktf.out/stacks/{env}:",
            highlight=False,
        )
        for kept in result.kept:
            console.print(f"  {kept.import_command}", highlight=False)
