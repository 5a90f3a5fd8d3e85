"""SNS in the twin: notifications to HTTP(S) subscribers stay on this machine."""

from __future__ import annotations


def install() -> None:
    """Apply the SNS patches."""
    from local_aws.sns import http_delivery

    http_delivery.install()
