"""`kit stack`: the environments' Terraform stacks."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Terraform stacks: diff (a read-only plan, summarised).", no_args_is_help=True)


@app.command("diff")
def diff(
    env: str = typer.Argument(..., help="dev, staging or prod"),
    summary: Path | None = typer.Option(
        None, "--summary", help="Append the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)."
    ),
    outdir: Path | None = typer.Option(
        None, "--output", help="Synthesize into this folder (default cdktf.out)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Plan ENV's stack against its state (what `cdktf diff` does) and summarise the changes."""
    from cli.output import err_console, print_json
    from mlops_kit.stack_diff import diff_stack

    result = diff_stack(env, outdir=outdir, progress=lambda m: err_console.print(m, highlight=False))
    text = result.markdown()
    if summary is not None:
        with summary.open("a") as out:
            out.write(text + "\n")
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(text, nl=False)
