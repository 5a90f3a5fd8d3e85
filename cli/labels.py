"""`kit labels upload`: ground truth for the endpoint's answers, keyed by the capture's inference id."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


@app.command("upload")
def upload(
    file: Path = typer.Argument(..., help="Labels: CSV (header row) or Parquet, one row per inference id."),
    env: str = typer.Option(..., "--env", help="Environment"),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's first)."),
    id_column: str = typer.Option("inference_id", "--id-column", help="Column of the inference ids."),
    label_column: str = typer.Option("label", "--label-column", help="Column of the labels (0 or 1)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check a labels file and upload its usable labels; bad rows are counted, exit 2 if none is usable."""
    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.monitoring.quality_check import upload_labels

    uploaded = upload_labels(
        load_environment(env), model, file, id_column=id_column, label_column=label_column
    )
    if as_json:
        print_json(
            {
                "uri": uploaded.uri,
                "labels": uploaded.labels,
                "rejected": uploaded.rejected,
                "already_uploaded": uploaded.already_uploaded,
            }
        )
        return
    rejected = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in uploaded.rejected.items())
    state = "already uploaded" if uploaded.already_uploaded else "uploaded"
    console.print(
        f"{uploaded.labels} label(s) {state}: {uploaded.uri}"
        + (f"; rows left out: {rejected}" if rejected else ""),
        highlight=False,
        soft_wrap=True,
    )
