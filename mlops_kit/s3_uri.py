"""S3 URIs (`s3://bucket/key`): the one place the kit takes them apart and puts them together."""

from __future__ import annotations

from mlops_kit.errors import BadInput


def is_s3_uri(uri: object) -> bool:
    """Whether `uri` is `s3://` followed by a bucket name (the key may be empty)."""
    return isinstance(uri, str) and uri.startswith("s3://") and bool(uri[5:].partition("/")[0])


def split_s3_uri(uri: object) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key); BadInput for anything else."""
    if not is_s3_uri(uri):
        raise BadInput(f"not an S3 URI: {uri!r}")
    assert isinstance(uri, str)
    bucket, _, key = uri[5:].partition("/")
    return bucket, key
