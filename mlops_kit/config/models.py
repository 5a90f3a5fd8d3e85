"""Typed, frozen models of one environment file (`environments/<env>.yaml`).

Every model forbids unknown keys, so a typo is an error rather than a silently ignored setting.
Cross-field rules live next to the fields they relate; messages name the field the user must change.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mlops_kit.config.github_identity import GitHubIdentity
from mlops_kit.config.name_limits import name_limit_violations

ENVIRONMENT_ORDER: tuple[str, ...] = ("dev", "staging", "prod")

# Instance families that carry NVIDIA GPUs (EC2 for EKS node pools).
GPU_INSTANCE_FAMILIES = frozenset(
    {"p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6", "g4dn", "g5", "g6", "g6e", "gr6", "g5g"}
)
GPU_AMI_TYPES = frozenset({"AL2_x86_64_GPU", "AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"})
CPU_AMI_TYPES = frozenset({"AL2_x86_64", "AL2023_x86_64_STANDARD", "BOTTLEROCKET_x86_64"})

Lowercase = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$")]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
Ec2InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
SageMakerInstanceType = Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")]
IamRoleName = Annotated[str, StringConstraints(pattern=r"^[\w+=,.@-]{1,64}$")]
ScheduleExpression = Annotated[str, StringConstraints(pattern=r"^(cron|rate)\(.+\)$")]
Metric = Literal["auc", "accuracy", "f1", "precision", "recall"]
LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
ALL_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class Strict(BaseModel):
    """Base: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Scaling(Strict):
    """A min/desired/max triple, kept in order."""

    min_size: int = Field(ge=0)
    desired_size: int = Field(ge=0)
    max_size: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Scaling:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})"
            )
        return self


class StateBackend(Strict):
    """Where Terraform keeps state for a real account: an S3 bucket with native S3 locking."""

    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    region: Region | None = None
    key_prefix: str = "mlops-kit"


class Network(Strict):
    cidr: str = "10.0.0.0/16"
    az_count: int = Field(default=2, ge=2, le=6)
    # Pinned zone names (default: the region's first `az_count` zones, a, b, c...). Pinning keeps the
    # subnet layout from changing when AWS adds a zone.
    availability_zones: (
        list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")]] | None
    ) = None
    subnet_prefix_length: int = Field(default=20, ge=16, le=28)

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a valid IPv4 CIDR block: {exc}") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("VPC CIDR prefix length must be between /16 and /24 (an AWS limit)")
        return value

    @model_validator(mode="after")
    def _subnets_fit(self) -> Network:
        vpc = ipaddress.IPv4Network(self.cidr)
        if self.subnet_prefix_length < vpc.prefixlen:
            raise ValueError(
                f"subnet_prefix_length /{self.subnet_prefix_length} is larger than the VPC {self.cidr}"
            )
        if self.availability_zones is not None and len(self.availability_zones) != self.az_count:
            raise ValueError(
                f"availability_zones lists {len(self.availability_zones)} zones "
                f"but az_count is {self.az_count}"
            )
        available = 2 ** (self.subnet_prefix_length - vpc.prefixlen)
        if available < self.az_count:
            raise ValueError(
                f"{self.az_count} private subnets of /{self.subnet_prefix_length} do not fit in "
                f"{self.cidr} (room for {available})"
            )
        return self

    def subnet_cidrs(self) -> list[str]:
        """The private subnets, one per availability zone, carved from the start of the VPC block."""
        vpc = ipaddress.IPv4Network(self.cidr)
        subnets = vpc.subnets(new_prefix=self.subnet_prefix_length)
        return [str(next(subnets)) for _ in range(self.az_count)]


class Taint(Strict):
    key: str = Field(min_length=1, max_length=63)
    value: str = Field(default="", max_length=63)
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = "NO_SCHEDULE"


class SystemNodeGroup(Strict):
    instance_types: list[Ec2InstanceType] = Field(default_factory=lambda: ["m6i.large"], min_length=1)
    ami_type: str = "AL2023_x86_64_STANDARD"
    scaling: Scaling = Scaling(min_size=1, desired_size=2, max_size=3)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)

    @field_validator("ami_type")
    @classmethod
    def _cpu_ami(cls, value: str) -> str:
        if value not in CPU_AMI_TYPES:
            raise ValueError(f"must be one of {sorted(CPU_AMI_TYPES)}")
        return value


