"""Prediction drift: what a served version answers, from data capture, against what it answered on
the validation data at training.

The training step records the version's validation predictions in its model folder
(`validation_predictions.csv`: one column per output field, as the endpoint answers them, e.g.
`label` and `probability`), so they travel inside the artifact promotion copies and verifies. The
check reads each captured answer (`endpointOutput`): JSON `{"predictions": [{...}, ...]}`, a list of
such records, a list of numbers, or CSV rows of the fields in the recorded order. An answer without
the recorded fields is skipped and counted ("schema"), an undecodable line too ("corrupt").

Pure: no AWS. Every output field is critical (any drifted field means the predictions drifted).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any

import pandas as pd

from mlops_kit.drift.baseline import build_baseline
from mlops_kit.drift.baseline_document import Baseline
from mlops_kit.drift.capture import TimeWindow, iso_time
from mlops_kit.drift.evaluation import check_frame
from mlops_kit.drift.report import DriftReport
from mlops_kit.drift.thresholds import DriftThresholds
from mlops_kit.errors import BadInput, KitError

PREDICTIONS_FILE = "validation_predictions.csv"
# Output fields compared as categories (the rest, numbers, by their binned distribution).
CATEGORICAL_OUTPUTS = frozenset({"label", "predicted_label", "class"})


# SageMaker's capture layout below the capture prefix: <endpoint>/<variant>/yyyy/mm/dd/hh/<file>.
_VARIANT_KEY = re.compile(r"(?:^|/)(?P<variant>[^/]+)/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+$")


@dataclass(frozen=True)
class VariantPredictions:
    """One variant's prediction drift, or why it could not be compared (`unavailable`)."""

    variant: str
    model_name: str | None = None
    version: int | None = None
    report: DriftReport | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    unavailable: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.report and self.report.drifted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "model_name": self.model_name,
            "version": self.version,
            "drifted": self.drifted,
            "unavailable": self.unavailable,
            "rows_skipped": dict(self.skipped),
            "report": self.report.to_dict() if self.report else None,
        }


def variant_of_capture_key(key: str) -> str | None:
    """The variant folder of a capture object's key; None outside SageMaker's layout."""
    match = _VARIANT_KEY.search(key)
    return match.group("variant") if match else None


def answer_lines(lines: Iterable[str | bytes], window: TimeWindow | None = None) -> Iterator[str]:
    """Capture lines inside the window without their request (what prediction drift reads, at a
    fraction of the size); a line that cannot be read is passed on as it is, to be counted."""
    for line in lines:
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            if window is not None and not window.contains(iso_time(record["eventMetadata"]["inferenceTime"])):
                continue
            record["captureData"].pop("endpointInput", None)
        except (ValueError, KeyError, TypeError, AttributeError):
            yield text.rstrip("\n")
            continue
        yield json.dumps(record, separators=(",", ":"))


def member_of_archive(stream: IO[bytes], name: str) -> bytes | None:
    """The file `name` of a model.tar.gz read as a stream (up to it); None when absent or unreadable."""
    try:
        with tarfile.open(fileobj=stream, mode="r|gz") as archive:
            for member in archive:
                if member.isfile() and _strip_dot(member.name) == name:
                    extracted = archive.extractfile(member)
                    return extracted.read() if extracted else None
    except (tarfile.TarError, OSError, EOFError):
        return None
    return None


def _strip_dot(name: str) -> str:
    return name[2:] if name.startswith("./") else name


def compare_variant(
    variant: str,
    model_name: str,
    version: int | None,
    recorded: bytes | None,
    lines: Iterable[str | bytes],
    window: TimeWindow | None,
    thresholds: DriftThresholds,
) -> VariantPredictions:
    """Prediction drift of one variant's captured answers against the recorded predictions of the
    version it serves (None: the artifact recorded none)."""
    if recorded is None:
        return VariantPredictions(
            variant, model_name, version, unavailable=f"its artifact has no {PREDICTIONS_FILE}"
        )
    try:
        baseline = prediction_baseline(recorded, source=f"{model_name}/{PREDICTIONS_FILE}")
    except BadInput as error:
        return VariantPredictions(variant, model_name, version, unavailable=error.message)
    frame, skipped = captured_predictions(lines, baseline.feature_names, window)
    if frame.empty:
        return VariantPredictions(
            variant, model_name, version, skipped=skipped, unavailable="no usable answer in the window"
        )
    try:
        report = prediction_drift(baseline, frame, thresholds)
    except KitError as error:
        return VariantPredictions(variant, model_name, version, skipped=skipped, unavailable=error.message)
    return VariantPredictions(variant, model_name, version, report=report, skipped=skipped)


