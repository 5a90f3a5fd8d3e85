"""SageMaker data capture as current data: CSV and JSON payloads, a time window, corrupt lines."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import (
    Baseline,
    LocalDirectoryStore,
    TimeWindow,
    Verdict,
    build_baseline,
    capture_frame,
    evaluate_drift,
    histogram_of_capture,
    histogram_of_capture_keys,
    histogram_of_capture_lines,
    histogram_of_frame,
    keys_for_shard,
)
from mlops_kit.drift.capture import iso_time
from mlops_kit.errors import BadInput


def _line(
    data: str, encoding: str, *, at: str = "2026-11-25T09:00:00Z", content_type: str = "text/csv"
) -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content_type,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": "0.93",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {"eventId": "6e0f8a1c", "inferenceTime": at},
            "eventVersion": "0",
        }
    )


@pytest.fixture
def baseline() -> Baseline:
    """A baseline of two numeric features and one categorical, in that column order."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, 1_000),
            "income": rng.normal(50.0, 10.0, 1_000),
            "plan": rng.choice(["basic", "pro"], 1_000),
        }
    )
    return build_baseline(frame)


def test_csv_payloads_are_mapped_to_features_in_the_baselines_order(baseline: Baseline) -> None:
    lines = [_line("34,51.5,pro", "CSV"), _line("61,40.25,basic\n45,60,pro", "CSV")]

    frame, skipped = capture_frame(lines, baseline)

    assert skipped == {}
    assert frame.to_dict("list") == {
        "age": ["34", "61", "45"],
        "income": ["51.5", "40.25", "60"],
        "plan": ["pro", "basic", "pro"],
    }


def test_json_payloads_of_the_usual_shapes_are_read(baseline: Baseline) -> None:
    lines = [
        _line(
            json.dumps({"age": 34, "income": 51.5, "plan": "pro"}), "JSON", content_type="application/json"
        ),
        _line(
            json.dumps({"instances": [[61, 40.25, "basic"], {"age": 45, "income": 60, "plan": "pro"}]}),
            "JSON",
        ),
        _line(json.dumps({"features": [20, 30.0, "basic"]}), "JSON"),
        _line(json.dumps([70, 80.0, "pro"]), "JSON"),
    ]

    frame, skipped = capture_frame(lines, baseline)

    assert skipped == {}
    assert frame["age"].tolist() == [34, 61, 45, 20, 70]
    assert frame["plan"].tolist() == ["pro", "basic", "pro", "basic", "pro"]


def test_base64_payloads_are_decoded_by_their_content_type(baseline: Baseline) -> None:
    csv_line = _line(base64.b64encode(b"34,51.5,pro").decode(), "BASE64", content_type="text/csv")
    json_payload = base64.b64encode(json.dumps([61, 40.25, "basic"]).encode()).decode()
    json_line = _line(json_payload, "BASE64", content_type="application/json")

    frame, skipped = capture_frame([csv_line, json_line], baseline)

    assert skipped == {}
    assert frame["plan"].tolist() == ["pro", "basic"]


def test_only_requests_inside_the_time_window_are_used(baseline: Baseline) -> None:
    lines = [
        _line("1,1,pro", "CSV", at="2026-11-25T08:59:59Z"),
        _line("2,2,pro", "CSV", at="2026-11-25T09:00:00Z"),
        _line("3,3,pro", "CSV", at="2026-11-25T09:59:59.500000+00:00"),
        _line("4,4,pro", "CSV", at="2026-11-25T10:00:00Z"),
    ]
    window = TimeWindow(start=datetime(2026, 11, 25, 9), end=datetime(2026, 11, 25, 10))

    frame, skipped = capture_frame(lines, baseline, window)

    assert frame["age"].tolist() == ["2", "3"]
    assert skipped == {}


def test_corrupt_lines_are_skipped_and_counted(baseline: Baseline) -> None:
    lines = [
        _line("34,51.5,pro", "CSV"),
        '{"captureData": {"endpointInput": ',  # cut short
        json.dumps({"eventMetadata": {}}),  # no captureData
        json.dumps({"captureData": {"endpointInput": "34,51.5,pro"}}),  # not an object
        _line("!!not base64!!", "BASE64"),
        _line("34,51.5,pro", "PROTOBUF"),
        _line(base64.b64encode(b"[1, 2").decode(), "BASE64", content_type="application/json"),
        "",  # blank lines are not corrupt, just empty
    ]

    histogram = histogram_of_capture_lines(lines, baseline)

    assert histogram.rows == 1
    assert dict(histogram.skipped) == {"corrupt": 6}


@pytest.mark.parametrize(
    ("text", "microseconds"),
    [
        ("2026-11-25T09:00:00Z", 0),
        ("2026-11-25T09:00:00.5Z", 500_000),
        ("2026-11-25T09:00:00.123Z", 123_000),
        ("2026-11-25T09:00:00.123456789Z", 123_456),
        ("2026-11-25T10:00:00.25+01:00", 250_000),
    ],
)
def test_sagemaker_times_are_read_whatever_the_length_of_their_fraction(text: str, microseconds: int) -> None:
    # Python 3.9's fromisoformat (the drift job's image) takes none of these but the third and fifth.
    expected = datetime(2026, 11, 25, 9, tzinfo=UTC) + timedelta(microseconds=microseconds)

    assert iso_time(text) == expected


def test_a_line_without_a_readable_time_is_corrupt_when_a_window_is_set(baseline: Baseline) -> None:
    lines = [_line("34,51.5,pro", "CSV", at="yesterday"), _line("35,51.5,pro", "CSV")]

    histogram = histogram_of_capture_lines(lines, baseline, TimeWindow(start=datetime(2026, 1, 1)))

    assert (histogram.rows, histogram.rows_skipped) == (1, 1)


