"""SageMaker endpoint data capture (JSON lines) as current data.

Each line is one captured request::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "5.1,3.5", "encoding": "CSV"},
                     "endpointOutput": {...}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "2026-11-25T09:00:00Z"},
     "eventVersion": "0"}

The payload is CSV without a header (mapped to features in the baseline's order) or JSON, either
inline or BASE64-encoded. A line that cannot be decoded (e.g. cut mid-line) is corrupt: it is
skipped and counted (as one row). A payload that decodes but does not carry the baseline's
features is skipped and counted too, as a schema violation; the drift check refuses only when no
usable row remains.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

from mlops_kit.drift.baseline_document import Baseline
from mlops_kit.drift.histogram import CurrentHistogram, histogram_of_frame, merge_histograms
from mlops_kit.drift.sources import ObjectStore
from mlops_kit.errors import BadInput

Row = list[object]


class _CorruptLine(ValueError):
    """A capture line that cannot be decoded."""


class _OtherSchema(Exception):
    """A captured request that decodes but does not carry the baseline's features."""


@dataclass(frozen=True)
class TimeWindow:
    """Inference times from `start` (inclusive) to `end` (exclusive); naive datetimes are UTC."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start))
        object.__setattr__(self, "end", _as_utc(self.end))
        if self.start and self.end and self.start >= self.end:
            raise BadInput(f"time window starts ({self.start}) at or after it ends ({self.end})")

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` falls in the window."""
        moment = _as_utc(moment) or moment
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def histogram_of_capture(
    store: ObjectStore, prefix: str, baseline: Baseline, window: TimeWindow | None = None
) -> CurrentHistogram:
    """The merged histogram of every capture object under `prefix`.

    BadInput if there is no object under the prefix (most likely a wrong prefix); objects whose
    requests all fall outside the window simply count nothing.
    """
    keys = sorted(store.list_keys(prefix))
    if not keys:
        raise BadInput(f"no capture objects under {prefix!r}")
    return histogram_of_capture_keys(store, keys, baseline, window)


def histogram_of_capture_keys(
    store: ObjectStore, keys: Iterable[str], baseline: Baseline, window: TimeWindow | None = None
) -> CurrentHistogram:
    """The merged histogram of the given capture objects (a shard's keys), one object at a time."""
    return merge_histograms(
        baseline,
        (histogram_of_capture_lines(_lines(store.read_bytes(key)), baseline, window) for key in keys),
    )


def histogram_of_capture_lines(
    lines: Iterable[str | bytes], baseline: Baseline, window: TimeWindow | None = None
) -> CurrentHistogram:
    """Histogram of the requests in capture lines inside the window; corrupt lines are skipped."""
    frame, skipped = capture_frame(lines, baseline, window)
    histogram = histogram_of_frame(frame, baseline)
    for reason, rows in skipped.items():
        histogram = histogram.with_skipped(reason, rows)
    return histogram


def capture_frame(
    lines: Iterable[str | bytes], baseline: Baseline, window: TimeWindow | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The captured requests inside the window as a frame of the baseline's columns, and the
    lines skipped by reason: "corrupt" (cannot be decoded, e.g. cut mid-line), "schema" (a
    request without the baseline's features)."""
    names = baseline.feature_names
    rows: list[Row] = []
    skipped = {"corrupt": 0, "schema": 0}
    for line in lines:
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            rows.extend(_request_rows(text, names, window))
        except _CorruptLine:
            skipped["corrupt"] += 1
        except _OtherSchema:
            skipped["schema"] += 1
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    return frame, {reason: count for reason, count in skipped.items() if count}


def _request_rows(text: str, names: list[str], window: TimeWindow | None) -> list[Row]:
    """The feature rows of one capture line, or none if it falls outside the window."""
    try:
        record = json.loads(text)
        endpoint_input = record["captureData"]["endpointInput"]
        data, encoding = endpoint_input["data"], str(endpoint_input.get("encoding", "")).upper()
        content_type = str(endpoint_input.get("observedContentType", "")).lower()
        if window is not None and not window.contains(iso_time(record["eventMetadata"]["inferenceTime"])):
            return []
        if encoding == "BASE64":
            data = base64.b64decode(data, validate=True).decode("utf-8")
            encoding = "JSON" if "json" in content_type else "CSV" if "csv" in content_type else ""
        if not isinstance(data, str) or encoding not in ("CSV", "JSON"):
            raise _CorruptLine("unknown payload encoding")
        if encoding == "CSV":
            return [_positional_row(row, names) for row in _csv_records(data)]
        return list(_json_rows(json.loads(data), names))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        # json.JSONDecodeError, UnicodeDecodeError and bad timestamps are all ValueErrors; a
        # field of the wrong JSON type fails as a KeyError, TypeError or AttributeError.
        raise _CorruptLine(str(error)) from error


def iso_time(text: str) -> datetime:
    """An ISO 8601 time as SageMaker writes them ("Z" for UTC, a fraction of any length).

    Done by hand because Python 3.9's fromisoformat, which the drift job's image runs, takes
    neither "Z" nor a fraction of a second of other than 3 or 6 digits.
    """
    moment = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    head, dot, rest = moment.partition(".")
    if dot:
        fraction = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        moment = f"{head}.{(fraction + '000000')[:6]}{rest[len(fraction) :]}"
    return datetime.fromisoformat(moment)


def _csv_records(text: str) -> Iterator[list[str | None]]:
    for record in csv.reader(io.StringIO(text)):
        if record:
            # An empty field is a missing value, as it would be in a CSV file read by pandas.
            yield [field if field.strip() else None for field in record]


def _json_rows(payload: object, names: list[str]) -> Iterator[Row]:
    """Rows from the JSON shapes endpoints accept: {"instances": [...]}, {"features": [...]},
    a record {name: value}, a list of records or of lists, or one list of values."""
    if isinstance(payload, dict):
        if "instances" in payload:
            yield from _json_rows(payload["instances"], names)
        elif set(payload) == {"features"} and isinstance(payload["features"], list):
            yield _positional_row(payload["features"], names)
        else:
            yield _named_row(payload, names)
    elif isinstance(payload, list) and payload and isinstance(payload[0], (dict, list)):
        for item in payload:
            yield from _json_rows(item, names)
    elif isinstance(payload, list):
        yield _positional_row(payload, names)
    else:
        raise _CorruptLine("payload is not a JSON object or list")


def _positional_row(values: Sequence[object], names: list[str]) -> Row:
    if len(values) != len(names):
        raise _OtherSchema(
            f"captured request has {len(values)} values; the baseline has {len(names)} features"
        )
    return list(values)


def _named_row(record: dict[str, object], names: list[str]) -> Row:
    if len(record) == len(names) and all(name in record for name in names):
        return [record[name] for name in names]
    missing = [name for name in names if name not in record]
    extra = [str(key) for key in record if key not in set(names)]
    if missing or extra:
        parts = [f"missing field(s): {', '.join(missing)}"] if missing else []
        parts += [f"extra field(s): {', '.join(extra)}"] if extra else []
        raise _OtherSchema(f"captured request does not match the baseline: {'; '.join(parts)}")
    return [record[name] for name in names]


def _lines(content: bytes) -> Iterator[bytes]:
    yield from io.BytesIO(content)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
