"""Prediction drift, pure: the recorded validation predictions as a baseline, the captured answers
read from data capture (bad lines counted), and the verdict on every output field."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import TimeWindow
from mlops_kit.drift.predictions import captured_predictions, prediction_baseline, prediction_drift
from mlops_kit.drift.publication import PREDICTION_DRIFT_METRIC, prediction_metric_data
from mlops_kit.errors import BadInput
from mlops_kit.monitoring.prediction_drift import capture_keys_by_variant

AT = "2026-12-02T10:00:00.000Z"


def recorded(probabilities: np.ndarray) -> bytes:
    """validation_predictions.csv as train.py writes it."""
    frame = pd.DataFrame({"label": (probabilities >= 0.5).astype(int), "probability": probabilities.round(6)})
    return frame.to_csv(index=False).encode()


def answer_line(probabilities: list[float], *, at: str = AT, encoding: str = "JSON") -> str:
    data = json.dumps({"predictions": [{"label": int(p >= 0.5), "probability": p} for p in probabilities]})
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "data": "1,2", "encoding": "CSV"},
                "endpointOutput": {
                    "observedContentType": "application/json",
                    "data": data,
                    "encoding": encoding,
                },
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": at},
        }
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(15)


def test_the_recorded_predictions_become_a_baseline_with_the_label_as_a_category(
    rng: np.random.Generator,
) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 1000)))
    assert [(f.name, f.kind) for f in baseline.features] == [
        ("label", "categorical"),
        ("probability", "numeric"),
    ]
    assert baseline.rows == 1000


def test_answers_like_the_validation_ones_do_not_drift(rng: np.random.Generator) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 2000)))
    lines = [answer_line([float(p)]) for p in rng.beta(2, 5, 600)]
    frame, skipped = captured_predictions(lines, baseline.feature_names)
    report = prediction_drift(baseline, frame)
    assert (report.drifted, skipped, report.rows_current) == (False, {}, 600)


def test_answers_that_moved_drift_and_every_output_field_counts(rng: np.random.Generator) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 2000)))
    # A small move of the probabilities alone: one field of two, below the dataset share rule's
    # reach were the fields not all critical.
    lines = [answer_line([min(1.0, float(p) + 0.05)]) for p in rng.beta(2, 5, 3000)]
    frame, _ = captured_predictions(lines, baseline.feature_names)
    report = prediction_drift(baseline, frame)
    assert report.drifted is True
    assert "probability" in report.drifted_features


def test_captured_answers_in_every_shape_the_endpoint_gives(rng: np.random.Generator) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 100)))
    csv_answer = json.loads(answer_line([0.5]))
    csv_answer["captureData"]["endpointOutput"] = {
        "observedContentType": "text/csv",
        "data": "1,0.9\n0,0.1\n",
        "encoding": "CSV",
    }
    lines = [
        answer_line([0.2, 0.7]),  # one request of two rows
        answer_line([0.4], encoding="BASE64"),
        json.dumps(csv_answer),
    ]
    frame, skipped = captured_predictions(lines, baseline.feature_names)
    assert skipped == {}
    assert frame["label"].tolist() == ["0", "1", "0", "1", "0"]
    assert frame["probability"].tolist() == [0.2, 0.7, 0.4, 0.9, 0.1]


def test_bad_capture_lines_are_skipped_and_counted_by_reason(rng: np.random.Generator) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 100)))
    other_schema = json.loads(answer_line([0.5]))
    other_schema["captureData"]["endpointOutput"]["data"] = json.dumps({"predictions": [{"score": 1}]})
    lines = [answer_line([0.3]), "{cut mid-li", json.dumps(other_schema), "", answer_line([0.6])[:40]]
    frame, skipped = captured_predictions(lines, baseline.feature_names)
    assert len(frame) == 1
    assert skipped == {"corrupt": 2, "schema": 1}


def test_only_answers_inside_the_window_count(rng: np.random.Generator) -> None:
    baseline = prediction_baseline(recorded(rng.beta(2, 5, 100)))
    window = TimeWindow(datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 11, tzinfo=UTC))
    lines = [answer_line([0.3]), answer_line([0.3], at="2026-12-01T10:00:00Z")]
    frame, _ = captured_predictions(lines, baseline.feature_names, window)
    assert len(frame) == 1


def test_recorded_predictions_that_are_not_a_table_are_bad_input() -> None:
    with pytest.raises(BadInput, match="holds no predictions"):
        prediction_baseline(b"label,probability\n")


def test_capture_keys_are_grouped_by_the_variant_folder() -> None:
    keys = [
        "data-capture/m/ep/primary/2026/12/02/10/00-00-000-a.jsonl",
        "data-capture/m/ep/canary/2026/12/02/10/00-00-000-b.jsonl",
        "data-capture/m/ep/primary/2026/12/02/11/00-00-000-c.jsonl",
        "data-capture/m/other-ep/primary/2026/12/02/10/x.jsonl",
        "data-capture/m/ep/stray.jsonl",
    ]
    assert capture_keys_by_variant(keys, "data-capture/m/", "ep") == {
        "canary": [keys[1]],
        "primary": [keys[0], keys[2]],
    }


def test_prediction_metrics_name_the_model_and_each_compared_variant() -> None:
    at = datetime(2026, 12, 2, tzinfo=UTC)
    data = prediction_metric_data(
        {"primary": False, "canary": True}, environment="prod", model="m", timestamp=at
    )
    assert {d["MetricName"] for d in data} == {PREDICTION_DRIFT_METRIC}
    values = {tuple(x["Value"] for x in d["Dimensions"]): d["Value"] for d in data}
    assert values == {("prod", "m"): 1.0, ("prod", "m", "canary"): 1.0, ("prod", "m", "primary"): 0.0}
    assert prediction_metric_data({}, environment="prod", model="m", timestamp=at) == []


def test_the_variant_of_a_capture_key_is_its_folder_below_the_endpoint() -> None:
    from mlops_kit.drift.predictions import variant_of_capture_key

    assert variant_of_capture_key("ep/canary/2026/12/02/10/00-00-000-a.jsonl") == "canary"
    assert variant_of_capture_key("data-capture/m/ep/primary/2026/12/02/10/x.jsonl") == "primary"
    assert variant_of_capture_key("0.jsonl") is None


def test_answer_lines_keep_the_windows_answers_without_their_requests() -> None:
    from mlops_kit.drift.predictions import answer_lines

    window = TimeWindow(datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 11, tzinfo=UTC))
    kept = list(
        answer_lines([answer_line([0.3]), answer_line([0.3], at="2026-12-01T10:00:00Z"), "{cut"], window)
    )
    assert len(kept) == 2 and kept[1] == "{cut"  # passed on, to be counted where it is read
    assert "endpointInput" not in json.loads(kept[0])["captureData"]


def test_the_recorded_predictions_are_read_from_the_artifact_stream() -> None:
    import io
    import tarfile

    from mlops_kit.drift.predictions import PREDICTIONS_FILE, member_of_archive

    def archive(*members: tuple[str, bytes]) -> io.BytesIO:
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w:gz") as tar:
            for name, body in members:
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        data.seek(0)
        return data

    assert (
        member_of_archive(archive(("./" + PREDICTIONS_FILE, b"label\n1\n")), PREDICTIONS_FILE)
        == b"label\n1\n"
    )
    assert member_of_archive(archive(("model.joblib", b"w")), PREDICTIONS_FILE) is None
    assert member_of_archive(io.BytesIO(b"not a tar"), PREDICTIONS_FILE) is None


def test_a_variant_that_cannot_be_compared_says_why(rng: np.random.Generator) -> None:
    from mlops_kit.drift import DriftThresholds
    from mlops_kit.drift.predictions import compare_variant

    thresholds = DriftThresholds()
    older = compare_variant("primary", "ep-v1", 1, None, [answer_line([0.3])], None, thresholds)
    assert older.unavailable == "its artifact has no validation_predictions.csv" and not older.drifted
    silent = compare_variant("primary", "ep-v2", 2, recorded(rng.beta(2, 5, 100)), ["{cut"], None, thresholds)
    assert silent.unavailable == "no usable answer in the window" and silent.skipped == {"corrupt": 1}
    assert silent.to_dict()["report"] is None
