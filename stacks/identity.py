"""Least-privilege IAM roles of one environment.

- sagemaker-execution: processing, training and endpoints read/write the artifact bucket and pull images.
- pipeline: SageMaker Pipelines starts the jobs and registers model versions.
- eks-cluster / eks-nodes: the training cluster's control plane and its node groups.
- scheduler: EventBridge Scheduler starts the drift pipeline.
- retrain: EventBridge starts the training pipeline when the drift alarm fires.
- promotion: what `kit promote` assumes to write into this environment, trusted by the environments
  earlier on the path (cross-account).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.checkov_skips import skip_check
from stacks.encryption import EnvironmentKey
from stacks.policy import Statement, document, principal_trust, service_trust, statement
from stacks.promotion_state import PromotionState
from stacks.registry import Registry

# Where drift checks publish their metrics (mlops_kit.drift.publication): the drift alarm watches it.
DRIFT_NAMESPACE = "mlops-kit/drift"

AWS_MANAGED = "arn:aws:iam::aws:policy"


class SageMakerArns:
    """ARN patterns of this environment's SageMaker resources, scoped to the kit's name prefix."""

    def __init__(self, env: Environment) -> None:
        self.prefix = f"arn:aws:sagemaker:{env.region}:{env.account_id}"
        self.names = ResourceNames(env)
        self.env = env

    def of(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}/{name}"

    def own(self, kind: str) -> str:
        # SageMaker lower-cases names in ARNs; the kit's names are lower-case already.
        return self.of(kind, f"{self.names.base}-*")

    def pipelines(self) -> list[str]:
        return [
            self.of("pipeline", name)
            for m in self.env.models
            for name in (
                self.names.training_pipeline(m),
                self.names.drift_pipeline(m),
                self.names.quality_pipeline(m),
            )
        ]


class Identity(Construct):
    """The roles; each has only the permissions its job needs, on this environment's resources."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        key: EnvironmentKey,
        registry: Registry,
        promotion_state: PromotionState,
        release_role_arn: str | None = None,
        reviewer_principals: list[str] | None = None,
        source_reviewer_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.source_reviewer_arn = source_reviewer_arn
        self.env = env
        self.names = ResourceNames(env)
        self.arns = SageMakerArns(env)
        bucket = registry.artifacts.bucket.arn
        self._bucket_rw = statement(
            "ArtifactBucketReadWrite",
            ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion"],
            [bucket, f"{bucket}/*"],
        )
        repo_arns = [r.arn for r in registry.repositories.values()]
        self._ecr_pull = [
            statement(
                "EcrPull",
                ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                repo_arns,
            ),
            # GetAuthorizationToken has no resource-level permissions in IAM.
            statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        ]
        self.sagemaker_execution = self._sagemaker_execution(key)
        self.pipeline = self._pipeline(key)
        self.eks_cluster = self._managed_role("eks-cluster", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
        self.eks_nodes = self._managed_role(
            "eks-nodes",
            "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"],
        )
        # The schedules start the monitoring jobs: drift and quality.
        scheduled = [
            self.arns.of("pipeline", name)
            for m in env.models
            for name in (self.names.drift_pipeline(m), self.names.quality_pipeline(m))
        ]
        training_pipelines = [self.arns.of("pipeline", self.names.training_pipeline(m)) for m in env.models]
        self.scheduler = self._starter("scheduler", "scheduler.amazonaws.com", scheduled)
        self.retrain = self._retrain_role(training_pipelines)
        self.promotion = self._promotion(key, registry, promotion_state, release_role_arn)
        self.reviewer = self._reviewer(key, registry, reviewer_principals) if reviewer_principals else None

    def _role(self, purpose: str, trust: str, description: str) -> IamRole:
        return IamRole(
            self,
            purpose,
            name=self.names.role(purpose) if purpose != "promotion" else self.names.promotion_role,
            assume_role_policy=trust,
            description=description,
            max_session_duration=3600,
        )

    def _inline(self, role: IamRole, name: str, statements: list[Statement]) -> None:
        IamRolePolicy(self, f"{role.node.id}-{name}", role=role.id, name=name, policy=document(statements))

    def _sagemaker_execution(self, key: EnvironmentKey) -> IamRole:
        env = self.env
        role = self._role(
            "sagemaker-execution",
            service_trust("sagemaker.amazonaws.com", source_account=env.account_id),
            "SageMaker processing, training and endpoints of mlops-kit",
        )
        logs = f"arn:aws:logs:{env.region}:{env.account_id}:log-group:/aws/sagemaker/*"
        self._inline(
            role,
            "jobs-and-endpoints",
            [
                self._bucket_rw,
                key.use_statement(),
                *self._ecr_pull,
                statement(
                    "Logs",
                    [
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    [logs, f"{logs}:*"],
                ),
                # The drift job's prediction drift reads what the endpoint serves and that
                # version's artifact (the bucket statement above).
                statement(
                    "ServedModels",
                    [
                        "sagemaker:DescribeEndpoint",
                        "sagemaker:DescribeEndpointConfig",
                        "sagemaker:DescribeModel",
                    ],
                    [self.arns.own("endpoint"), self.arns.own("endpoint-config"), self.arns.own("model")],
                ),
                statement(
                    "Metrics",
                    ["cloudwatch:PutMetricData"],
                    ["*"],  # PutMetricData has no resource-level permissions; the namespace is pinned.
                    condition={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "mlops-kit/*"]}},
                ),
                # Jobs and endpoints in the VPC create their network interfaces in the kit's subnets.
                statement(
                    "VpcDescribe",
                    [
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeDhcpOptions",
                    ],
                    ["*"],
                ),
                statement(
                    "VpcInterfaces",
                    [
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                    ],
                    [
                        f"arn:aws:ec2:{env.region}:{env.account_id}:network-interface/*",
                        f"arn:aws:ec2:{env.region}:{env.account_id}:subnet/*",
                        f"arn:aws:ec2:{env.region}:{env.account_id}:security-group/*",
                    ],
                ),
            ],
        )
        return role

    def _pipeline(self, key: EnvironmentKey) -> IamRole:
        env = self.env
        role = self._role(
            "pipeline",
            service_trust("sagemaker.amazonaws.com", source_account=env.account_id),
            "SageMaker Pipelines of mlops-kit: runs jobs and registers model versions",
        )
        self._inline(
            role,
            "run-pipelines",
            [
                self._bucket_rw,
                key.use_statement(),
                statement(
                    "Jobs",
                    [
                        "sagemaker:CreateProcessingJob",
                        "sagemaker:DescribeProcessingJob",
                        "sagemaker:StopProcessingJob",
                        "sagemaker:CreateTrainingJob",
                        "sagemaker:DescribeTrainingJob",
                        "sagemaker:StopTrainingJob",
                        "sagemaker:AddTags",
                    ],
                    [self.arns.of("processing-job", "*"), self.arns.of("training-job", "*")],
                ),
                statement(
                    "RegisterVersions",
                    [
                        "sagemaker:CreateModelPackage",
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    [self.arns.own("model-package-group"), self.arns.own("model-package") + "/*"],
                ),
                statement(
                    "PassExecutionRole",
                    ["iam:PassRole"],
                    [self.sagemaker_execution.arn],
                    condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
            ],
        )
        return role

    def _managed_role(self, purpose: str, service: str, policies: list[str]) -> IamRole:
        role = self._role(purpose, service_trust(service), f"mlops-kit {purpose}")
        for policy in policies:
            IamRolePolicyAttachment(
                self, f"{purpose}-{policy}", role=role.name, policy_arn=f"{AWS_MANAGED}/{policy}"
            )
        return role

    def _starter(self, purpose: str, service: str, pipelines: list[str]) -> IamRole:
        role = self._role(
            purpose,
            service_trust(service, source_account=self.env.account_id),
            f"Starts mlops-kit pipelines ({purpose})",
        )
        self._inline(
            role,
            "start-pipelines",
            [statement("StartPipelines", ["sagemaker:StartPipelineExecution"], pipelines)],
        )
        return role

    def _retrain_role(self, training_pipelines: list[str]) -> IamRole:
        """EventBridge's role: start this account's training pipeline, or forward the drift alarm to
        the training account's event bus (`drift.retrain_account_id`)."""
        env = self.env
        forward_to = env.drift.retrain_account_id
        if not forward_to or forward_to == env.account_id:
            return self._starter("retrain", "events.amazonaws.com", training_pipelines)
        role = self._role(
            "retrain",
            service_trust("events.amazonaws.com", source_account=env.account_id),
            "Forwards drift alarms to the training account's event bus",
        )
        bus = f"arn:aws:events:{env.region}:{forward_to}:event-bus/default"
        self._inline(
            role, "forward-drift-alarms", [statement("ForwardDriftAlarms", ["events:PutEvents"], [bus])]
        )
        return role

    def _reviewer(self, key: EnvironmentKey, registry: Registry, principals: list[str]) -> IamRole:
        """The next environment's view of this one, read-only: its promotion role reads the
        candidate here (registry, artifact, drift baseline and reports, model card) and its
        approvers read the version they approve (`kit approve`). Nothing here can change."""
        from stacks.audit_log import principal_arn_patterns

        patterns = principal_arn_patterns(principals)
        accounts = sorted({p.split(":")[4] for p in patterns})
        trust = document(
            [
                {
                    "Sid": "NextEnvironmentPromotionAndApprovers",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                    "Action": "sts:AssumeRole",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": patterns}},
                }
            ]
        )
        role = self._role(
            "reviewer", trust, "Assumed by the next environment's promotion role and approvers: reads only"
        )
        skip_check(
            role,
            "CKV_AWS_61",
            "the trust names account roots only together with an ArnLike aws:PrincipalArn condition "
            "listing the next environment's promotion role and approvers: that role does not exist yet "
            "when this environment deploys first (IAM refuses a principal that does not exist), and "
            "approver patterns such as user/* cannot be principals",
        )
        self._inline(
            role,
            "review",
            [
                statement(
                    "ReadRegistry",
                    [
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListTags",
                    ],
                    [self.arns.own("model-package-group"), self.arns.own("model-package") + "/*"],
                ),
                statement(
                    "ReadArtifacts",
                    ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"],
                    [registry.artifacts.bucket.arn, f"{registry.artifacts.bucket.arn}/*"],
                ),
                statement("DecryptArtifacts", ["kms:Decrypt", "kms:DescribeKey"], [key.key.arn]),
                # The next environment's model card gate reads the version's card.
                statement("ReadModelCards", ["sagemaker:DescribeModelCard"], [self.arns.own("model-card")]),
                statement(
                    "FindModelCards", ["sagemaker:ListModelCards"], ["*"]
                ),  # no resource-level permissions
            ],
        )
        return role

    def _promotion(
        self, key: EnvironmentKey, registry: Registry, state: PromotionState, release_role_arn: str | None
    ) -> IamRole:
        env = self.env
        # The GitHub release role (stacks/github_actions.py) promotes from the release workflow.
        trusted = [
            *env.identity.promotion_trusted_principals,
            *([release_role_arn] if release_role_arn else []),
        ]
        role = self._role(
            "promotion",
            principal_trust(trusted),
            "Assumed by kit promote / approve / rollback to change this environment",
        )
        endpoints = [self.arns.of("endpoint", self.names.endpoint(m)) for m in env.models]
        bucket = registry.artifacts.bucket.arn
        self._inline(
            role,
            "promote",
            [
                # Copies of artifacts and drift baselines (models/...), the default drift baselines
                # (drift-baselines/..., a copy within the bucket: get + put), the drift reports.
                self._bucket_rw,
                # A copy that fails its sha256 check is deleted; only copies live under models/.
                statement("DeleteUnverifiedCopies", ["s3:DeleteObject"], [f"{bucket}/models/*"]),
                key.use_statement(),
                statement(
                    "Registry",
                    [
                        "sagemaker:CreateModelPackage",
                        "sagemaker:UpdateModelPackage",
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:AddTags",
                        "sagemaker:ListTags",
                    ],
                    [self.arns.own("model-package-group"), self.arns.own("model-package") + "/*"],
                ),
                statement(
                    "Rollout",
                    [
                        "sagemaker:CreateModel",
                        "sagemaker:DescribeModel",
                        "sagemaker:DeleteModel",
                        "sagemaker:CreateEndpointConfig",
                        "sagemaker:DescribeEndpointConfig",
                        "sagemaker:DeleteEndpointConfig",
                        "sagemaker:UpdateEndpoint",
                        "sagemaker:DescribeEndpoint",
                        "sagemaker:AddTags",
                        "sagemaker:ListTags",
                    ],
                    [self.arns.own("model"), self.arns.own("endpoint-config"), *endpoints],
                ),
                statement(
                    "PassExecutionRole",
                    ["iam:PassRole"],
                    [self.sagemaker_execution.arn],
                    condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                statement(
                    "PromotionLock",
                    [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:Query",
                    ],
                    [state.lock_table.arn],
                ),
                # The audit log (stacks/audit_log.py): append and read records; its bucket policy
                # denies every removal, whatever an identity policy grants.
                statement(
                    "AuditRecords",
                    ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                    [f"arn:aws:s3:::{self.names.audit_bucket}/records/*"],
                ),
                statement(
                    "ListAuditRecords",
                    ["s3:ListBucket", "s3:ListBucketVersions"],
                    [f"arn:aws:s3:::{self.names.audit_bucket}"],
                ),
                # Granted on the account's alarms as a whole (`alarm:*`): a request listing several
                # alarm names is not scoped to one of them. It reads alarm states, nothing else.
                statement(
                    "RolloutAlarms",
                    ["cloudwatch:DescribeAlarms"],
                    [f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:*"],
                ),
                # A rollout's verification and `kit endpoint invoke` send requests to the endpoints.
                statement("InvokeEndpoints", ["sagemaker:InvokeEndpoint"], endpoints),
                # The environment promoted from is read through its reviewer role (read-only).
                *(
                    [statement("ReadTheSource", ["sts:AssumeRole"], [self.source_reviewer_arn])]
                    if self.source_reviewer_arn
                    else []
                ),
                # A canary's analysis reads the endpoint's invocation metrics (no resource-level
                # permissions: CloudWatch metrics are not resources in IAM).
                statement(
                    "CanaryAnalysisMetrics",
                    ["cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricData"],
                    ["*"],
                ),
                # `kit drift run --env` publishes the check's metrics, as the scheduled job does.
                statement(
                    "DriftCheckMetrics",
                    ["cloudwatch:PutMetricData"],
                    ["*"],  # PutMetricData has no resource-level permissions; the namespace is pinned.
                    condition={"StringEquals": {"cloudwatch:namespace": DRIFT_NAMESPACE}},
                ),
                # `kit models card` writes a version's card here; the next environment's promotion
                # reads it (its model card gate) through this role.
                statement(
                    "ModelCards",
                    [
                        "sagemaker:CreateModelCard",
                        "sagemaker:UpdateModelCard",
                        "sagemaker:DescribeModelCard",
                    ],
                    [self.arns.own("model-card")],
                ),
                # ListModelCards has no resource-level permissions.
                statement("FindModelCards", ["sagemaker:ListModelCards"], ["*"]),
            ],
        )
        return role
