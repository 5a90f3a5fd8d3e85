"""The environment's experiment tracker: a SageMaker managed MLflow tracking server.

Artifacts live under a prefix of the environment's artifact bucket (encrypted with its key). There is
no resource policy on a tracking server: it is reachable by whoever IAM allows its `sagemaker-mlflow:` actions
on its ARN, which here is the jobs' execution role (the pipeline's steps log to it) and, when the
environment names engineers, an `experimenters` role they assume to browse and compare runs.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sagemaker_mlflow_tracking_server import SagemakerMlflowTrackingServer
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.models import ExperimentTracking as TrackingConfig
from stacks.encryption import EnvironmentKey
from stacks.identity import Identity
from stacks.policy import Statement, document, principal_trust, service_trust, statement
from stacks.registry import Registry

# What a client of the tracking server calls (the sagemaker-mlflow plugin signs them with SigV4).
# What the MLflow client of a training run or an engineer uses: the UI, experiments, runs with their
# parameters, metrics, tags and artifacts (no deletes, no model registry).
MLFLOW_ACTIONS = [
    f"sagemaker-mlflow:{action}"
    for action in (
        "AccessUI",
        "CreateExperiment",
        "SearchExperiments",
        "GetExperiment",
        "GetExperimentByName",
        "SetExperimentTag",
        "CreateRun",
        "UpdateRun",
        "GetRun",
        "SearchRuns",
        "LogMetric",
        "LogBatch",
        "LogParam",
        "LogInputs",
        "SetTag",
        "GetMetricHistory",
        "ListArtifacts",
    )
]


class ExperimentTracking(Construct):
    """A managed MLflow tracking server and the IAM that reaches it."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        config: TrackingConfig,
        key: EnvironmentKey,
        registry: Registry,
        identity: Identity,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        bucket = registry.artifacts.bucket
        prefix = config.artifact_prefix.strip("/")
        self.arn = (
            f"arn:aws:sagemaker:{env.region}:{env.account_id}:mlflow-tracking-server/{names.tracking_server}"
        )
        server_role = IamRole(
            self,
            "server-role",
            name=names.role("mlflow-server"),
            assume_role_policy=service_trust("sagemaker.amazonaws.com", source_account=env.account_id),
            description="The SageMaker managed MLflow server: its artifact prefix only",
            max_session_duration=3600,
        )
        self._inline(
            server_role,
            "artifact-store",
            [
                statement(
                    "ArtifactPrefixReadWrite",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [f"{bucket.arn}/{prefix}/*"],
                ),
                statement(
                    "ArtifactPrefixList",
                    ["s3:ListBucket", "s3:GetBucketLocation"],
                    [bucket.arn],
                    condition={"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}},
                ),
                key.use_statement(),
            ],
        )
        self.server = SagemakerMlflowTrackingServer(
            self,
            "server",
            tracking_server_name=names.tracking_server,
            artifact_store_uri=f"s3://{bucket.bucket}/{prefix}",
            role_arn=server_role.arn,
            tracking_server_size=config.size,
            automatic_model_registration=False,
        )
        self._inline(identity.sagemaker_execution, "experiment-tracking", [self._use("JobsLogRuns")])
        self.experimenters: IamRole | None = None
        if config.engineer_principals:
            self.experimenters = IamRole(
                self,
                "experimenters",
                name=names.role("experimenters"),
                assume_role_policy=principal_trust(config.engineer_principals),
                description="Engineers browse and compare the environment's MLflow runs",
                max_session_duration=3600,
            )
            self._inline(
                self.experimenters,
                "experiment-tracking",
                [
                    self._use("ReadAndLogRuns"),
                    statement(
                        "OpenTheUi",
                        [
                            "sagemaker:CreatePresignedMlflowTrackingServerUrl",
                            "sagemaker:DescribeMlflowTrackingServer",
                        ],
                        [self.arn],
                    ),
                ],
            )

    def _use(self, sid: str) -> Statement:
        return statement(sid, MLFLOW_ACTIONS, [self.arn])

    def _inline(self, role: IamRole, name: str, statements: list[Statement]) -> None:
        IamRolePolicy(self, f"{role.node.id}-{name}", role=role.id, name=name, policy=document(statements))
