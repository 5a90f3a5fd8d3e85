"""Copy a model artifact and its drift baseline between environments' buckets (separate accounts)
and prove they arrived intact.

The bytes stream from the source (read with the source environment's clients) through a temporary
file while hashed; the source's recorded sha256, when there is one, must match before anything is
written. The artifact lands under a content-addressed key, its baseline next to it under a key
named by the baseline's own sha256 (two versions with one artifact may have different baselines);
each copy carries its sha256 (also as S3's own checksum) and is read back and hashed again: only
then is it verified. A copy that fails verification is deleted.
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


def baseline_key(model: str, artifact_sha256: str, baseline_sha256: str) -> str:
    """Where a version's drift baseline is kept in the target: next to its artifact."""
    return f"models/{model}/{artifact_sha256}/drift-baseline-{baseline_sha256}.json"


def sha256_checksum(digest: str) -> str:
    """A hex sha256 as S3's `ChecksumSHA256` (base64 of the raw digest)."""
    return base64.b64encode(bytes.fromhex(digest)).decode()


def _hash_stream(body: Any, sink: IO[bytes] | None = None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def hash_object(clients: AwsClients, bucket: str, key: str, sink: IO[bytes] | None = None) -> tuple[str, int]:
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


def _verified_copy_exists(clients: AwsClients, bucket: str, key: str, sha256: str) -> int | None:
    """The size of the object at `key` when it is there with sha256 `sha256` (read and hashed)."""
    if _existing_sha256(clients, bucket, key) != sha256:
        return None
    digest, size = hash_object(clients, bucket, key)
    return size if digest == sha256 else None


def _put_verified(
    clients: AwsClients,
    env: Environment,
    key: str,
    body: IO[bytes],
    *,
    size: int,
    sha256: str,
    source_uri: str,
    content_type: str,
) -> str:
    """Put `body` at `key` of `env`'s bucket, read it back and check its sha256; the copy's URI."""
    bucket = ResourceNames(env).artifact_bucket
    s3 = clients.client("s3")
    clients.call(
        f"copy {source_uri} to s3://{bucket}/{key}",
        s3.put_object,
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentLength=size,
        ChecksumSHA256=sha256_checksum(sha256),
        Metadata={"sha256": sha256, "source": source_uri[:1024]},
        ContentType=content_type,
    )
    copied, _ = hash_object(clients, bucket, key)
    if copied != sha256:
        clients.call(f"delete the bad copy s3://{bucket}/{key}", s3.delete_object, Bucket=bucket, Key=key)
        raise ChecksumMismatch(
            f"the copy s3://{bucket}/{key} has sha256 {copied}, expected {sha256}; it was deleted and "
            f"{env.name} is unchanged"
        )
    return f"s3://{bucket}/{key}"


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
        size = _verified_copy_exists(target_clients, bucket, key, expected_sha256)
        if size is not None:
            return CopiedArtifact(f"s3://{bucket}/{key}", expected_sha256, size, copied=False)
    with tempfile.TemporaryFile() as staging:
        digest, size = hash_object(source_clients, source_bucket, source_key, staging)
        if expected_sha256 and digest != expected_sha256:
            raise ChecksumMismatch(
                f"{source_uri} has sha256 {digest}, but its version records {expected_sha256}; "
                f"nothing was copied to {target_env.name}"
            )
        staging.seek(0)
        uri = _put_verified(
            target_clients,
            target_env,
            target_key(model, digest),
            staging,
            size=size,
            sha256=digest,
            source_uri=source_uri,
            content_type="application/gzip",
        )
    return CopiedArtifact(uri, digest, size, copied=True)


def copy_baseline(
    source_clients: AwsClients,
    target_clients: AwsClients,
    target_env: Environment,
    *,
    model: str,
    source_uri: str,
    expected_sha256: str,
    artifact_sha256: str,
) -> CopiedArtifact:
    """Copy the drift baseline at `source_uri` next to the artifact `artifact_sha256` in
    `target_env`'s bucket and verify its sha256 there. A baseline is small: the source is read
    every time, since a version from the training pipeline records no sha256 for it."""
    bucket = ResourceNames(target_env).artifact_bucket
    source_bucket, source_key = split_s3_uri(source_uri)
    with tempfile.TemporaryFile() as staging:
        digest, size = hash_object(source_clients, source_bucket, source_key, staging)
        if expected_sha256 and digest != expected_sha256:
            raise ChecksumMismatch(
                f"the drift baseline {source_uri} has sha256 {digest}, but its version records "
                f"{expected_sha256}; it was not copied to {target_env.name}"
            )
        key = baseline_key(model, artifact_sha256, digest)
        if _verified_copy_exists(target_clients, bucket, key, digest) is not None:
            return CopiedArtifact(f"s3://{bucket}/{key}", digest, size, copied=False)
        staging.seek(0)
        uri = _put_verified(
            target_clients,
            target_env,
            key,
            staging,
            size=size,
            sha256=digest,
            source_uri=source_uri,
            content_type="application/json",
        )
    return CopiedArtifact(uri, digest, size, copied=True)
