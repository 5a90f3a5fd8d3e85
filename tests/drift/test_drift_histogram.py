"""Histograms of current data: counted in the baseline's bins, merged by addition, exactly."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import (
    Baseline,
    CurrentHistogram,
    build_baseline,
    check_frame,
    evaluate_drift,
    histogram_of_frame,
    merge_histograms,
)
from mlops_kit.errors import BadInput


def _shifted(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    current = frame.sample(frac=1.0, replace=True, random_state=rng).reset_index(drop=True)
    current["income"] = current["income"] * 1.3
    current.loc[current.index[:40], "colour"] = "ultraviolet"
    return current


def test_shard_then_merge_gives_exactly_the_whole_run_answer(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline, rng: np.random.Generator
) -> None:
    current = _shifted(mixed_frame, rng)
    cuts = [0, 7, 1_000, 1_001, 2_500, len(current)]
    shards = [histogram_of_frame(current.iloc[a:b], mixed_baseline) for a, b in itertools.pairwise(cuts)]

    merged = merge_histograms(mixed_baseline, reversed(shards))
    whole = histogram_of_frame(current, mixed_baseline)

    assert evaluate_drift(mixed_baseline, merged).to_json() == evaluate_drift(mixed_baseline, whole).to_json()


def test_shards_written_as_json_and_read_back_merge_to_the_same_answer(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline, rng: np.random.Generator
) -> None:
    current = _shifted(mixed_frame, rng)
    halves = [current.iloc[:1_234], current.iloc[1_234:]]
    documents = [histogram_of_frame(half, mixed_baseline).to_json() for half in halves]

    merged = merge_histograms(mixed_baseline, (CurrentHistogram.from_json(text) for text in documents))

    assert evaluate_drift(mixed_baseline, merged) == check_frame(mixed_baseline, current)


def test_counting_on_several_threads_gives_the_same_counts(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    one = histogram_of_frame(mixed_frame, mixed_baseline, threads=1)
    two = histogram_of_frame(mixed_frame, mixed_baseline, threads=2)

    assert one.to_json() == two.to_json()


def test_counts_cover_every_row_and_report_missing_values(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    histogram = histogram_of_frame(mixed_frame, mixed_baseline)

    assert histogram.rows == 3_000
    for counts in histogram.features.values():
        assert counts.counts.sum() + counts.missing == 3_000
    assert histogram.features["income"].missing == mixed_frame["income"].isna().sum()


def test_categories_never_seen_in_training_land_in_the_unseen_bucket(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    current = mixed_frame.assign(colour=["ultraviolet"] * 10 + list(mixed_frame["colour"][10:]))

    colour = histogram_of_frame(current, mixed_baseline).features["colour"]

    assert colour.counts[-1] == 10


def test_category_dtype_and_text_columns_count_the_same(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    as_category = mixed_frame.assign(colour=mixed_frame["colour"].astype("category"))

    assert (
        histogram_of_frame(as_category, mixed_baseline).to_json()
        == histogram_of_frame(mixed_frame, mixed_baseline).to_json()
    )


def test_histograms_of_different_baselines_do_not_merge(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    other = build_baseline(mixed_frame, bins=12)

    with pytest.raises(BadInput, match="different baselines"):
        _ = histogram_of_frame(mixed_frame, mixed_baseline) + histogram_of_frame(mixed_frame, other)


def test_a_histogram_is_judged_only_against_its_own_baseline(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    other = build_baseline(mixed_frame, bins=12)

    with pytest.raises(BadInput, match="another baseline"):
        evaluate_drift(other, histogram_of_frame(mixed_frame, mixed_baseline))


def test_missing_and_extra_columns_are_counted_and_the_rest_is_judged(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    wrong = mixed_frame.drop(columns=["age"]).assign(height=1.0)

    histogram = histogram_of_frame(wrong, mixed_baseline)

    assert (set(histogram.missing_columns), set(histogram.extra_columns)) == ({"age"}, {"height"})
    assert histogram.features["age"].counts.sum() == 0
    income = histogram.features["income"]
    assert income.counts.sum() + income.missing == len(mixed_frame)


def test_a_frame_with_none_of_the_features_is_bad_input_naming_them(mixed_baseline: Baseline) -> None:
    other = pd.DataFrame({"height": [1.0, 2.0], "weight": [3.0, 4.0]})

    with pytest.raises(BadInput, match="none of the baseline's features: missing column\\(s\\): income, age"):
        histogram_of_frame(other, mixed_baseline)


def test_values_outside_the_training_range_are_counted_per_side(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    income = mixed_baseline.feature("income")
    current = mixed_frame.head(10).assign(
        income=[income.minimum - 1, income.minimum, income.maximum, income.maximum + 1, np.inf, *[50.0] * 5]  # type: ignore[union-attr]
    )

    counts = histogram_of_frame(current, mixed_baseline).features["income"]

    assert (counts.below_range, counts.above_range) == (1, 2)


def test_rows_with_text_in_a_numeric_column_are_skipped_and_counted(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    current = mixed_frame.head(100).astype({"income": object})
    current.loc[[3, 4], "income"] = "n/a"
    current.loc[5, "income"] = ""

    histogram = histogram_of_frame(current, mixed_baseline)

    assert histogram.rows_skipped == 2
    assert histogram.rows == 98
    assert histogram.features["income"].missing == current["income"].drop(index=[3, 4]).isna().sum() + 1


def test_a_histogram_document_of_another_kind_is_bad_input() -> None:
    with pytest.raises(BadInput, match="not a drift histogram"):
        CurrentHistogram.from_json('{"format": "mlops-kit/drift-baseline"}')


def test_a_histogram_missing_a_feature_is_bad_input(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    document = json.loads(histogram_of_frame(mixed_frame, mixed_baseline).to_json())
    del document["features"]["age"]

    with pytest.raises(BadInput, match="no counts for feature\\(s\\): age"):
        evaluate_drift(mixed_baseline, CurrentHistogram.from_json(json.dumps(document)))
