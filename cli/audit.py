"""`kit audit --env ENV` (the log, oldest first) and `kit audit verify --env ENV` (its hash chains).
Thin: parse, call one core function, render. The help line is in cli.main.PRODUCT_COMMANDS."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, add_completion=False)  # help: cli.main.PRODUCT_COMMANDS


@app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    env: str | None = typer.Option(None, "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Only this model"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the audit log (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    if env is None:
        raise typer.BadParameter("give the environment: --env ENV", param_hint="--env")
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.audit import read_audit

    events = read_audit(load_environment(env), model)
    if as_json:
        print_json([e.as_dict() for e in events])
        return

    def version(env_name: str, number: int | None) -> str:
        return f"{env_name} v{number}" if number is not None else env_name

    rows = [
        [
            e.at,
            e.model,
            e.kind,
            e.outcome,
            e.actor,
            version(e.source_env, e.source_version),
            version(e.target_env, e.target_version),
            e.comment or e.detail,
        ]
        for e in events
    ]
    console.print(
        table(f"Audit log: {env}", ["time", "model", "kind", "outcome", "who", "from", "to", "detail"], rows)
    )


@app.command("verify")
def verify(
    env: str = typer.Option(..., "--env", help="Environment"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check every record chain of ENV's audit log: exit 0 when intact, 1 naming the first broken
    or missing record."""
    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.audit import verify_audit

    verdicts = verify_audit(load_environment(env))
    broken = [v for v in verdicts if not v.intact]
    if as_json:
        print_json(
            {
                "env": env,
                "intact": not broken,
                "chains": [
                    {
                        "model": v.model,
                        "records": v.records,
                        "head_sha256": v.head_sha256,
                        "problem": v.problem,
                    }
                    for v in verdicts
                ],
            }
        )
    else:
        for v in verdicts:
            state = f"[red]broken:[/] {v.problem}" if v.problem else "intact"
            console.print(
                f"{v.model}: {v.records} records verified, head sha256 {v.head_sha256[:12]}; {state}",
                highlight=False,
                soft_wrap=True,
            )
    if broken:
        raise typer.Exit(1)
