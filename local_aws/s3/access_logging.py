"""S3 gap the stacks hit: bucket access logging to a bucket whose policy has `"Principal": "*"`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap


def _s3_log_delivery_policy_principal() -> None:
    """moto crashes (HTTP 500) on PutBucketLogging when the target bucket policy has `"Principal": "*"`."""
    from moto.s3.models import FakeBucket

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def check(target_bucket: Any, target_prefix: str | None) -> bool:
            policy = target_bucket.policy
            if not policy:
                return False
            statements = json.loads(policy.decode())["Statement"]
            with_service = [s for s in statements if isinstance(s.get("Principal"), dict)]

            class _View:
                def __init__(self) -> None:
                    self.policy = json.dumps({"Statement": with_service}).encode()
                    self.partition = target_bucket.partition
                    self.name = target_bucket.name

            return bool(original(_View(), target_prefix))

        return staticmethod(check)  # type: ignore[return-value]

    _wrap(FakeBucket, "_log_permissions_enabled_policy", make)


def install() -> None:
    """Apply this module's patches."""
    _s3_log_delivery_policy_principal()