def test_a_request_with_text_where_a_number_belongs_is_skipped_and_counted(baseline: Baseline) -> None:
    lines = [_line("34,51.5,pro", "CSV"), _line("thirty,51.5,pro", "CSV")]

    histogram = histogram_of_capture_lines(lines, baseline)

    assert (histogram.rows, histogram.rows_skipped) == (1, 1)


def test_csv_rows_of_another_width_are_skipped_as_schema_violations(baseline: Baseline) -> None:
    lines = [_line("34,51.5,pro,extra", "CSV"), _line("35,52.5,basic", "CSV")]

    histogram = histogram_of_capture_lines(lines, baseline)

    assert (histogram.rows, dict(histogram.skipped)) == (1, {"schema": 1})


def test_json_records_with_other_fields_are_skipped_as_schema_violations(baseline: Baseline) -> None:
    lines = [
        _line(json.dumps({"age": 34, "plan": "pro", "region": "eu"}), "JSON"),
        _line(json.dumps({"age": 34, "income": 50.0, "plan": "pro"}), "JSON"),
    ]

    frame, skipped = capture_frame(lines, baseline)

    assert (len(frame), skipped) == (1, {"schema": 1})


def test_a_capture_file_cut_mid_line_counts_the_cut_line_as_corrupt(baseline: Baseline) -> None:
    whole = "\n".join(_line(f"{30 + i},51.5,pro", "CSV") for i in range(200))
    cut = whole[: len(whole) - 25]  # the last line loses its end

    histogram = histogram_of_capture_lines(cut.splitlines(), baseline)

    assert (histogram.rows, dict(histogram.skipped)) == (199, {"corrupt": 1})


def test_capture_of_another_model_only_is_bad_input_saying_nothing_usable_remains(
    baseline: Baseline,
) -> None:
    histogram = histogram_of_capture_lines([_line("1,2,3,4,5", "CSV")] * 3, baseline)

    with pytest.raises(BadInput, match=r"no usable rows: all 3 were skipped \(3 schema\)"):
        evaluate_drift(baseline, histogram)


def test_capture_counts_match_the_same_rows_given_as_a_frame(baseline: Baseline) -> None:
    rng = np.random.default_rng(9)
    rows = pd.DataFrame(
        {
            "age": rng.integers(18, 90, 300),
            "income": rng.normal(55.0, 10.0, 300),
            "plan": rng.choice(["basic", "pro", "team"], 300),
        }
    )
    lines = [_line(f"{age},{income!r},{plan}", "CSV") for age, income, plan in rows.itertuples(index=False)]

    assert (
        histogram_of_capture_lines(lines, baseline).to_json() == histogram_of_frame(rows, baseline).to_json()
    )


def test_capture_objects_under_a_prefix_are_read_and_merged(tmp_path: Path, baseline: Baseline) -> None:
    hour = tmp_path / "endpoint" / "AllTraffic" / "2026" / "11" / "25" / "09"
    hour.mkdir(parents=True)
    (hour / "a.jsonl").write_text("\n".join([_line("34,51.5,pro", "CSV"), "garbage"]) + "\n")
    (hour / "b.jsonl").write_text(_line("61,40.25,basic", "CSV") + "\n")

    histogram = histogram_of_capture(
        LocalDirectoryStore(tmp_path), "endpoint/AllTraffic/2026/11/25", baseline
    )

    assert (histogram.rows, histogram.rows_skipped) == (2, 1)


def test_a_time_window_that_ends_before_it_starts_is_bad_input() -> None:
    with pytest.raises(BadInput, match="at or after it ends"):
        TimeWindow(start=datetime(2026, 11, 25, 10), end=datetime(2026, 11, 25, 9))


def test_a_prefix_without_capture_objects_is_bad_input(tmp_path: Path, baseline: Baseline) -> None:
    with pytest.raises(BadInput, match="no capture objects under 'endpoint/'"):
        histogram_of_capture(LocalDirectoryStore(tmp_path), "endpoint/", baseline)


def test_a_window_with_no_requests_leaves_every_feature_without_a_verdict(
    tmp_path: Path, baseline: Baseline
) -> None:
    (tmp_path / "a.jsonl").write_text(_line("34,51.5,pro", "CSV", at="2026-11-24T09:00:00Z") + "\n")
    window = TimeWindow(start=datetime(2026, 11, 25, 9), end=datetime(2026, 11, 25, 10))

    report = evaluate_drift(
        baseline, histogram_of_capture(LocalDirectoryStore(tmp_path), "", baseline, window)
    )

    assert report.drifted is False
    assert report.rows_current == 0
    assert {feature.verdict for feature in report.features} == {Verdict.INSUFFICIENT_DATA}


def test_capture_shards_merge_to_exactly_the_whole_prefix(tmp_path: Path, baseline: Baseline) -> None:
    rng = np.random.default_rng(3)
    for index in range(5):
        requests = [f"{rng.integers(18, 90)},{rng.normal(50.0, 10.0)!r},pro" for _ in range(40)]
        (tmp_path / f"{index}.jsonl").write_text(
            "\n".join(_line(request, "CSV") for request in requests) + "\n"
        )
    store = LocalDirectoryStore(tmp_path)
    keys = store.list_keys("")

    shards = [
        histogram_of_capture_keys(store, keys_for_shard(keys, index, 3), baseline) for index in range(3)
    ]

    assert sum(shards[1:], shards[0]).to_json() == histogram_of_capture(store, "", baseline).to_json()
