"""Alerts people see: the environment's SNS topic, which every alarm of the stacks notifies (drift,
the rollout's 5xx and latency alarms), and the subscriptions of the environment file's `alerts`.

The topic is encrypted with the environment's key, so the key policy lets CloudWatch use it through
SNS (`EnvironmentKey`); the topic policy lets CloudWatch alarms of this account, and no one else,
publish. (Principals of the account whose IAM policies grant sns:Publish could still publish; no
role of the kit has it.)
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.models import Alerts
from stacks.encryption import EnvironmentKey
from stacks.policy import document

CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"


def alarm_arn_pattern(env: Environment) -> str:
    """Every CloudWatch alarm of the environment's account and region."""
    return f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:*"


def topic_policy(env: Environment, topic_arn: str) -> str:
    """Publish is allowed to CloudWatch alarms of this account only."""
    return document(
        [
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH_SERVICE},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": env.account_id},
                    "ArnLike": {"aws:SourceArn": alarm_arn_pattern(env)},
                },
            }
        ]
    )


class AlertTopic(Construct):
    """The environment's alert topic (KMS-encrypted), its policy and its subscriptions."""

    def __init__(
        self, scope: Construct, id_: str, *, env: Environment, alerts: Alerts, key: EnvironmentKey
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        self.topic = SnsTopic(
            self,
            "topic",
            name=names.alerts_topic,
            display_name=f"mlops-kit {env.name} alerts",
            kms_master_key_id=key.key.arn,
        )
        SnsTopicPolicy(self, "policy", arn=self.topic.arn, policy=topic_policy(env, self.topic.arn))
        endpoints = [("email", address) for address in alerts.email] + [
            ("https", url) for url in alerts.https
        ]
        for index, (protocol, endpoint) in enumerate(endpoints):
            # Email and HTTPS subscriptions stay pending until their owner confirms (the link AWS
            # mails, the SubscriptionConfirmation SNS posts): Terraform does not wait for that.
            SnsTopicSubscription(
                self,
                f"{protocol}-{index}",
                topic_arn=self.topic.arn,
                protocol=protocol,
                endpoint=endpoint,
            )

    @property
    def arn(self) -> str:
        return self.topic.arn
