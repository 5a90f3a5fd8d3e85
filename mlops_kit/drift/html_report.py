"""A self-contained HTML page of a drift report: one inline-SVG histogram pair per feature."""

from __future__ import annotations

from html import escape

from mlops_kit.drift.report import DriftReport, FeatureDrift, Verdict

_BAR_HEIGHT = 120
_BAR_WIDTH = 14
_GROUP_GAP = 8
_LABEL_SPACE = 70
_BASELINE_COLOUR = "#8c9bab"
_CURRENT_COLOUR = "#d9534f"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
.drift { color: #b52b27; font-weight: bold; }
.no_drift { color: #2d7a2d; }
.insufficient_data { color: #8a6d3b; }
section { margin-bottom: 2em; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }
svg text { font-size: 10px; fill: #444; }
"""


def render_html_report(report: DriftReport, *, title: str = "Drift report") -> str:
    """The report as one HTML document with no external assets, drifted features first."""
    verdict = "DRIFT" if report.drifted else "no drift"
    summary = (
        f"<p>Dataset verdict: <span class='{'drift' if report.drifted else 'no_drift'}'>"
        f"{verdict}</span> ({len(report.drifted_features)} of {len(report.features)} features "
        f"drifted, share {report.drifted_share:.0%} of those with a verdict).</p>"
        f"<p>Rows: baseline {report.rows_baseline:,}, current {report.rows_current:,}, "
        f"skipped {report.rows_skipped:,}. Baseline {escape(report.baseline_fingerprint)}.</p>"
    )
    legend = (
        "<p class='legend'>Share of values per bin:"
        f"<span style='background:{_BASELINE_COLOUR}'></span>baseline"
        f"<span style='background:{_CURRENT_COLOUR}'></span>current</p>"
    )
    sections = "\n".join(_feature_section(feature) for feature in report.features)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{summary}{_summary_table(report)}{_quality_section(report)}"
        f"{legend}{sections}"
        "</body></html>\n"
    )


def _summary_table(report: DriftReport) -> str:
    rows = "".join(
        f"<tr><td>{escape(feature.name)}{' (critical)' if feature.critical else ''}</td>"
        f"<td>{feature.kind}</td><td class='{feature.verdict}'>{feature.verdict}</td>"
        f"<td>{escape(_statistics_text(feature))}</td></tr>"
        for feature in report.features
    )
    return f"<table><tr><th>feature</th><th>kind</th><th>verdict</th><th>statistics</th></tr>{rows}</table>"


def _quality_section(report: DriftReport) -> str:
    """Schema violations, skipped rows and each feature's missing, out-of-range and invalid values."""
    quality = report.data_quality
    skipped = ", ".join(f"{reason} {rows:,}" for reason, rows in quality["rows_skipped"].items()) or "none"
    lines = [f"<li>Rows skipped: {escape(skipped)}</li>"]
    for key, text in (("missing_columns", "Baseline features missing"), ("extra_columns", "Unknown columns")):
        if quality[key]:
            lines.append(f"<li>{text}: {escape(', '.join(quality[key]))}</li>")
    rows = "".join(
        f"<tr><td>{escape(feature.name)}</td><td>{feature.quality['missing_share']:.2%}</td>"
        f"<td>{feature.quality['below_range']:,}</td><td>{feature.quality['above_range']:,}</td>"
        f"<td>{feature.quality['invalid']:,}</td></tr>"
        for feature in report.features
        if feature.quality["missing_share"]
        or feature.quality["below_range"]
        or feature.quality["above_range"]
        or feature.quality["invalid"]
    )
    table = (
        "<table><tr><th>feature</th><th>missing</th><th>below training range</th>"
        f"<th>above training range</th><th>not a number</th></tr>{rows}</table>"
        if rows
        else "<p>No missing, out-of-range or invalid values.</p>"
    )
    return f"<section class='quality'><h2>Data quality</h2><ul>{''.join(lines)}</ul>{table}</section>"


def _statistics_text(feature: FeatureDrift) -> str:
    return ", ".join(
        f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
        for name, value in feature.statistics.items()
    )


def _feature_section(feature: FeatureDrift) -> str:
    heading = f"<h2>{escape(feature.name)} <small class='{feature.verdict}'>{feature.verdict}</small></h2>"
    detail = (
        f"<p>{feature.kind}; rows baseline {feature.rows_baseline:,}, current "
        f"{feature.rows_current:,} (missing {feature.missing_current:,}); thresholds "
        f"{escape(', '.join(f'{k}={v:g}' for k, v in feature.threshold.items()))}</p>"
    )
    if feature.verdict is Verdict.INSUFFICIENT_DATA:
        detail += "<p>Too few values for a verdict.</p>"
    return f"<section>{heading}{detail}{_histogram_svg(feature)}</section>"


def _histogram_svg(feature: FeatureDrift) -> str:
    baseline = _shares(feature.baseline_counts)
    current = _shares(feature.current_counts)
    tallest = max([*baseline, *current, 1e-12])
    group = 2 * _BAR_WIDTH + _GROUP_GAP
    width = group * len(feature.bin_labels) + _GROUP_GAP + _LABEL_SPACE  # room for the last tilted label
    height = _BAR_HEIGHT + _LABEL_SPACE
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='histogram of {escape(feature.name, quote=True)}'>"
    ]
    for index, label in enumerate(feature.bin_labels):
        left = _GROUP_GAP + index * group
        for offset, share, colour in (
            (0, baseline[index], _BASELINE_COLOUR),
            (_BAR_WIDTH, current[index], _CURRENT_COLOUR),
        ):
            bar = share / tallest * _BAR_HEIGHT
            parts.append(
                f"<rect x='{left + offset}' y='{_BAR_HEIGHT - bar:.1f}' width='{_BAR_WIDTH}' "
                f"height='{bar:.1f}' fill='{colour}'><title>{escape(label)}: "
                f"{share:.1%}</title></rect>"
            )
        x, y = left + _BAR_WIDTH, _BAR_HEIGHT + 8
        parts.append(f"<text x='{x}' y='{y}' transform='rotate(45 {x} {y})'>{escape(label[:18])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _shares(counts: tuple[int, ...]) -> list[float]:
    total = sum(counts)
    return [count / total if total else 0.0 for count in counts]
