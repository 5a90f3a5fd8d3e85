"""The audit log's hash chain: one record per event, each naming the sha256 of the one before.

A record is canonical JSON (sorted keys, no spaces, UTF-8) of `{model, sequence, previous_sha256,
event}`, stored as `records/<model>/<sequence, 10 digits>.json`. The first record of a model names
`GENESIS`. Verification is pure: it takes what the store holds (every version of every key) and
names the first record that is missing, altered, or has been written twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
RECORDS = "records"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def record_key(model: str, sequence: int) -> str:
    return f"{RECORDS}/{model}/{sequence:010d}.json"


def sequence_of(key: str) -> int | None:
    """The sequence number a record key names, or None when the key is not a record's."""
    stem = key.rsplit("/", 1)[-1].removesuffix(".json")
    return int(stem) if stem.isdigit() and key.endswith(".json") else None


def record_body(model: str, sequence: int, previous_sha256: str, event: Mapping[str, Any]) -> bytes:
    return canonical_json(
        {"model": model, "sequence": sequence, "previous_sha256": previous_sha256, "event": dict(event)}
    )


@dataclass(frozen=True)
class StoredRecord:
    """What the store holds under one record key: its versions' bodies, newest first, and whether
    a delete marker hides it; `checksum_sha256` is the store's own digest of the newest body."""

    key: str
    bodies: tuple[bytes, ...]
    deleted: bool = False
    checksum_sha256: str = ""


@dataclass(frozen=True)
class ChainVerdict:
    model: str
    records: int
    head_sha256: str
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def verify_chain(model: str, stored: Sequence[StoredRecord]) -> ChainVerdict:
    """Check `model`'s records: numbered 1..n without gaps, one version each, not deleted, each
    naming its predecessor's sha256 and its own place. The first problem found is reported."""
    by_sequence = {sequence_of(r.key): r for r in stored}
    if None in by_sequence:
        odd = next(r.key for r in stored if sequence_of(r.key) is None)
        return ChainVerdict(model, 0, GENESIS, f"{odd} is not a record key")
    previous = GENESIS
    count = max((s for s in by_sequence if s is not None), default=0)
    for sequence in range(1, count + 1):
        key = record_key(model, sequence)
        record = by_sequence.get(sequence)
        if record is None or not record.bodies:
            return ChainVerdict(model, sequence - 1, previous, f"{key} is missing")
        if record.deleted:
            return ChainVerdict(
                model, sequence - 1, previous, f"{key} was deleted (a delete marker hides it)"
            )
        if len(record.bodies) > 1:
            return ChainVerdict(
                model, sequence - 1, previous, f"{key} was overwritten ({len(record.bodies)} versions)"
            )
        body = record.bodies[0]
        problem = _body_problem(model, sequence, previous, body, record.checksum_sha256)
        if problem:
            return ChainVerdict(model, sequence - 1, previous, f"{key} {problem}")
        previous = sha256_of(body)
    return ChainVerdict(model, count, previous)


def _body_problem(model: str, sequence: int, previous: str, body: bytes, checksum: str) -> str:
    if checksum and checksum != sha256_of(body):
        return "was altered (its body no longer matches the digest the store took when it was written)"
    try:
        record = json.loads(body)
    except ValueError:
        return "is not JSON"
    if not isinstance(record, dict) or canonical_json(record) != body:
        return "was altered (not the canonical JSON the kit writes)"
    if record.get("model") != model or record.get("sequence") != sequence:
        return f"was altered (it names {record.get('model')} #{record.get('sequence')})"
    if record.get("previous_sha256") != previous:
        named = record.get("previous_sha256")
        return f"was altered, or its predecessor was (it names sha256 {named}, expected {previous})"
    return ""
