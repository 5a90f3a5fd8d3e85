"""The report: the JSON document the CLI prints, and the self-contained HTML page."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import DriftReport, build_baseline, check_frame, render_html_report


@pytest.fixture
def report(rng: np.random.Generator) -> DriftReport:
    """A report on four features: one shifted, one fine, one with no current values, one text."""
    reference = pd.DataFrame(
        {
            "steady": rng.normal(size=2_000),
            "<shifted>": rng.normal(size=2_000),
            "vanished": rng.normal(size=2_000),
            "plan": rng.choice(["basic", "pro"], 2_000),
        }
    )
    current = reference.sample(frac=1.0, random_state=rng).reset_index(drop=True)
    current["<shifted>"] += 2.0
    current["vanished"] = np.nan
    return check_frame(build_baseline(reference), current)


def test_the_json_document_has_the_dataset_verdict_counts_and_every_feature(report: DriftReport) -> None:
    document = json.loads(report.to_json())

    assert document["drifted"] is True  # 2 of the 4 features: at least 30%
    assert document["drifted_features"] == ["<shifted>", "vanished"]
    assert (document["rows_baseline"], document["rows_current"], document["rows_skipped"]) == (
        2_000,
        2_000,
        0,
    )
    assert next(feature["name"] for feature in document["features"]) == "<shifted>"
    for feature in document["features"]:
        assert {"name", "kind", "statistics", "threshold", "drifted", "verdict"} <= set(feature)


def test_each_feature_carries_its_statistics_thresholds_and_verdict(report: DriftReport) -> None:
    shifted = json.loads(report.to_json())["features"][0]

    assert shifted["kind"] == "numeric"
    assert shifted["verdict"] == "drift" and shifted["drifted"] is True
    assert set(shifted["statistics"]) == {
        "psi",
        "ks_statistic",
        "ks_pvalue",
        "chi2_pvalue",
        "wasserstein",
        "wasserstein_normed",
        "missing_share_baseline",
        "missing_share_current",
        "missing_pvalue",
    }
    assert shifted["threshold"] == {
        "pvalue": 0.001,
        "wasserstein_normed": 0.05,
        "psi": 0.1,
        "missing_share": 0.01,
    }
    assert len(shifted["histogram"]["baseline"]) == len(shifted["histogram"]["labels"]) == 10


def test_a_feature_without_current_values_drifts_on_its_missing_share_with_null_shape_statistics(
    report: DriftReport,
) -> None:
    text = report.to_json()
    vanished = next(feature for feature in json.loads(text)["features"] if feature["name"] == "vanished")
    statistics = vanished["statistics"]

    assert "NaN" not in text
    assert vanished["verdict"] == "drift"
    assert (statistics["missing_share_baseline"], statistics["missing_share_current"]) == (0.0, 1.0)
    assert {statistics[name] for name in ("psi", "ks_pvalue", "wasserstein_normed")} == {None}


def test_categorical_features_report_chi_square_js_distance_and_unseen(report: DriftReport) -> None:
    plan = json.loads(report.to_json())["features"][-1]

    assert plan["kind"] == "categorical"
    assert set(plan["statistics"]) == {
        "chi2_statistic",
        "chi2_pvalue",
        "js_distance",
        "unseen",
        "missing_share_baseline",
        "missing_share_current",
        "missing_pvalue",
    }
    assert plan["histogram"]["labels"] == ["basic", "pro", "unseen"]


def test_the_html_page_is_self_contained(report: DriftReport) -> None:
    page = render_html_report(report)

    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|<img|src=|url\(|https?://(?!www\.w3\.org/2000/svg)", page)
    assert page.count("<svg") == len(report.features)


def test_the_html_page_shows_drifted_features_first_and_escapes_names(report: DriftReport) -> None:
    page = render_html_report(report)

    assert "&lt;shifted&gt;" in page and "<shifted>" not in page
    assert page.index("<h2>&lt;shifted&gt;") < page.index("<h2>steady")


def test_the_json_document_reports_data_quality_per_window_and_per_feature(rng: np.random.Generator) -> None:
    reference = pd.DataFrame({"age": rng.integers(18, 90, 2_000), "income": rng.normal(50.0, 5.0, 2_000)})
    current = reference.assign(region="eu").astype({"income": object})
    current.loc[:9, "age"] = 200
    current.loc[10:12, "income"] = "n/a"

    document = json.loads(check_frame(build_baseline(reference), current).to_json())

    assert document["data_quality"] == {
        "rows_skipped": {"unparseable": 3},
        "missing_columns": [],
        "extra_columns": ["region"],
    }
    age = next(feature for feature in document["features"] if feature["name"] == "age")
    income = next(feature for feature in document["features"] if feature["name"] == "income")
    assert age["data_quality"] == {"missing_share": 0.0, "below_range": 0, "above_range": 10, "invalid": 0}
    assert income["data_quality"]["invalid"] == 3


def test_the_html_page_has_a_data_quality_section(rng: np.random.Generator) -> None:
    reference = pd.DataFrame({"age": rng.integers(18, 90, 2_000)})
    current = reference.assign(region="eu")
    current.loc[:9, "age"] = 200

    page = render_html_report(check_frame(build_baseline(reference), current))

    assert "<h2>Data quality</h2>" in page
    assert "Unknown columns: region" in page
    assert "<tr><td>age</td><td>0.00%</td><td>0</td><td>10</td><td>0</td></tr>" in page
