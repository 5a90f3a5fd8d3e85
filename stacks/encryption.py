"""One customer-managed KMS key per environment: rotation on, policy scoped to the account and the
AWS services that write encrypted data for the kit (CloudWatch Logs; CloudWatch alarms publishing to
the encrypted alert topic through SNS)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.policy import document, statement


class EnvironmentKey(Construct):
    """The environment's data key: S3, ECR, EKS secrets, logs, DynamoDB and SageMaker use it."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        account = env.account_id
        root = f"arn:aws:iam::{account}:root"
        logs_service = f"logs.{env.region}.amazonaws.com"
        policy = document(
            [
                # Key administration stays with the account, so IAM policies decide who may use it
                # and the key can never become unmanageable.
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncrypts",
                    "Effect": "Allow",
                    "Principal": {"Service": logs_service},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{env.region}:{account}:*"
                        }
                    },
                },
                # An alarm's notification is encrypted by SNS on CloudWatch's behalf: without this,
                # alarms change state but their messages never reach the alert topic. The conditions
                # are those SNS documents against the confused deputy (alarms of this account only).
                {
                    "Sid": "CloudWatchAlarmsPublishToTheAlertTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{env.region}:{account}:alarm:*"},
                    },
                },
            ]
        )
        self.key = KmsKey(
            self,
            "key",
            description=f"mlops-kit {env.name}: artifacts, registries, logs, cluster secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
        )
        KmsAlias(self, "alias", name=names.kms_alias, target_key_id=self.key.key_id)

    def use_statement(self, sid: str = "UseEnvironmentKey") -> dict[str, object]:
        """An IAM statement that lets a role encrypt and decrypt with this key (and nothing else)."""
        return statement(
            sid,
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncrypt*"],
            [self.key.arn],
        )
