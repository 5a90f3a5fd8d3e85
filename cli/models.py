"""`kit models`: check model folders; versions of each environment, what serves, and one version's
full story."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


def _metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in sorted(metrics.items()))


@app.command("list")
def list_versions(
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Only this model"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Versions with status, key metrics, source, and which one serves."""
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.catalog import list_model_versions

    rows = list_model_versions(load_environment(env), model)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    console.print(
        table(
            f"Model versions: {env}",
            ["model", "version", "status", "metrics", "source", "serving"],
            [
                [
                    r.version.model,
                    r.version.version,
                    r.version.status,
                    _metrics(r.version.lineage.metrics),
                    r.version.source_label,
                    "[bold green]● serving[/]" if r.serving else "",
                ]
                for r in rows
            ],
        )
    )


@app.command("check")
def check(
    name: str | None = typer.Argument(None, help="Model (default: every model folder and registration)."),
    path: Path | None = typer.Option(None, "--path", help="Check this model folder instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Validate model folders offline (manifest, entry points, schema against a data sample, gated
    metrics); every problem as `file: field: message`, exit 2."""
    from cli.output import console, print_json
    from mlops_kit.model_contract.check import check_models

    checked = check_models(name, path=path)
    if as_json:
        print_json([c.as_dict() for c in checked])
        return
    for model in checked:
        console.print(
            f"{model.name}: ok ({model.task}; {model.features} features, {model.categorical} categorical; "
            f"schema holds on {model.rows} rows; writes {', '.join(model.metrics)}; "
            f"meets the gates of {', '.join(model.gated_by)})",
            highlight=False,
            soft_wrap=True,
        )


@app.command("show")
def show(
    model: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version number in ENV"),
    env: str = typer.Option(..., "--env", help="Environment"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Metrics, lineage, gate results and audit history of one version."""
    from cli.output import console, print_json, table
    from cli.promote import gate_table
    from mlops_kit.config import load_environment
    from mlops_kit.promotion.catalog import show_model_version

    details = show_model_version(load_environment(env), model, version)
    if as_json:
        print_json(details.as_dict())
        return
    v = details.version
    console.print(
        f"{model} {v.label}: {v.status}{' (serving)' if details.serving else ''}, source {v.source_label}",
        highlight=False,
    )
    console.print(
        table("Metrics", ["metric", "value"], [[k, f"{m:.4f}"] for k, m in sorted(v.lineage.metrics.items())])
    )
    run = v.lineage.extra.get("mlflow_run_id", "")
    if run and run != "untracked":
        link = v.lineage.extra.get("mlflow_run_url", "")
        shown = f"{run} ({link})" if link and link != "none" else run
        console.print(f"MLflow run: {shown}", highlight=False, soft_wrap=True)
    lineage = {"arn": v.arn, "artifact": v.artifact_uri, "image": v.image, **v.lineage.to_metadata()}
    lineage.pop("metrics", None)
    console.print(table("Lineage", ["field", "value"], [[k, val] for k, val in lineage.items()]))
    if details.gates:
        console.print(gate_table("Gates passed on promotion", details.gates))
    console.print(
        table(
            "Audit history",
            ["time", "kind", "outcome", "who", "detail"],
            [[e.at, e.kind, e.outcome, e.actor, e.comment or e.detail] for e in details.history],
        )
    )


@app.command("reproduce")
def reproduce(
    model: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version number in ENV"),
    env: str = typer.Option(..., "--env", help="Environment that trained it"),
    tolerance: float = typer.Option(0.005, "--tolerance", help="Largest accepted difference per metric."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Train a version again with its data version, commit, image and parameters; compare metrics
    (exit 1 when a metric differs by more than the tolerance)."""
    from cli.output import console, print_json, table
    from cli.pipeline import _builder
    from mlops_kit.config import load_environment
    from mlops_kit.experiments.reproduce import reproduce_version

    result = reproduce_version(load_environment(env), _builder(model), model, version, tolerance=tolerance)
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(
            f"{model} {env} v{version} reproduced as {result.reproduced_arn} from {result.data_uri}",
            highlight=False,
            soft_wrap=True,
        )
        console.print(
            table(
                f"Metrics (tolerance {tolerance})",
                ["metric", "original", "reproduced", "difference", "within"],
                [
                    [
                        m.metric,
                        f"{m.original:.6f}",
                        f"{m.reproduced:.6f}",
                        f"{m.difference:+.6f}",
                        "yes" if m.within(tolerance) else "[bold red]no[/]",
                    ]
                    for m in result.metrics
                ],
            )
        )
    if not result.within_tolerance:
        raise typer.Exit(1)


@app.command("card")
def card(
    model: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version number in ENV"),
    env: str = typer.Option(..., "--env", help="Environment"),
    html: Path | None = typer.Option(None, "--html", help="Also write the card as an HTML page to FILE."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create or refresh the version's model card (a SageMaker Model Card) and show it."""
    from cli.output import console, print_json, table
    from mlops_kit.config import load_environment
    from mlops_kit.experiments.model_card import card_explanations, card_html, publish_model_card

    published = publish_model_card(load_environment(env), model, version)
    if html is not None:
        html.write_text(card_html(published), encoding="utf-8")
    if as_json:
        print_json(published.as_dict())
        return
    content = published.content
    custom = content["additional_information"]["custom_details"]
    console.print(
        f"model card {published.name} (card version {published.card_version}, sha256 {published.sha256})",
        highlight=False,
        soft_wrap=True,
    )
    rows = [
        ["owner", content["model_overview"]["model_owner"]],
        ["intended use", content["intended_uses"]["intended_uses"]],
        [
            "training data",
            ", ".join(content["training_details"]["training_job_details"]["training_datasets"]),
        ],
        ["data version", custom["data_version_id"]],
        ["git commit", custom["git_commit"]],
        ["MLflow run", custom["mlflow_run_url"] or custom["mlflow_run_id"]],
        *([name, line] for name, line in card_explanations(content).items()),
    ]
    console.print(table("Card", ["field", "value"], rows))
    if html is not None:
        console.print(f"HTML written to {html}", highlight=False)
