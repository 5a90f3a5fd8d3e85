"""The audit log's store: an S3 bucket with Object Lock, one object per record, never replaced.

Appends are `PutObject` with `If-None-Match: *` on the next sequence number (a concurrent writer
that took it first makes this writer re-read the head and try the next one), carrying the body's
sha256 as S3's checksum, so the store keeps its own digest of what was written. Object Lock
(the environment's `audit.lock_mode` and `audit.retention_days`, set on the bucket by the stacks)
keeps every version; the bucket policy denies deleting versions or changing their retention to
every principal, so an out-of-band change can only add a version, which `verify` reports.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from mlops_kit.aws import AwsClients, client_error
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion.audit_chain import (
    GENESIS,
    RECORDS,
    ChainVerdict,
    StoredRecord,
    record_body,
    record_key,
    sequence_of,
    sha256_of,
    verify_chain,
)

APPEND_ATTEMPTS = 20


def _head(clients: AwsClients, bucket: str, model: str) -> tuple[int, str]:
    """(sequence, sha256) of `model`'s last record; (0, GENESIS) when it has none."""
    s3 = clients.client("s3")
    last = 0
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{RECORDS}/{model}/")
    with client_error(f"read the audit log s3://{bucket}"):
        for page in pages:
            for item in page.get("Contents", []):
                last = max(last, sequence_of(item["Key"]) or 0)
    if last == 0:
        return 0, GENESIS
    body = _read(clients, bucket, record_key(model, last))
    return last, sha256_of(body)


def _unchecked_s3(clients: AwsClients) -> Any:
    """An S3 client that hands back a body even when it no longer matches the checksum S3 stored
    with it (the SDK would raise): `verify` compares the two itself and names the record."""
    from botocore.config import Config

    from mlops_kit.aws.clients import RETRY_CONFIG

    create = getattr(clients.session, "create_client", None) or clients.session.client
    return create("s3", config=RETRY_CONFIG.merge(Config(response_checksum_validation="when_required")))


def _read(clients: AwsClients, bucket: str, key: str, version: str | None = None, *, s3: Any = None) -> bytes:
    s3 = s3 or clients.client("s3")
    args: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        args["VersionId"] = version
    with client_error(f"read s3://{bucket}/{key}"):
        return bytes(s3.get_object(**args)["Body"].read())


def append_record(clients: AwsClients, bucket: str, model: str, event: Mapping[str, Any]) -> str:
    """Append `event` to `model`'s chain; returns the new record's key."""
    s3 = clients.client("s3")
    for _ in range(APPEND_ATTEMPTS):
        sequence, previous = _head(clients, bucket, model)
        key = record_key(model, sequence + 1)
        body = record_body(model, sequence + 1, previous, event)
        digest = base64.b64encode(bytes.fromhex(sha256_of(body))).decode()
        with client_error(f"append {key} to the audit log s3://{bucket}"):
            try:
                s3.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=body,
                    ContentType="application/json",
                    IfNoneMatch="*",
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=digest,
                )
            except s3.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in (
                    "PreconditionFailed",
                    "ConditionalRequestConflict",
                ):
                    raise
                continue
        return key
    raise OperationFailed(
        f"could not append to {model}'s audit log in s3://{bucket}: too many concurrent writers"
    )


def read_records(clients: AwsClients, bucket: str, model: str) -> list[dict[str, Any]]:
    """`model`'s records as written (current versions), oldest first."""
    s3 = clients.client("s3")
    keys: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{RECORDS}/{model}/")
    with client_error(f"read the audit log s3://{bucket}"):
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents", []) if sequence_of(item["Key"])]
    keys.sort(key=lambda k: sequence_of(k) or 0)
    return [json.loads(_read(clients, bucket, key)) for key in keys]


def stored_records(clients: AwsClients, bucket: str, model: str) -> list[StoredRecord]:
    """Every version and delete marker under `model`'s records, as the store holds them."""
    s3 = clients.client("s3")
    versions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deleted: set[str] = set()
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=f"{RECORDS}/{model}/")
    with client_error(f"list the audit log s3://{bucket}"):
        for page in pages:
            for item in page.get("Versions", []):
                versions[item["Key"]].append(item)
            for marker in page.get("DeleteMarkers", []):
                versions.setdefault(marker["Key"], [])
                if marker.get("IsLatest"):
                    deleted.add(marker["Key"])
    stored = []
    unchecked = _unchecked_s3(clients)
    for key, items in versions.items():
        items.sort(key=lambda v: v["LastModified"], reverse=True)
        bodies = tuple(_read(clients, bucket, key, v.get("VersionId"), s3=unchecked) for v in items)
        stored.append(StoredRecord(key, bodies, key in deleted, _checksum(clients, bucket, key, items)))
    return stored


def _checksum(clients: AwsClients, bucket: str, key: str, items: list[dict[str, Any]]) -> str:
    if not items:
        return ""
    s3 = clients.client("s3")
    args: dict[str, Any] = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
    if items[0].get("VersionId"):
        args["VersionId"] = items[0]["VersionId"]
    with client_error(f"read s3://{bucket}/{key}"):
        value = s3.head_object(**args).get("ChecksumSHA256", "")
    return base64.b64decode(value).hex() if value else ""


def record_models(clients: AwsClients, bucket: str) -> list[str]:
    """The models that have records in the bucket (including ones no longer configured)."""
    s3 = clients.client("s3")
    models: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{RECORDS}/", Delimiter="/")
    with client_error(f"list the audit log s3://{bucket}"):
        for page in pages:
            models += [p["Prefix"].split("/")[1] for p in page.get("CommonPrefixes", [])]
    return models


def verify_log(clients: AwsClients, bucket: str, models: list[str]) -> list[ChainVerdict]:
    """One verdict per model: every chain of the bucket plus the configured models'."""
    names = sorted(set(models) | set(record_models(clients, bucket)))
    return [verify_chain(model, stored_records(clients, bucket, model)) for model in names]
