"""CloudWatch in the twin: metric alarms evaluated on their data, and their actions delivered."""

from __future__ import annotations


def install() -> None:
    """Apply the CloudWatch patches."""
    from local_aws.cloudwatch import alarms

    alarms.install()
