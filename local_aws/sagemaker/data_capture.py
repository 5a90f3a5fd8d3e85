"""SageMaker data capture records: what an endpoint writes per captured request, and where.

Pure: the record and its S3 key are functions of the request, the response, the endpoint's
DataCaptureConfig and the time. Records are JSON lines::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "1.0,2.0", "encoding": "CSV"},
                     "endpointOutput": {...}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-11-25T09:00:00.123Z"},
     "eventVersion": "0"}

stored at `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-fff>-<uuid>.jsonl`.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CapturedPayload:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CaptureSettings:
    """The parts of an endpoint configuration's DataCaptureConfig that decide a record."""

    enabled: bool
    sampling_percent: float
    destination: str
    capture_input: bool
    capture_output: bool
    csv_types: frozenset[str]
    json_types: frozenset[str]

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> CaptureSettings:
        config = config or {}
        modes = {str(o.get("CaptureMode", "")).lower() for o in config.get("CaptureOptions") or []}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            enabled=bool(config.get("EnableCapture")) and bool(config.get("DestinationS3Uri")),
            sampling_percent=float(config.get("InitialSamplingPercentage") or 0),
            destination=str(config.get("DestinationS3Uri") or "").rstrip("/"),
            capture_input="input" in modes,
            capture_output="output" in modes,
            csv_types=frozenset(_base_type(t) for t in header.get("CsvContentTypes") or []),
            json_types=frozenset(_base_type(t) for t in header.get("JsonContentTypes") or []),
        )

    def samples(self, draw: float) -> bool:
        """Whether a request is captured, `draw` being uniform in [0, 1)."""
        return (
            self.enabled
            and (self.capture_input or self.capture_output)
            and draw * 100 < self.sampling_percent
        )


def _base_type(content_type: str) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _encoded(payload: CapturedPayload, mode: str, settings: CaptureSettings) -> dict[str, str]:
    kind = _base_type(payload.content_type)
    # SageMaker keeps CSV and JSON readable only for the content types listed in the capture
    # header, and base64-encodes everything else (also when no header is configured).
    encoding = "BASE64"
    data: str
    if kind in settings.csv_types or kind in settings.json_types:
        try:
            data = payload.data.decode("utf-8")
            encoding = "CSV" if kind in settings.csv_types else "JSON"
        except UnicodeDecodeError:
            data = base64.b64encode(payload.data).decode()
    else:
        data = base64.b64encode(payload.data).decode()
    return {"observedContentType": payload.content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_record(
    settings: CaptureSettings,
    request: CapturedPayload,
    response: CapturedPayload,
    at: datetime,
    *,
    event_id: str | None = None,
    inference_id: str | None = None,
) -> str:
    """One capture line (without its newline) for a request and its response."""
    capture: dict[str, Any] = {}
    if settings.capture_input:
        capture["endpointInput"] = _encoded(request, "INPUT", settings)
    if settings.capture_output:
        capture["endpointOutput"] = _encoded(response, "OUTPUT", settings)
    metadata: dict[str, str] = {
        "eventId": event_id or str(uuid.uuid4()),
        "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
    }
    if inference_id:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"})


def capture_location(settings: CaptureSettings, endpoint: str, variant: str, at: datetime) -> tuple[str, str]:
    """(bucket, key) of a new capture object written at `at` (UTC)."""
    without_scheme = settings.destination.removeprefix("s3://")
    bucket, _, prefix = without_scheme.partition("/")
    folder = "/".join(p for p in (prefix.strip("/"), endpoint, variant, at.strftime("%Y/%m/%d/%H")) if p)
    name = f"{at:%M-%S}-{at.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    return bucket, f"{folder}/{name}"
