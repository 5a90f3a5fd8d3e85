"""The audit log's bucket: S3 Object Lock keeps every record for the configured retention, and the
bucket policy keeps anyone, the kit's own roles and administrators included, from removing one.

Only the promotion role and the approvers of `approvals.rules` may add records (`records/*`, see
mlops_kit.promotion.audit_store); no
principal may delete an object version, shorten or lift its retention, or bypass governance mode.
An overwrite of a record key can only add a version beside the locked one; `kit audit verify`
names it. The statements are plain data built by `audit_bucket_statements`, which the tests load
into an IAM-evaluating emulator as they are.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.checkov_skips import skip_check
from stacks.encryption import EnvironmentKey
from stacks.policy import Statement
from stacks.registry import Registry, _PrivateBucket

# Everything that could make a written record disappear or become deletable.
RECORD_REMOVAL_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutLifecycleConfiguration",
)


def principal_arn_patterns(patterns: list[str]) -> list[str]:
    """`approvals.rules` principals as aws:PrincipalArn sees them: a role session's PrincipalArn is
    its role's ARN (`assumed-role/R/*` -> `role/R`); other ARNs stay as they are."""
    found: list[str] = []
    for pattern in patterns:
        head, _, rest = pattern.partition(":assumed-role/")
        converted = f"{head.replace(':sts:', ':iam:')}:role/{rest.split('/')[0]}" if rest else pattern
        if converted not in found:
            found.append(converted)
    return found


def audit_writers(env: Environment) -> list[str]:
    """Who may add records: the promotion role, and the approvers (approvals are records too)."""
    approvers = [p for rule in env.approvals.rules for p in rule.principals]
    return [ResourceNames(env).promotion_role_arn, *principal_arn_patterns(approvers)]


def audit_bucket_statements(bucket_arn: str, *, writer_role_arns: list[str]) -> list[Statement]:
    """The audit bucket's policy statements (besides TLS-only): nobody removes a record, and only
    `writer_role_arns` (aws:PrincipalArn patterns) add records."""
    return [
        {
            "Sid": "NobodyRemovesARecord",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(RECORD_REMOVAL_ACTIONS),
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
        },
        {
            "Sid": "OnlyThePromotionRoleAppendsRecords",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(writer_role_arns)}},
        },
    ]


class AuditLog(Construct):
    """`bucket`: versioned, KMS-encrypted, Object Lock on (`env.audit`), access-logged."""

    def __init__(
        self, scope: Construct, id_: str, *, env: Environment, key: EnvironmentKey, registry: Registry
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        # force_destroy cannot remove locked versions; the bucket outlives a teardown by design.
        self.log = _PrivateBucket(
            self,
            "bucket",
            name=names.audit_bucket,
            kms_key_arn=key.key.arn,
            force_destroy=False,
            object_lock=True,
        )
        self.bucket = self.log.bucket
        S3BucketObjectLockConfigurationA(
            self,
            "object-lock",
            bucket=self.bucket.id,
            rule=S3BucketObjectLockConfigurationRuleA(
                default_retention=S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                    mode=env.audit.lock_mode, days=env.audit.retention_days
                )
            ),
        )
        self.log.policy_statements += audit_bucket_statements(
            f"arn:aws:s3:::{names.audit_bucket}", writer_role_arns=audit_writers(env)
        )
        self.log.attach_policy()
        S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket.id,
            target_bucket=registry.access_logs.bucket.id,
            target_prefix=f"{names.audit_bucket}/",
            depends_on=[registry.log_delivery_policy],
        )
        for check, reason in (
            (
                "CKV_AWS_144",
                "the audit log stays in its environment's region; a replica is a team's choice",
            ),
            ("CKV2_AWS_62", "nothing consumes audit record events; readers list the bucket"),
            ("CKV2_AWS_61", "records must outlive any lifecycle rule: Object Lock sets their retention"),
        ):
            skip_check(self.bucket, check, reason)
