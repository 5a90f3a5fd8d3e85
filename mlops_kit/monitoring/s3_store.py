"""An S3 bucket seen as the drift engine's `ObjectStore`, with botocore errors mapped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients, client_error


@dataclass(frozen=True)
class S3ObjectStore:
    """Keys and objects of one bucket, read through the kit's clients."""

    clients: AwsClients
    bucket: str

    @property
    def _s3(self) -> Any:
        return self.clients.client("s3")

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix`, page by page."""
        paginator = self._s3.get_paginator("list_objects_v2")
        with client_error(f"list s3://{self.bucket}/{prefix}"):
            keys = [
                str(item["Key"])
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])
            ]
        yield from keys

    def read_bytes(self, key: str) -> bytes:
        """The object's content."""
        response = self.clients.call(
            f"read s3://{self.bucket}/{key}", self._s3.get_object, Bucket=self.bucket, Key=key
        )
        return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        """Whether `key` is an object (not just a prefix)."""
        listed = self.clients.call(
            f"look up s3://{self.bucket}/{key}",
            self._s3.list_objects_v2,
            Bucket=self.bucket,
            Prefix=key,
            MaxKeys=1,
        )
        return any(item["Key"] == key for item in listed.get("Contents", []))

    def write_bytes(self, key: str, body: bytes, content_type: str) -> None:
        """Put an object."""
        self.clients.call(
            f"write s3://{self.bucket}/{key}",
            self._s3.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
        )
