"""A presigned S3 URL carries its signer's identity in the query string: the emulator authorizes it
as that signer (signature and expiry checked), not as an anonymous caller."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.local_aws.iam.world import ACCOUNT

pytestmark = pytest.mark.emulator

BUCKET = "kit-presigned"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _s3(endpoint: str, access_key: str) -> Any:
    """An S3 client signing as `access_key`, presigning with SigV4 (as MLflow and current SDKs do)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )


@pytest.fixture(scope="module")
def root_s3(iam_endpoint: str) -> Any:
    s3 = _s3(iam_endpoint, ACCOUNT)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="report.json", Body=b'{"ok": true}')
    return s3


def test_a_url_presigned_by_an_allowed_caller_reads_the_object(root_s3: Any) -> None:
    url = root_s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "report.json"})
    assert _get(url) == (200, b'{"ok": true}')


def test_a_tampered_presigned_url_is_refused(root_s3: Any) -> None:
    url = root_s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "report.json"})
    status, body = _get(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=999999"))
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_an_expired_presigned_url_is_refused(root_s3: Any) -> None:
    url = root_s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "report.json"}, ExpiresIn=1
    )
    time.sleep(2.1)
    status, body = _get(url)
    assert status == 403 and b"expired" in body


def test_a_url_presigned_by_someone_without_access_is_refused(root_s3: Any, iam_endpoint: str) -> None:
    restricted = _s3(iam_endpoint, "210987654321")  # another account's root: no grant on this bucket
    url = restricted.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "report.json"})
    status, body = _get(url)
    assert status == 403 and b"AccessDenied" in body