class _Corrupt(ValueError):
    """A capture line whose answer cannot be decoded."""


class _OtherSchema(ValueError):
    """An answer without the recorded output fields."""


def prediction_baseline(table: bytes, *, source: str = PREDICTIONS_FILE) -> Baseline:
    """The baseline of a version's recorded validation predictions (CSV with a header)."""
    try:
        frame = pd.read_csv(io.BytesIO(table))
    except (ValueError, UnicodeDecodeError) as error:
        raise BadInput(f"{source}: not a CSV table of predictions ({error})") from error
    if frame.empty or not len(frame.columns):
        raise BadInput(f"{source}: holds no predictions")
    categorical = [str(c) for c in frame.columns if str(c) in CATEGORICAL_OUTPUTS]
    for column in categorical:
        frame[column] = frame[column].map(_category)
    return build_baseline(frame, categorical=categorical, metadata={"data": source})


def captured_predictions(
    lines: Iterable[str | bytes], fields: list[str], window: TimeWindow | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The answers captured inside the window as a frame of `fields`, and the lines skipped by
    reason ("corrupt", "schema")."""
    rows: list[list[object]] = []
    skipped = {"corrupt": 0, "schema": 0}
    for line in lines:
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            rows.extend(_answer_rows(text, fields, window))
        except _OtherSchema:
            skipped["schema"] += 1
        except _Corrupt:
            skipped["corrupt"] += 1
    frame = pd.DataFrame(rows, columns=fields, dtype=object)
    for column in fields:
        if column in CATEGORICAL_OUTPUTS:
            frame[column] = frame[column].map(_category)
    return frame, {reason: count for reason, count in skipped.items() if count}


def prediction_drift(
    baseline: Baseline, frame: pd.DataFrame, thresholds: DriftThresholds | None = None
) -> DriftReport:
    """Drift of the captured answers against the recorded ones; any drifted field counts."""
    names = frozenset(baseline.feature_names)
    judged = replace(thresholds or DriftThresholds(), critical_features=names)
    return check_frame(baseline, frame, judged)


def _answer_rows(text: str, fields: list[str], window: TimeWindow | None) -> list[list[object]]:
    try:
        record = json.loads(text)
        if window is not None and not window.contains(iso_time(record["eventMetadata"]["inferenceTime"])):
            return []
        output = record["captureData"]["endpointOutput"]
        data, encoding = output["data"], str(output.get("encoding", "")).upper()
        content_type = str(output.get("observedContentType", "")).lower()
        if encoding == "BASE64":
            data = base64.b64decode(data, validate=True).decode("utf-8")
            encoding = "JSON" if "json" in content_type else "CSV" if "csv" in content_type else ""
        if not isinstance(data, str) or encoding not in ("CSV", "JSON"):
            raise _Corrupt("unknown answer encoding")
        if encoding == "CSV":
            return [_positional(r, fields) for r in csv.reader(io.StringIO(data)) if r]
        return list(_json_rows(json.loads(data), fields))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        if isinstance(error, (_OtherSchema, _Corrupt)):
            raise
        raise _Corrupt(str(error)) from error


def _json_rows(payload: object, fields: list[str]) -> Iterator[list[object]]:
    if isinstance(payload, dict) and "predictions" in payload:
        yield from _json_rows(payload["predictions"], fields)
    elif isinstance(payload, dict):
        missing = [f for f in fields if f not in payload]
        if missing:
            raise _OtherSchema(f"answer lacks {', '.join(missing)}")
        yield [payload[f] for f in fields]
    elif isinstance(payload, list) and payload and isinstance(payload[0], (dict, list)):
        for item in payload:
            yield from _json_rows(item, fields)
    elif isinstance(payload, list):
        yield _positional(payload, fields)
    elif isinstance(payload, (int, float)) and not isinstance(payload, bool):
        yield _positional([payload], fields)
    else:
        raise _Corrupt("answer is not a JSON object, list or number")


def _positional(values: Sequence[object], fields: list[str]) -> list[object]:
    if len(values) != len(fields):
        raise _OtherSchema(f"answer has {len(values)} values; {len(fields)} were recorded")
    return [_number_or_text(v) for v in values]


def _number_or_text(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _category(value: object) -> object:
    """Labels as the recorded CSV gives them: 1 and 1.0 are both "1"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