class GpuNodePool(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    instance_types: list[Ec2InstanceType] = Field(min_length=1)
    ami_type: str = "AL2023_x86_64_NVIDIA"
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    scaling: Scaling = Scaling(min_size=0, desired_size=0, max_size=2)
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    disk_size_gib: int = Field(default=200, ge=20, le=16384)

    @field_validator("instance_types")
    @classmethod
    def _gpu_families(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if t.split(".")[0] not in GPU_INSTANCE_FAMILIES]
        if bad:
            raise ValueError(
                f"{', '.join(bad)} not a GPU instance family (expected one of "
                f"{', '.join(sorted(GPU_INSTANCE_FAMILIES))})"
            )
        return value

    @field_validator("ami_type")
    @classmethod
    def _gpu_ami(cls, value: str) -> str:
        if value not in GPU_AMI_TYPES:
            raise ValueError(f"must be an NVIDIA AMI type, one of {sorted(GPU_AMI_TYPES)}")
        return value


class TrainingCluster(Strict):
    kubernetes_version: Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")] = "1.31"
    log_types: list[LogType] = Field(default_factory=lambda: list(ALL_LOG_TYPES))
    system_node_group: SystemNodeGroup = SystemNodeGroup()
    gpu_node_pools: list[GpuNodePool] = Field(default_factory=list)
    # Cluster access (EKS access entries): admins get cluster admin; submitters may assume the
    # training-submitter role (`kit train`), which may edit the training namespace only. Unset
    # submitters means the environment's promotion_trusted_principals (the ML engineers).
    admin_principals: list[str] = Field(default_factory=list)
    submitter_principals: list[str] = Field(default_factory=list)
    namespace: Lowercase = "training"

    @field_validator("admin_principals", "submitter_principals")
    @classmethod
    def _role_arns(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", p)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: must be IAM role ARNs (arn:aws:iam::ACCOUNT:role/NAME)")
        return value

    @field_validator("gpu_node_pools")
    @classmethod
    def _unique_pool_names(cls, value: list[GpuNodePool]) -> list[GpuNodePool]:
        names = [p.name for p in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate GPU node pool name(s): {', '.join(dupes)}")
        return value


class ModelSpec(Strict):
    """One model the environment registers and serves: its name and its folder (the model contract,
    `model.yaml` and its code; README: "Models"), relative to the repository or absolute."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
    description: str = ""
    # Unset: `models/<name>`.
    path: Annotated[str, StringConstraints(pattern=r"^(/|[\w.-])[\w./-]*$")] | None = None


class Registry(Strict):
    models: list[ModelSpec] = Field(min_length=1)
    ecr_repositories: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._/-]{1,62}$")]] = Field(
        default_factory=lambda: ["training", "inference"]
    )
    artifact_retention_days: int = Field(default=365, ge=1)
    noncurrent_version_retention_days: int = Field(default=90, ge=1)
    # Let `terraform destroy` empty the buckets. Only for disposable environments.
    force_destroy_buckets: bool = False

    @field_validator("models")
    @classmethod
    def _unique_models(cls, value: list[ModelSpec]) -> list[ModelSpec]:
        names = [m.name for m in value]
        if len(set(names)) != len(names):
            raise ValueError("model names must be unique")
        return value


class Autoscaling(Strict):
    min_capacity: int = Field(default=1, ge=1)
    max_capacity: int = Field(default=2, ge=1)
    target_invocations_per_instance: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Autoscaling:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity ({self.min_capacity}) must be <= max_capacity ({self.max_capacity})"
            )
        return self


class AnalysisRule(Strict):
    """One comparison of the canary with the baseline over the bake's window (README: canary
    analysis). `difference`: canary - baseline <= threshold; `ratio`: canary / baseline <=
    threshold; `max`: canary <= threshold (output_psi is already a comparison: use `max`)."""

    metric: Literal["error_rate", "latency_mean_ms", "latency_p99_ms", "output_psi"]
    comparison: Literal["difference", "ratio", "max"]
    threshold: float = Field(ge=0)
    min_requests: int = Field(default=50, ge=1, description="per variant; fewer is inconclusive")


class Analysis(Strict):
    """Canary analysis: the kit shifts traffic itself and decides on `rules` (none: SageMaker's
    canary with alarm rollback). `dry_run`: compute and report, act as without rules' verdict."""

    rules: list[AnalysisRule] = Field(min_length=1)
    dry_run: bool = False
    pause_timeout_minutes: int = Field(default=60, ge=1, le=10080)


class Rollout(Strict):
    """Blue/green with a canary: shift `canary_percent` first, bake, then the rest."""

    canary_percent: int = Field(default=10, ge=1, le=50)
    bake_minutes: int = Field(default=10, ge=0, le=180)
    termination_wait_minutes: int = Field(default=5, ge=0, le=60)
    analysis: Analysis | None = None


class Alarms(Strict):
    max_5xx_errors: int = Field(default=5, ge=0, description="5xx invocation errors per minute")
    max_p99_latency_ms: int = Field(default=1000, ge=1)


class Serving(Strict):
    instance_type: SageMakerInstanceType = "ml.m5.large"
    initial_instance_count: int = Field(default=1, ge=1)
    autoscaling: Autoscaling = Autoscaling()
    rollout: Rollout = Rollout()
    alarms: Alarms = Alarms()
    data_capture_percent: int = Field(default=100, ge=0, le=100)

    @model_validator(mode="after")
    def _count_within_autoscaling(self) -> Serving:
        a = self.autoscaling
        if not a.min_capacity <= self.initial_instance_count <= a.max_capacity:
            raise ValueError(
                f"initial_instance_count ({self.initial_instance_count}) must lie within "
                f"autoscaling min_capacity..max_capacity ({a.min_capacity}..{a.max_capacity})"
            )
        return self


class ExperimentTracking(Strict):
    """A SageMaker managed MLflow tracking server for this environment's training runs."""

    size: Literal["Small", "Medium", "Large"] = "Small"
    # Artifacts go under this prefix of the environment's artifact bucket.
    artifact_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9/_-]{0,62}$")] = "mlflow"
    # Roles allowed to assume the `experimenters` role (engineers reading and comparing runs).
    engineer_principals: list[
        Annotated[str, StringConstraints(pattern=r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")]
    ] = Field(default_factory=list)


class HyperparameterRange(Strict):
    """The values a tuning trial may give one hyperparameter."""

    type: Literal["continuous", "integer"] = "continuous"
    min: float
    max: float
    scaling: Literal["Auto", "Linear", "Logarithmic"] = "Auto"

    @model_validator(mode="after")
    def _ordered(self) -> HyperparameterRange:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.type == "integer" and not (self.min.is_integer() and self.max.is_integer()):
            raise ValueError("an integer range needs whole min and max")
        if self.scaling == "Logarithmic" and self.min <= 0:
            raise ValueError("a logarithmic range needs min > 0")
        return self


class Tuning(Strict):
    """Hyperparameter tuning before evaluation: ranges, the objective, and the trial budget."""

    objective: Metric = "auc"
    ranges: dict[str, HyperparameterRange] = Field(min_length=1)
    max_trials: int = Field(default=4, ge=1, le=500)
    max_parallel_trials: int = Field(default=1, ge=1, le=100)
    strategy: Literal["Random", "Bayesian"] = "Random"


class Training(Strict):
    """Where the training pipeline's jobs run."""

    processing_instance_type: SageMakerInstanceType = "ml.m5.large"
    training_instance_type: SageMakerInstanceType = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1)
    volume_size_gib: int = Field(default=30, ge=1)
    max_runtime_seconds: int = Field(default=3600, ge=60)
    tracking: ExperimentTracking | None = None
    tuning: Tuning | None = None


def _default_min_metrics() -> dict[Metric, float]:
    return {"auc": 0.8}


class Gates(Strict):
    """Quality gates a model version must pass to be registered here or promoted here."""

    min_metrics: dict[Metric, float] = Field(default_factory=_default_min_metrics)
    max_regression: float = Field(default=0.01, ge=0, le=1)
    require_drift_check: bool = True
    # A promotion here needs the version's model card (`kit models card`) in the source environment.
    # Unset: required exactly where promotions need approvals (an approver reviews the card); prod
    # always requires it (`Environment.requires_model_card`).
    require_model_card: bool | None = None
    # Group fairness ceilings (README: "Fairness"): the candidate's differences over its model's
    # sensitive attribute must not exceed them. Unset: not gated. Set: a version whose model measures
    # no fairness fails the gate.
    max_demographic_parity_difference: float | None = Field(default=None, ge=0, le=1)
    max_equal_opportunity_difference: float | None = Field(default=None, ge=0, le=1)

    @property
    def fairness_ceilings(self) -> dict[str, float]:
        """Fairness metric -> its ceiling, for the ceilings this environment sets."""
        ceilings = {
            "demographic_parity_difference": self.max_demographic_parity_difference,
            "equal_opportunity_difference": self.max_equal_opportunity_difference,
        }
        return {metric: value for metric, value in ceilings.items() if value is not None}

    @field_validator("min_metrics")
    @classmethod
    def _in_unit_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not 0.0 <= v <= 1.0]
        if bad:
            raise ValueError(f"thresholds must lie in [0, 1]: {', '.join(bad)}")
        return value


