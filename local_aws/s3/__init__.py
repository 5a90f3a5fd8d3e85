"""S3 in the twin: what the stacks need of moto's S3."""

from __future__ import annotations


def install() -> None:
    """Apply the S3 patches."""
    from local_aws.s3 import access_logging

    access_logging.install()
