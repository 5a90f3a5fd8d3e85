"""One Terraform stack per environment, composed from the constructs of this package."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.alerts import AlertTopic
from stacks.audit_log import AuditLog
from stacks.cluster_access import ClusterAccess
from stacks.cluster_addons import ClusterAddons
from stacks.dashboards import EndpointDashboards
from stacks.encryption import EnvironmentKey
from stacks.experiment_tracking import ExperimentTracking
from stacks.github_actions import GitHubActions
from stacks.identity import Identity
from stacks.monitoring import DriftMonitoring, RetrainEventBus, other_retrain_accounts
from stacks.network import Network
from stacks.promotion_state import PromotionState
from stacks.quality_monitoring import QualityMonitoring
from stacks.registry import Registry
from stacks.serving import Serving
from stacks.training_cluster import TrainingCluster


class EnvironmentStack(TerraformStack):
    """The whole platform of one environment.

    `emulator` is true when deploying into the local emulator (`AWS_ENDPOINT_URL` set): the provider
    then skips credential and account look-ups and retries little, and state is kept locally.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        emulator: bool,
        state_dir: str,
        creates_oidc_provider: bool = True,
        assume_deploy_role: bool = True,
        reviewer_principals: list[str] | None = None,
        source_reviewer_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        self._provider(env, emulator, assume_deploy_role)
        if emulator or env.state is None:
            LocalBackend(self, path=f"{state_dir}/{env.name}.tfstate")
        else:
            S3Backend(
                self,
                bucket=env.state.bucket,
                key=f"{env.state.key_prefix}/{env.name}/terraform.tfstate",
                region=env.state.region or env.region,
                encrypt=True,
            )
            # Terraform >= 1.10 locks S3 state with a lock object; cdktf 0.21 predates the option.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        key = EnvironmentKey(self, "encryption", env=env)
        network = Network(self, "network", env=env, key=key)
        registry = Registry(self, "registry", env=env, key=key)
        promotion_state = PromotionState(self, "promotion-state", env=env, key=key)
        AuditLog(self, "audit-log", env=env, key=key, registry=registry)
        github = None
        if env.identity.github is not None:
            github = GitHubActions(
                self,
                "github-actions",
                env=env,
                github=env.identity.github,
                creates_provider=creates_oidc_provider,
            )
        identity = Identity(
            self,
            "identity",
            env=env,
            key=key,
            registry=registry,
            promotion_state=promotion_state,
            release_role_arn=github.release.arn if github and github.release else None,
            reviewer_principals=reviewer_principals or [],
            source_reviewer_arn=source_reviewer_arn,
        )
        if env.training.tracking is not None:
            ExperimentTracking(
                self,
                "experiment-tracking",
                env=env,
                config=env.training.tracking,
                key=key,
                registry=registry,
                identity=identity,
            )
        cluster = TrainingCluster(
            self, "training-cluster", env=env, key=key, network=network, identity=identity
        )
        access = ClusterAccess(self, "cluster-access", env=env, cluster=cluster.cluster)
        addons = ClusterAddons(
            self,
            "cluster-addons",
            env=env,
            cluster=cluster.cluster,
            key=key,
            artifact_bucket_arn=registry.artifacts.bucket.arn,
        )
        alerts = AlertTopic(self, "alerts", env=env, alerts=env.alerts, key=key)
        Serving(
            self,
            "serving",
            env=env,
            key=key,
            network=network,
            identity=identity,
            registry=registry,
            alert_topic_arn=alerts.arn,
        )
        monitoring = DriftMonitoring(
            self,
            "monitoring",
            env=env,
            key=key,
            identity=identity,
            network=network,
            registry=registry,
            alert_topic_arn=alerts.arn,
        )
        QualityMonitoring(
            self,
            "quality",
            env=env,
            key=key,
            identity=identity,
            registry=registry,
            platform=monitoring.platform,
        )
        EndpointDashboards(self, "dashboards", env=env)
        if other_retrain_accounts(env):
            RetrainEventBus(self, "retrain-event-bus", env=env)

        TerraformOutput(self, "artifact_bucket", value=registry.artifacts.bucket.bucket)
        TerraformOutput(self, "kms_key_arn", value=key.key.arn)
        TerraformOutput(self, "alerts_topic_arn", value=alerts.arn)
        TerraformOutput(self, "sagemaker_execution_role_arn", value=identity.sagemaker_execution.arn)
        TerraformOutput(self, "pipeline_role_arn", value=identity.pipeline.arn)
        TerraformOutput(self, "promotion_role_arn", value=identity.promotion.arn)
        TerraformOutput(self, "subnet_ids", value=network.subnet_ids)
        TerraformOutput(self, "security_group_id", value=network.workload_security_group.id)
        TerraformOutput(self, "eks_cluster", value=names.eks_cluster)
        TerraformOutput(self, "training_submitter_role_arn", value=access.submitter.arn)
        TerraformOutput(self, "training_pod_role_arn", value=addons.training_pods.arn)
        if github is not None:
            # The repository variables of the workflows (README: CI/CD). Every stack declares the same
            # outputs ("" where an environment has no release role): the cdktf CLI fails rendering a
            # deploy of several stacks whose outputs differ.
            TerraformOutput(self, "github_plan_role_arn", value=github.plan.arn)
            TerraformOutput(
                self,
                "github_release_role_arn",
                value=github.release.arn if github.release is not None else "",
            )

    def _provider(self, env: Environment, emulator: bool, assume_deploy_role: bool) -> None:
        # Without the deploy role the provider acts as the caller: the read-only plan role of a pull
        # request (`kit stack diff`), or a workflow that assumed the deploy role itself (OIDC).
        assume_role = [
            AwsProviderAssumeRole(
                role_arn=ResourceNames(env).deploy_role_arn, session_name=f"mlops-kit-deploy-{env.name}"
            )
        ]
        common = {
            "region": env.region,
            "allowed_account_ids": [env.account_id],
            "default_tags": [
                AwsProviderDefaultTags(
                    tags={"mlops-kit:environment": env.name, "managed-by": "mlops-kit", **env.tags}
                )
            ],
            # The emulator keeps the deploy role: assuming it is how the provider reaches the
            # environment's emulated account.
            **({"assume_role": assume_role} if assume_deploy_role or emulator else {}),
        }
        if emulator:
            # The endpoint itself comes from AWS_ENDPOINT_URL, which the provider honours; only the
            # look-ups an emulator cannot answer are switched off, and retries kept short so an
            # unimplemented call fails in seconds instead of retrying for minutes (3, not 1: a loaded
            # machine occasionally drops a loopback connection).
            AwsProvider(
                self,
                "aws",
                skip_credentials_validation=True,
                skip_metadata_api_check="true",
                skip_requesting_account_id=False,
                s3_use_path_style=True,
                max_retries=3,
                **common,  # type: ignore[arg-type]
            )
        else:
            AwsProvider(self, "aws", **common)  # type: ignore[arg-type]
