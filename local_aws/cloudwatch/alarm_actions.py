"""Alarm actions: an alarm's state change notifies the SNS topics among its actions.

moto 5.2.5 stores `AlarmActions`, `OKActions` and `InsufficientDataActions` but never performs
them. CloudWatch publishes, on every state change while actions are enabled, its JSON notification
to each SNS topic of the new state's actions (other action kinds, e.g. Auto Scaling or EC2, are not
the kit's and are left alone). The message and subject follow CloudWatch's, so a subscriber (an
SQS queue in the tests, an email address in AWS) reads what it would read in AWS.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from local_aws.cloudwatch.alarm_evaluation import utc_now

log = logging.getLogger(__name__)

# CloudWatch names the region in words in its notifications; other regions keep their code.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}
SUBJECT_LIMIT = 100  # SNS refuses longer subjects


def actions_for(alarm: Any, state: str) -> list[str]:
    """The SNS topic ARNs the alarm notifies on entering `state` (none with actions disabled)."""
    if not alarm.actions_enabled:
        return []
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }.get(state) or []
    return [arn for arn in actions if arn.startswith("arn:aws:sns:")]


def notification(alarm: Any, previous: str) -> dict[str, Any]:
    """The message CloudWatch publishes for a state change of `alarm`."""
    _, _, _, region, account, _ = alarm.alarm_arn.split(":", 5)
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp.isoformat(),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason or "",
        "StateChangeTime": utc_now().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": previous,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": str(alarm.extended_statistic or alarm.statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }


def subject(alarm: Any) -> str:
    region = alarm.alarm_arn.split(":")[3]
    text = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
    return text[:SUBJECT_LIMIT]


def notify(alarm: Any, previous: str) -> list[str]:
    """Publish the state change to the new state's SNS actions; returns the message ids. A topic
    that does not exist (or refuses) is logged and skipped, as CloudWatch records a failed action."""
    from moto.sns.models import sns_backends

    message = json.dumps(notification(alarm, previous))
    sent: list[str] = []
    for topic_arn in actions_for(alarm, alarm.state_value):
        _, _, _, region, account, _ = topic_arn.split(":", 5)
        try:
            sent.append(sns_backends[account][region].publish(message, arn=topic_arn, subject=subject(alarm)))
        except Exception:  # a failed action must not fail the state change
            log.exception("alarm %s: publishing to %s failed", alarm.name, topic_arn)
    return sent
