"""Registries: the encrypted artifact bucket (with its access-log bucket), ECR repositories and one
SageMaker model package group per model."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from cdktf_cdktf_provider_aws.sagemaker_model_package_group import SagemakerModelPackageGroup
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.checkov_skips import skip_check
from stacks.encryption import EnvironmentKey
from stacks.policy import document, terraform_json

ECR_UNTAGGED_EXPIRY_DAYS = 14


class _PrivateBucket(Construct):
    """A bucket with versioning, public access blocked, TLS-only access and the given encryption."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kms_key_arn: str | None,
        force_destroy: bool,
        object_lock: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(
            self, "bucket", bucket=name, force_destroy=force_destroy, object_lock_enabled=object_lock or None
        )
        S3BucketVersioningA(
            self, "versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}
        )
        if kms_key_arn:
            default = {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
        else:
            default = {"sse_algorithm": "AES256"}
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default,  # type: ignore[arg-type]
                    bucket_key_enabled=bool(kms_key_arn),
                )
            ],
        )
        self.policy_statements: list[dict[str, object]] = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]

    def attach_policy(self) -> S3BucketPolicy:
        return S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=document(self.policy_statements))


class Registry(Construct):
    """Artifact bucket, ECR repositories and model package groups of one environment."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment, key: EnvironmentKey) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        retention = env.registry

        # S3 server access logs can only be delivered to a bucket encrypted with SSE-S3.
        self.access_logs = _PrivateBucket(
            self,
            "access-logs",
            name=names.access_log_bucket,
            kms_key_arn=None,
            force_destroy=retention.force_destroy_buckets,
        )
        self.access_logs.policy_statements.append(
            {
                "Sid": "S3ServerAccessLogsDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{self.access_logs.bucket.arn}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": env.account_id}},
            }
        )
        log_delivery_policy = self.log_delivery_policy = self.access_logs.attach_policy()
        self._expire(self.access_logs, days=retention.artifact_retention_days, noncurrent_days=30)
        log_bucket = self.access_logs.bucket
        skip_check(log_bucket, "CKV_AWS_145", "S3 server access logs can only be written to an SSE-S3 bucket")
        self._skip_replication_and_events(log_bucket)

        self.artifacts = _PrivateBucket(
            self,
            "artifacts",
            name=names.artifact_bucket,
            kms_key_arn=key.key.arn,
            force_destroy=retention.force_destroy_buckets,
        )
        self.artifacts.attach_policy()
        S3BucketLoggingA(
            self,
            "artifacts-logging",
            bucket=self.artifacts.bucket.id,
            target_bucket=log_bucket.id,
            target_prefix=f"{names.artifact_bucket}/",
            # S3 refuses a logging target whose policy does not yet let the log service write.
            depends_on=[log_delivery_policy],
        )
        self._expire(
            self.artifacts,
            days=retention.artifact_retention_days,
            noncurrent_days=retention.noncurrent_version_retention_days,
        )
        self._skip_replication_and_events(self.artifacts.bucket)

        self.repositories: dict[str, EcrRepository] = {}
        for repo in env.registry.ecr_repositories:
            repository = EcrRepository(
                self,
                f"ecr-{repo.replace('/', '-')}",
                name=names.ecr_repository(repo),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=key.key.arn)
                ],
            )
            EcrLifecyclePolicy(
                self,
                f"ecr-{repo.replace('/', '-')}-lifecycle",
                repository=repository.name,
                policy=document_lifecycle(ECR_UNTAGGED_EXPIRY_DAYS),
            )
            self.repositories[repo] = repository

        self.model_package_groups: dict[str, SagemakerModelPackageGroup] = {}
        for model in env.registry.models:
            self.model_package_groups[model.name] = SagemakerModelPackageGroup(
                self,
                f"model-package-group-{model.name}",
                model_package_group_name=names.model_package_group(model.name),
                model_package_group_description=model.description or f"{model.name} in {env.name}",
            )

    def _expire(self, bucket: _PrivateBucket, *, days: int, noncurrent_days: int) -> None:
        S3BucketLifecycleConfiguration(
            self,
            f"{bucket.node.id}-lifecycle",
            bucket=bucket.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-objects",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=days)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=noncurrent_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
        )

    @staticmethod
    def _skip_replication_and_events(bucket: S3Bucket) -> None:
        skip_check(
            bucket,
            "CKV_AWS_144",
            "cross-region replication is a per-team disaster-recovery choice; "
            "versioning and lifecycle cover recovery inside the region",
        )
        skip_check(
            bucket,
            "CKV2_AWS_62",
            "no consumer of object-created events: pipelines and promotion read the bucket directly",
        )


def document_lifecycle(untagged_days: int) -> str:
    """ECR lifecycle: expire untagged images; tagged (released) images are immutable and kept."""
    return terraform_json(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_days,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