class ApproverRule(Strict):
    """Approvals needed before promotion: `count` distinct identities matching `principals`."""

    name: Lowercase
    principals: list[str] = Field(min_length=1, description="IAM ARNs; '*' wildcards allowed")
    count: int = Field(default=1, ge=1)


class Approvals(Strict):
    rules: list[ApproverRule] = Field(default_factory=list)


class AuditLog(Strict):
    """The audit bucket's S3 Object Lock: every record is kept, unchanged, for `retention_days`.
    COMPLIANCE: nobody, root included, can delete or shorten it; GOVERNANCE: only a principal
    granted s3:BypassGovernanceRetention can (the kit's bucket policy grants it to nobody)."""

    lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    retention_days: int = Field(default=3650, ge=1, le=36500)


# Drift settings renamed when the verdict rules were chosen by measurement (issue 15).
_RENAMED_DRIFT_SETTINGS = {
    "psi_threshold": "psi",
    "js_threshold": "js_distance",
    "ks_pvalue": "pvalue",
    "chi2_pvalue": "pvalue",
}


class DriftSettings(Strict):
    """The drift job's schedule and verdict thresholds (see mlops_kit.drift.DriftThresholds: a
    feature drifts when a test's p-value is below `pvalue` and an effect size reaches its threshold)."""

    schedule: ScheduleExpression = "cron(0 6 * * ? *)"
    window_hours: int = Field(default=24, ge=1)
    pvalue: float = Field(default=0.001, gt=0, lt=1)
    wasserstein_normed: float = Field(default=0.05, gt=0)
    psi: float = Field(default=0.1, gt=0)
    js_distance: float = Field(default=0.05, gt=0, le=1)
    missing_share: float = Field(default=0.01, gt=0, le=1)
    drifted_share: float = Field(default=0.3, gt=0, le=1)
    min_samples: int = Field(default=200, ge=1)
    critical_features: list[str] = Field(default_factory=list)
    instance_type: SageMakerInstanceType = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1, le=100)
    retrain_on_drift: bool = True
    # Where a drift alarm starts retraining: unset = this account's training pipeline (the training
    # environment, normally dev); else the account whose default event bus receives the alarm event.
    retrain_account_id: AccountId | None = None
    # Accounts whose drift alarms may start retraining here (their events reach this default bus).
    accept_retrain_from: list[AccountId] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        if isinstance(data, dict):
            renamed = [
                f"{old} is now {_RENAMED_DRIFT_SETTINGS[old]}"
                for old in data
                if old in _RENAMED_DRIFT_SETTINGS
            ]
            if renamed:
                raise ValueError(f"renamed setting(s): {'; '.join(renamed)}")
        return data


EmailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254)]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s/?#]+[^\s]*$", max_length=2048)]


class Alerts(Strict):
    """Who hears the environment's alarms (drift, rollout 5xx and latency): the subscriptions of its
    alert topic. Email addresses confirm by the link AWS mails them; an HTTPS endpoint must confirm
    the SubscriptionConfirmation SNS posts to it."""

    email: list[EmailAddress] = Field(default_factory=list)
    https: list[HttpsUrl] = Field(default_factory=list)

    @field_validator("email", "https")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return value


class Identity(Strict):
    """Who deploys and who promotes into this environment."""

    # Bootstrapped outside the kit, once per account: environments sharing an account share it.
    deploy_role_name: IamRoleName = "mlops-kit-deploy"
    # Created by the stack; unset means `<name_prefix>-<env>-promotion`, unique per environment, so
    # environments can share an account.
    promotion_role_name: IamRoleName | None = None
    # Roles or users allowed to assume the promotion role: normally the ML engineers' role for dev
    # and staging. Whole accounts are refused: name the roles. Empty: only the release workflow's
    # role (`github`, every environment after dev) promotes, as prod does.
    promotion_trusted_principals: list[str] = Field(default_factory=list)
    # GitHub Actions identities (OIDC) for this environment; none when absent.
    github: GitHubIdentity | None = None

    @field_validator("promotion_trusted_principals")
    @classmethod
    def _named_principals(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not re.fullmatch(r"arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]+", p)]
        if bad:
            raise ValueError(
                f"{', '.join(bad)}: must be IAM role or user ARNs (arn:aws:iam::ACCOUNT:role/NAME); "
                "trusting a whole account is not allowed"
            )
        return value


