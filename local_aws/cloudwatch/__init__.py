"""CloudWatch in the twin: metric alarms evaluated on their data, their state changes delivered to
EventBridge and their SNS actions notified."""

from __future__ import annotations


def install() -> None:
    """Apply the CloudWatch patches."""
    from local_aws.cloudwatch import alarms

    alarms.install()
