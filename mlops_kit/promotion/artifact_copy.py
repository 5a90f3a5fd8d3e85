"""Copy a model artifact between environments' buckets (separate accounts) and prove it arrived intact.

The bytes stream from the source (read with the source environment's clients) through a temporary
file while hashed; the source's recorded sha256, when there is one, must match before anything is
written. The copy lands under a content-addressed key, carries its sha256 (also as S3's own
checksum), and is read back and hashed again: only then is it verified.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from mlops_kit.aws import AwsClients, client_error
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import NotFound, OperationFailed
from mlops_kit.promotion.drift_status import split_s3_uri

_CHUNK = 1024 * 1024


class ChecksumMismatch(OperationFailed):
    """An artifact's bytes do not have the sha256 they should."""


@dataclass(frozen=True)
class CopiedArtifact:
    uri: str
    sha256: str
    size: int
    copied: bool  # False when a verified copy was already there (a re-run)


def target_key(model: str, sha256: str) -> str:
    return f"models/{model}/{sha256}/model.tar.gz"


def _hash_stream(body: Any, sink: IO[bytes] | None = None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def _hash_object(
    clients: AwsClients, bucket: str, key: str, sink: IO[bytes] | None = None
) -> tuple[str, int]:
    s3 = clients.client("s3")
    response = clients.call(f"read s3://{bucket}/{key}", s3.get_object, Bucket=bucket, Key=key)
    with client_error(f"read s3://{bucket}/{key}"):
        return _hash_stream(response["Body"], sink)


def _existing_sha256(clients: AwsClients, bucket: str, key: str) -> str | None:
    s3 = clients.client("s3")
    try:
        head = clients.call(f"look for s3://{bucket}/{key}", s3.head_object, Bucket=bucket, Key=key)
    except NotFound:
        return None
    return str(head.get("Metadata", {}).get("sha256", "")) or None


def copy_artifact(
    source_clients: AwsClients,
    target_clients: AwsClients,
    target_env: Environment,
    *,
    model: str,
    source_uri: str,
    expected_sha256: str,
) -> CopiedArtifact:
    """Copy `source_uri` into `target_env`'s artifact bucket and verify its sha256 there."""
    bucket = ResourceNames(target_env).artifact_bucket
    source_bucket, source_key = split_s3_uri(source_uri)
    if expected_sha256:
        key = target_key(model, expected_sha256)
        if _existing_sha256(target_clients, bucket, key) == expected_sha256:
            digest, size = _hash_object(target_clients, bucket, key)
            if digest == expected_sha256:
                return CopiedArtifact(f"s3://{bucket}/{key}", digest, size, copied=False)
    with tempfile.TemporaryFile() as staging:
        digest, size = _hash_object(source_clients, source_bucket, source_key, staging)
        if expected_sha256 and digest != expected_sha256:
            raise ChecksumMismatch(
                f"{source_uri} has sha256 {digest}, but its version records {expected_sha256}; "
                f"nothing was copied to {target_env.name}"
            )
        key = target_key(model, digest)
        staging.seek(0)
        s3 = target_clients.client("s3")
        target_clients.call(
            f"copy the artifact to s3://{bucket}/{key}",
            s3.put_object,
            Bucket=bucket,
            Key=key,
            Body=staging,
            ContentLength=size,
            ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
            Metadata={"sha256": digest, "source": source_uri[:1024]},
            ContentType="application/gzip",
        )
    copied, copied_size = _hash_object(target_clients, bucket, key)
    if copied != digest:
        target_clients.call(
            f"delete the bad copy s3://{bucket}/{key}", s3.delete_object, Bucket=bucket, Key=key
        )
        raise ChecksumMismatch(
            f"the copy s3://{bucket}/{key} has sha256 {copied}, expected {digest}; it was deleted and "
            f"{target_env.name} is unchanged"
        )
    return CopiedArtifact(f"s3://{bucket}/{key}", digest, copied_size, copied=True)
