"""The hash chain's verdicts, from what a store holds (pure, no AWS)."""

from __future__ import annotations

from mlops_kit.promotion.audit_chain import (
    GENESIS,
    StoredRecord,
    record_body,
    record_key,
    sha256_of,
    verify_chain,
)

MODEL = "tumor-classifier"


def chain(count: int) -> list[StoredRecord]:
    records, previous = [], GENESIS
    for sequence in range(1, count + 1):
        body = record_body(MODEL, sequence, previous, {"kind": "promotion", "n": sequence})
        records.append(StoredRecord(record_key(MODEL, sequence), (body,), checksum_sha256=sha256_of(body)))
        previous = sha256_of(body)
    return records


def test_an_untouched_chain_is_intact_with_its_head_the_last_records_sha256() -> None:
    records = chain(3)
    verdict = verify_chain(MODEL, records)
    assert (verdict.intact, verdict.records, verdict.head_sha256) == (
        True,
        3,
        sha256_of(records[-1].bodies[0]),
    )


def test_a_chain_with_no_records_is_intact() -> None:
    assert verify_chain(MODEL, []).intact


def test_a_record_rewritten_consistently_is_caught_by_its_successor() -> None:
    records = chain(3)
    forged = record_body(MODEL, 2, sha256_of(records[0].bodies[0]), {"kind": "rollback", "n": 2})
    records[1] = StoredRecord(records[1].key, (forged,), checksum_sha256=sha256_of(forged))
    assert verify_chain(MODEL, records).problem.startswith(
        f"{record_key(MODEL, 3)} was altered, or its predecessor"
    )


def test_a_gap_names_the_missing_record() -> None:
    records = chain(3)
    assert verify_chain(MODEL, [records[0], records[2]]).problem == f"{record_key(MODEL, 2)} is missing"


def test_a_record_hidden_by_a_delete_marker_is_named() -> None:
    records = chain(2)
    records[0] = StoredRecord(records[0].key, records[0].bodies, deleted=True)
    assert verify_chain(MODEL, records).problem.startswith(f"{record_key(MODEL, 1)} was deleted")


def test_a_record_in_the_wrong_place_is_named() -> None:
    records = chain(2)
    moved = StoredRecord(record_key(MODEL, 2), records[0].bodies)
    assert "it names tumor-classifier #1" in verify_chain(MODEL, [records[0], moved]).problem
