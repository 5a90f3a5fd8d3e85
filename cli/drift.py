"""`kit drift run`: compare current data with the training baseline (exit 3 when it drifted);
`kit drift baseline`: build a baseline from a data file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.output import console, print_json, table

if TYPE_CHECKING:
    from mlops_kit.monitoring import DriftCheck

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS

STATISTIC_FORMAT = "{:.4g}"
# Short names for the table; the JSON report keeps the full ones.
SHORT_NAMES = {
    "wasserstein_normed": "W/sd",
    "ks_pvalue": "ks p",
    "chi2_pvalue": "chi2 p",
    "js_distance": "js",
}


@app.command("baseline")
def baseline_command(
    data: Path = typer.Argument(..., help="Training data: CSV (with a header row) or Parquet."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the baseline JSON here (default: print it)."
    ),
    categorical: list[str] = typer.Option(
        [], "--categorical", help="A numeric column to treat as categories (repeat for more)."
    ),
) -> None:
    """Build a drift baseline (bins and training counts per column) from a data file."""
    from mlops_kit.drift import baseline_of_frame, read_data_file
    from mlops_kit.errors import BadInput

    try:
        frame = read_data_file(data)
    except BadInput as error:
        raise BadInput(f"DATA {error.message}") from None
    try:
        built = baseline_of_frame(frame, categorical=categorical, metadata={"data": data.name})
    except BadInput as error:
        raise BadInput(f"--categorical: {error.message}") from None
    if output is None:
        sys.stdout.write(built.to_json() + "\n")
        return
    try:
        output.write_text(built.to_json() + "\n", encoding="utf-8")
    except OSError as error:
        raise BadInput(f"--output {output}: {error.strerror}") from None
    console.print(
        f"baseline of {built.rows} rows, {len(built.features)} features "
        f"({sum(f.kind == 'categorical' for f in built.features)} categorical): {output}",
        highlight=False,
        soft_wrap=True,  # the path stays whole, whatever the terminal's width
    )


@app.command("run")
def run(
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Baseline JSON, or a CSV/Parquet data file to build one from: path or s3:// URI "
        "(default with --env: the serving version's).",
    ),
    current: str | None = typer.Option(
        None,
        "--current",
        help="Current data: CSV/Parquet/capture .jsonl file, folder, or s3:// key or prefix.",
    ),
    env: str | None = typer.Option(
        None, "--env", help="Check an environment's endpoint capture; publish the report and metrics."
    ),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's first)."),
    since: str | None = typer.Option(None, "--since", help="With --env: capture window, e.g. 24h, 90m, 7d."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML report here."),
) -> None:
    """Run the drift check; exit 0 without drift, 3 with drift, 2 for bad input."""
    from mlops_kit.errors import BadInput, DriftFound

    check = _check(baseline=baseline, current=current, env=env, model=model, since=since)
    if html is not None:
        from mlops_kit.drift import render_html_report

        try:
            html.write_text(render_html_report(check.report), encoding="utf-8")
        except OSError as error:
            raise BadInput(f"--html {html}: {error.strerror}") from None
    if as_json:
        print_json(check.document)
    else:
        _render(check, html)
    if check.report.drifted:
        drifted = check.report.drifted_features
        raise DriftFound(f"drift found in {len(drifted)} feature(s): {', '.join(drifted)}")
    if check.predictions_drifted:
        variants = [p.variant for p in check.predictions if p.drifted]
        raise DriftFound(f"prediction drift found in variant(s): {', '.join(variants)}")


def _check(
    *, baseline: str | None, current: str | None, env: str | None, model: str | None, since: str | None
) -> DriftCheck:
    from mlops_kit.errors import BadInput
    from mlops_kit.monitoring import check_environment, check_sources, parse_since

    if env is None:
        if baseline is None or current is None:
            raise BadInput("give --baseline and --current, or --env to check an environment's endpoint")
        if since is not None or model is not None:
            raise BadInput("--since and --model need --env")
        return check_sources(baseline, current)
    if current is not None:
        raise BadInput("--current is not used with --env: the current data is the endpoint's capture")
    from mlops_kit.config import load_environment

    window = parse_since(since) if since is not None else None
    return check_environment(load_environment(env), model, since=window, baseline=baseline)


def _statistics(feature: Any) -> str:
    shown = (
        ("wasserstein_normed", "psi", "ks_pvalue", "chi2_pvalue")
        if feature.kind == "numeric"
        else ("js_distance", "chi2_pvalue")
    )
    values = [(name, feature.statistics.get(name)) for name in shown]
    return (
        ", ".join(f"{SHORT_NAMES.get(n, n)} {STATISTIC_FORMAT.format(v)}" for n, v in values if v is not None)
        or "-"
    )


def _thresholds(feature: Any) -> str:
    return ", ".join(
        f"{SHORT_NAMES.get(name, name)} {STATISTIC_FORMAT.format(value)}"
        for name, value in feature.threshold.items()
    )


def _quality_lines(report: Any) -> list[str]:
    quality = report.data_quality
    lines = [f"{rows} {reason} row(s) skipped" for reason, rows in quality["rows_skipped"].items()]
    if quality["missing_columns"]:
        lines.append(f"missing column(s) {', '.join(quality['missing_columns'])}")
    if quality["extra_columns"]:
        lines.append(f"unknown column(s) {', '.join(quality['extra_columns'])}")
    for feature in report.features:
        outside = feature.quality["below_range"] + feature.quality["above_range"]
        if outside:
            lines.append(f"{feature.name}: {outside} value(s) outside the training range")
    return lines


def _prediction_lines(check: DriftCheck) -> list[str]:
    lines = []
    for result in check.predictions:
        served = f"{result.variant} ({f'v{result.version}' if result.version else result.model_name or '?'})"
        if result.report is None:
            lines.append(f"predictions of {served}: not compared, {result.unavailable}")
        elif result.drifted:
            lines.append(f"predictions of {served}: drift in {', '.join(result.report.drifted_features)}")
        else:
            lines.append(f"predictions of {served}: no drift ({result.report.rows_current} answers)")
    return lines


def _render(check: DriftCheck, html: Path | None) -> None:
    report = check.report
    style = {"drift": "[red]drift[/]", "no_drift": "[green]ok[/]", "insufficient_data": "[yellow]too few[/]"}
    rows = [
        [
            f"{feature.name}{' (critical)' if feature.critical else ''}",
            feature.kind,
            style[str(feature.verdict)],
            _statistics(feature),
            _thresholds(feature),
            feature.rows_current,
        ]
        for feature in report.features  # drifted first: the engine orders them so
    ]
    verdict = "[red]DRIFT[/]" if report.drifted else "[green]no drift[/]"
    console.print(
        table(
            f"drift: {verdict} ({len(report.drifted_features)}/{len(report.features)} features, "
            f"share {report.drifted_share:.0%})",
            ["feature", "kind", "verdict", "statistics", "drift when", "rows"],
            rows,
        )
    )
    console.print(
        f"rows: {report.rows_current} used, {report.rows_skipped} skipped; baseline {report.rows_baseline}",
        highlight=False,
    )
    quality = _quality_lines(report)
    if quality:
        console.print("data quality: " + "; ".join(quality), highlight=False)
    for line in _prediction_lines(check):
        console.print(line, highlight=False)
    if check.report_uri:
        console.print(
            f"report: {check.report_uri} ({check.metrics_published} metrics published)", highlight=False
        )
    if html is not None:
        console.print(f"html: {html}", highlight=False)
