"""`kit quality run`: accuracy and AUC of the endpoint's answers that have labels, per variant."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


@app.command("run")
def run(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's first)."),
    since: str | None = typer.Option(
        None, "--since", help="Answers of the last 24h, 90m, 7d (default: the drift window)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Join uploaded labels with the capture, publish accuracy and AUC; exit 2 if no answer has a label."""
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.monitoring import parse_since
    from mlops_kit.monitoring.quality_check import check_quality

    window = parse_since(since) if since is not None else None
    check = check_quality(load_environment(env), model, since=window)
    if as_json:
        print_json(check.document)
        return
    rows = [
        [
            q.variant,
            f"v{q.version}" if q.version else (q.model_name or "-"),
            q.labelled,
            f"{q.accuracy:.4f}",
            "-" if q.auc is None else f"{q.auc:.4f}",
        ]
        for q in (*check.report.variants, *([check.report.overall] if check.report.overall else []))
    ]
    console.print(table("model quality", ["variant", "serves", "labelled", "accuracy", "auc"], rows))
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in check.report.skipped.items())
    if skipped:
        console.print(f"left out: {skipped}", highlight=False)
    console.print(
        f"report: {check.report_uri} ({check.metrics_published} metrics published)", highlight=False
    )
