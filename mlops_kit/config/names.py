"""Every AWS resource name the kit uses, derived in one place from an environment.

Stacks, pipelines and the CLI all call these, so a bucket or endpoint name can never disagree
between the code that creates a resource and the code that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlops_kit.config.name_limits import ROLE_PURPOSES, name_limit_violations

if TYPE_CHECKING:
    from mlops_kit.config.models import Environment


@dataclass(frozen=True)
class ResourceNames:
    """Names of one environment's resources. Pure: a function of the environment model."""

    env: Environment

    @property
    def base(self) -> str:
        return f"{self.env.name_prefix}-{self.env.name}"

    # Storage and keys
    @property
    def artifact_bucket(self) -> str:
        # Bucket names are global across all accounts, so the account id keeps them unique.
        return f"{self.base}-artifacts-{self.env.account_id}"

    @property
    def access_log_bucket(self) -> str:
        return f"{self.base}-access-logs-{self.env.account_id}"

    @property
    def kms_alias(self) -> str:
        return f"alias/{self.base}"

    @property
    def promotion_lock_table(self) -> str:
        return f"{self.base}-promotion-locks"

    @property
    def audit_bucket(self) -> str:
        return f"{self.base}-audit-{self.env.account_id}"

    @property
    def alerts_topic(self) -> str:
        """The SNS topic every alarm of the environment notifies (`alerts` subscribes to it)."""
        return f"{self.base}-alerts"

    @property
    def alerts_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.env.region}:{self.env.account_id}:{self.alerts_topic}"

    # Network and cluster
    @property
    def vpc(self) -> str:
        return f"{self.base}-vpc"

    @property
    def flow_log_group(self) -> str:
        return f"/{self.env.name_prefix}/{self.env.name}/vpc-flow-logs"

    @property
    def eks_cluster(self) -> str:
        return f"{self.base}-training"

    def node_group(self, pool: str) -> str:
        return f"{self.base}-{pool}"

    # IAM
    @property
    def tracking_server(self) -> str:
        return f"{self.base}-mlflow"

    def role(self, purpose: str) -> str:
        return f"{self.base}-{purpose}"

    @property
    def promotion_role(self) -> str:
        return self.env.identity.promotion_role_name or self.role("promotion")

    @property
    def promotion_role_arn(self) -> str:
        return f"arn:aws:iam::{self.env.account_id}:role/{self.promotion_role}"

    @property
    def reviewer_role_arn(self) -> str:
        """Read-only on the registry, for the next environment's approvers (`kit approve`)."""
        return f"arn:aws:iam::{self.env.account_id}:role/{self.role('reviewer')}"

    @property
    def deploy_role_arn(self) -> str:
        return f"arn:aws:iam::{self.env.account_id}:role/{self.env.identity.deploy_role_name}"

    # Per model
    def model_package_group(self, model: str) -> str:
        return f"{self.base}-{model}"

    def ecr_repository(self, repository: str) -> str:
        return f"{self.base}/{repository}"

    def endpoint(self, model: str) -> str:
        return f"{self.base}-{model}"

    def rollback_alarms(self, model: str) -> dict[str, str]:
        """The CloudWatch alarms that roll back a rollout of `model`'s endpoint, by purpose."""
        endpoint = self.endpoint(model)
        return {"errors": f"{endpoint}-5xx", "latency": f"{endpoint}-p99-latency"}

    def dashboard(self, model: str) -> str:
        """The CloudWatch dashboard of `model`'s endpoint: traffic, latency, errors, drift."""
        return self.endpoint(model)

    def training_pipeline(self, model: str) -> str:
        return f"{self.base}-{model}-training"

    def drift_pipeline(self, model: str) -> str:
        return f"{self.base}-{model}-drift"

    def quality_pipeline(self, model: str) -> str:
        """The scheduled quality job: labels joined with the capture, accuracy and AUC published."""
        return f"{self.base}-{model}-quality"

    def quality_schedule(self, model: str) -> str:
        return f"{self.base}-{model}-quality"

    def drift_alarm(self, model: str) -> str:
        # `.` cannot occur in model or environment names, so a rule can match every environment's
        # drift alarm of one model by the prefix `<prefix>-drift.<model>.`.
        return f"{self.drift_alarm_prefix(model)}{self.env.name}"

    def drift_alarm_prefix(self, model: str) -> str:
        return f"{self.env.name_prefix}-drift.{model}."

    def prediction_drift_alarm(self, model: str) -> str:
        # Not under the drift alarm prefix: drifting answers alert people, they do not retrain.
        return f"{self.base}-{model}-prediction-drift"

    def drift_schedule(self, model: str) -> str:
        return f"{self.base}-{model}-drift"

    def data_capture_prefix(self, model: str) -> str:
        return f"s3://{self.artifact_bucket}/data-capture/{model}"

    def labels_prefix(self, model: str) -> str:
        """Where `kit labels upload` writes ground truth, keyed by the capture's inference id."""
        return f"s3://{self.artifact_bucket}/labels/{model}"

    def quality_report_prefix(self, model: str) -> str:
        return f"s3://{self.artifact_bucket}/quality-reports/{model}"

    def quality_alarm(self, model: str) -> str:
        # Like the drift alarm, one prefix per model across environments: the training account's
        # retraining rule matches every environment's quality alarm of the model by it.
        return f"{self.quality_alarm_prefix(model)}{self.env.name}"

    def quality_alarm_prefix(self, model: str) -> str:
        return f"{self.env.name_prefix}-quality.{model}."

    def drift_report_prefix(self, model: str) -> str:
        return f"s3://{self.artifact_bucket}/drift-reports/{model}"

    def account_scoped(self) -> dict[tuple[str, str], str]:
        """The names that must be unique within the account and region (buckets: within all of AWS),
        as (kind, name) -> the setting they derive from. Two environments sharing an account must
        not have one in common: the second stack's deploy would fail on it half-way."""
        prefix = "name_prefix"
        found: dict[tuple[str, str], str] = {
            ("S3 bucket", self.artifact_bucket): prefix,
            ("S3 bucket", self.access_log_bucket): prefix,
            ("S3 bucket", self.audit_bucket): prefix,
            ("KMS alias", self.kms_alias): prefix,
            ("DynamoDB table", self.promotion_lock_table): prefix,
            ("EKS cluster", self.eks_cluster): prefix,
            ("log group", self.flow_log_group): prefix,
            ("SNS topic", self.alerts_topic): prefix,
            ("IAM role", self.promotion_role): "identity.promotion_role_name"
            if self.env.identity.promotion_role_name
            else prefix,
        }
        for purpose in ROLE_PURPOSES:
            found[("IAM role", self.role(purpose))] = prefix
        for repository in self.env.registry.ecr_repositories:
            found[("ECR repository", self.ecr_repository(repository))] = prefix
        for model in self.env.models:
            for kind, name in (
                ("model package group", self.model_package_group(model)),
                ("SageMaker endpoint", self.endpoint(model)),
                ("SageMaker pipeline", self.training_pipeline(model)),
                ("SageMaker pipeline", self.drift_pipeline(model)),
                ("SageMaker pipeline", self.quality_pipeline(model)),
                ("schedule", self.quality_schedule(model)),
                ("CloudWatch alarm", self.drift_alarm(model)),
                ("CloudWatch alarm", self.prediction_drift_alarm(model)),
                ("CloudWatch alarm", self.quality_alarm(model)),
                ("CloudWatch dashboard", self.dashboard(model)),
                ("schedule", self.drift_schedule(model)),
                *(("CloudWatch alarm", alarm) for alarm in self.rollback_alarms(model).values()),
            ):
                found[(kind, name)] = prefix
        return found

    def as_dict(self) -> dict[str, str]:
        """All names, flattened for display (`kit env show`)."""
        names = {
            "artifact_bucket": self.artifact_bucket,
            "access_log_bucket": self.access_log_bucket,
            "kms_alias": self.kms_alias,
            "promotion_lock_table": self.promotion_lock_table,
            "audit_bucket": self.audit_bucket,
            "vpc": self.vpc,
            "alerts_topic": self.alerts_topic_arn,
            "eks_cluster": self.eks_cluster,
            "promotion_role": self.promotion_role_arn,
            "deploy_role": self.deploy_role_arn,
        }
        for pool in self.env.training_cluster.gpu_node_pools:
            names[f"node_group[{pool.name}]"] = self.node_group(pool.name)
        for repo in self.env.registry.ecr_repositories:
            names[f"ecr_repository[{repo}]"] = self.ecr_repository(repo)
        for model in self.env.models:
            names[f"model_package_group[{model}]"] = self.model_package_group(model)
            names[f"endpoint[{model}]"] = self.endpoint(model)
            names[f"dashboard[{model}]"] = self.dashboard(model)
            names[f"training_pipeline[{model}]"] = self.training_pipeline(model)
            names[f"drift_pipeline[{model}]"] = self.drift_pipeline(model)
            names[f"quality_pipeline[{model}]"] = self.quality_pipeline(model)
        return names

    def limit_violations(self) -> list[str]:
        """Names longer than AWS allows, each described so the user knows what to shorten."""
        return name_limit_violations(
            prefix=self.env.name_prefix,
            env=self.env.name,
            account_id=self.env.account_id,
            models=self.env.models,
            pools=[p.name for p in self.env.training_cluster.gpu_node_pools],
        )
