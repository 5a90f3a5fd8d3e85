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
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from mlops_kit.aws import AwsClients, client_error
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import NotFound, OperationFailed
from mlops_kit.s3_uri import split_s3_uri

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


def _reused_copy(clients: AwsClients, bucket: str, key: str, sha256: str) -> CopiedArtifact | None:
    """The verified copy already at `key` (a re-run), if there is one with sha256 `sha256`."""
    size = _verified_copy_exists(clients, bucket, key, sha256)
    return None if size is None else CopiedArtifact(f"s3://{bucket}/{key}", sha256, size, copied=False)


def _copy_verified(
    source_clients: AwsClients,
    target_clients: AwsClients,
    target_env: Environment,
    *,
    source_uri: str,
    expected_sha256: str,
    key_for: Callable[[str], str],
    look_before_reading: bool,
    content_type: str,
    described: str,
    not_copied: str,
) -> CopiedArtifact:
    """Copy `source_uri` to `key_for(its sha256)` in `target_env`'s bucket and verify it there,
    unless a verified copy is already there. With `look_before_reading`, look for one under the
    recorded sha256 before the source is read; otherwise under the source's own sha256 after.
    `described` and `not_copied` word the refusal of a source whose sha256 is not the recorded one."""
    bucket = ResourceNames(target_env).artifact_bucket
    source_bucket, source_key = split_s3_uri(source_uri)
    if look_before_reading and expected_sha256:
        reused = _reused_copy(target_clients, bucket, key_for(expected_sha256), expected_sha256)
        if reused is not None:
            return reused
    with tempfile.TemporaryFile() as staging:
        digest, size = hash_object(source_clients, source_bucket, source_key, staging)
        if expected_sha256 and digest != expected_sha256:
            raise ChecksumMismatch(
                f"{described} has sha256 {digest}, but its version records {expected_sha256}; "
                f"{not_copied} {target_env.name}"
            )
        if not look_before_reading:
            reused = _reused_copy(target_clients, bucket, key_for(digest), digest)
            if reused is not None:
                return reused
        staging.seek(0)
        uri = _put_verified(
            target_clients,
            target_env,
            key_for(digest),
            staging,
            size=size,
            sha256=digest,
            source_uri=source_uri,
            content_type=content_type,
        )
    return CopiedArtifact(uri, digest, size, copied=True)


def copy_artifact(
    source_clients: AwsClients,
    target_clients: AwsClients,
    target_env: Environment,
    *,
    model: str,
    source_uri: str,
    expected_sha256: str,
) -> CopiedArtifact:
    """Copy `source_uri` into `target_env`'s artifact bucket and verify its sha256 there. A re-run
    finds the copy under the recorded sha256 without reading the (large) source again."""
    return _copy_verified(
        source_clients,
        target_clients,
        target_env,
        source_uri=source_uri,
        expected_sha256=expected_sha256,
        key_for=lambda sha256: target_key(model, sha256),
        look_before_reading=True,
        content_type="application/gzip",
        described=source_uri,
        not_copied="nothing was copied to",
    )


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
    return _copy_verified(
        source_clients,
        target_clients,
        target_env,
        source_uri=source_uri,
        expected_sha256=expected_sha256,
        key_for=lambda sha256: baseline_key(model, artifact_sha256, sha256),
        look_before_reading=False,
        content_type="application/json",
        described=f"the drift baseline {source_uri}",
        not_copied="it was not copied to",
    )