class Environment(Strict):
    """One environment: everything the stacks, pipelines and the CLI need to know about it."""

    name: Literal["dev", "staging", "prod"]
    account_id: AccountId
    region: Region  # required: a default would deploy to a place nobody chose
    name_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,14}[a-z0-9]$")] = "mlkit"
    tags: dict[str, str] = Field(default_factory=dict)
    state: StateBackend | None = None
    identity: Identity
    network: Network = Network()
    training_cluster: TrainingCluster = TrainingCluster()
    registry: Registry
    training: Training = Training()
    serving: Serving = Serving()
    gates: Gates = Gates()
    approvals: Approvals = Field(default_factory=Approvals, validate_default=True)
    audit: AuditLog = AuditLog()
    drift: DriftSettings = DriftSettings()
    alerts: Alerts = Alerts()
    # `kit env teardown` removes the environment (what the kit created, then the stack) only when
    # its file allows it: an environment is kept unless declared disposable.
    allow_teardown: bool = False

    @field_validator("tags")
    @classmethod
    def _tag_keys(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not re.fullmatch(r"[\w .:/=+\-@]{1,128}", k) or k.startswith("aws:")]
        if bad:
            raise ValueError(f"invalid tag key(s): {', '.join(bad)}")
        return value

    @field_validator("registry")
    @classmethod
    def _names_fit_aws_limits(cls, value: Registry, info: ValidationInfo) -> Registry:
        data = info.data
        if not {"name", "account_id", "name_prefix"} <= set(data):
            return value  # those fields have their own errors
        pools = [p.name for p in (data.get("training_cluster") or TrainingCluster()).gpu_node_pools]
        problems = name_limit_violations(
            prefix=data["name_prefix"],
            env=data["name"],
            account_id=data["account_id"],
            models=[m.name for m in value.models],
            pools=pools,
        )
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("network")
    @classmethod
    def _zones_in_region(cls, value: Network, info: ValidationInfo) -> Network:
        region = info.data.get("region")
        zones = value.availability_zones or []
        bad = [z for z in zones if region and not z.startswith(region)]
        if bad:
            raise ValueError(f"availability_zones {', '.join(bad)} are not in region {region}")
        return value

    @field_validator("identity")
    @classmethod
    def _somebody_promotes(cls, value: Identity, info: ValidationInfo) -> Identity:
        name = info.data.get("name")
        if not value.promotion_trusted_principals and (value.github is None or name == ENVIRONMENT_ORDER[0]):
            raise ValueError(
                "promotion_trusted_principals is empty and no release role could promote instead: "
                "name the roles that may promote"
                + ("" if name == ENVIRONMENT_ORDER[0] else ", or set identity.github (its release role)")
            )
        return value

    @field_validator("approvals")
    @classmethod
    def _prod_needs_approvers(cls, value: Approvals, info: ValidationInfo) -> Approvals:
        if info.data.get("name") == "prod" and not value.rules:
            raise ValueError("prod requires at least one approver rule")
        return value

    @field_validator("gates")
    @classmethod
    def _prod_needs_model_cards(cls, value: Gates, info: ValidationInfo) -> Gates:
        if info.data.get("name") == "prod" and value.require_model_card is False:
            raise ValueError(
                "prod always requires a model card: leave require_model_card unset or set it true"
            )
        return value

    @property
    def requires_model_card(self) -> bool:
        """Whether a promotion here needs the version's model card: as `gates.require_model_card`
        says, else wherever approvals are required (prod always)."""
        if self.gates.require_model_card is not None:
            return self.gates.require_model_card
        return self.name == "prod" or bool(self.approvals.rules)

    @property
    def availability_zones(self) -> list[str]:
        """The zones of the private subnets, pinned in the file or the region's first ones."""
        if self.network.availability_zones is not None:
            return list(self.network.availability_zones)
        return [f"{self.region}{letter}" for letter in "abcdef"[: self.network.az_count]]

    @property
    def models(self) -> list[str]:
        return [m.name for m in self.registry.models]

    def model(self, name: str) -> ModelSpec:
        for spec in self.registry.models:
            if spec.name == name:
                return spec
        raise KeyError(name)
