"""GitHub Actions identities of one environment (OIDC, no long-lived keys), from `identity.github`.

- The account's GitHub OIDC provider. IAM allows one provider per URL per account and environments
  may share an account, so the first environment of each account on the path dev -> staging -> prod
  creates it; the others name its deterministic ARN.
- github-plan: read-only, for `kit stack diff` on pull requests of the repository: reads the state,
  writes only the state's lock file, and reads the configuration of the stack's resources.
- github-release (every environment after dev): assumed by the repository's workflows running in the
  GitHub environment of the same name (behind its required reviewers); it may only assume this
  environment's promotion role, which trusts it.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from mlops_kit.config import ENVIRONMENT_ORDER, Environment, ResourceNames
from mlops_kit.config.github_identity import GitHubIdentity
from stacks.policy import Statement, document, statement

TOKEN_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"

# What `terraform plan` refreshes: the configuration of every resource type in the stacks. Read-only
# by name (Describe/List/Get of configuration); none of these returns data stored in a resource
# (no s3:GetObject, dynamodb:GetItem/Query, logs:GetLogEvents, ecr:GetDownloadUrlForLayer).
# These have no resource-level permissions in IAM, so only "*" grants them.
PLAN_READ_ANY = (
    "sts:GetCallerIdentity",
    "ec2:Describe*",
    "eks:ListClusters",
    "kms:ListAliases",
    "logs:DescribeLogGroups",
    "sagemaker:List*",
    "application-autoscaling:Describe*",
)
# These are granted on the environment's account (and its buckets) only.
PLAN_READ_OWN = (
    "eks:Describe*",
    "eks:ListNodegroups",
    "eks:ListAccessEntries",
    "eks:ListAddons",
    "eks:ListTagsForResource",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetOpenIDConnectProvider",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRoleTags",
    "iam:ListOpenIDConnectProviderTags",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetMetricsConfiguration",
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "sagemaker:Describe*",
    "sagemaker:GetModelPackageGroupPolicy",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "events:Describe*",
    "events:List*",
    "scheduler:GetSchedule",
    "scheduler:ListTagsForResource",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "application-autoscaling:ListTagsForResource",
)
REGIONAL_SERVICES = (
    "eks",
    "kms",
    "ecr",
    "sagemaker",
    "dynamodb",
    "logs",
    "events",
    "scheduler",
    "cloudwatch",
)


def oidc_provider_arn(account_id: str) -> str:
    """The ARN of an account's GitHub OIDC provider (IAM derives it from the URL)."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{TOKEN_ISSUER}"


def creates_oidc_provider(env: Environment, environments: dict[str, Environment]) -> bool:
    """Whether `env`'s stack creates its account's provider: it is the first environment of that
    account, in path order, that declares GitHub identities."""
    for name in ENVIRONMENT_ORDER:
        other = environments.get(name)
        if other and other.account_id == env.account_id and other.identity.github is not None:
            return other.name == env.name
    return False


def oidc_trust(provider_arn: str, subject: str) -> str:
    """A trust policy admitting GitHub's OIDC tokens for exactly one `sub`, audience STS."""
    return document(
        [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{TOKEN_ISSUER}:aud": AUDIENCE, f"{TOKEN_ISSUER}:sub": subject}
                },
            }
        ]
    )


class GitHubActions(Construct):
    """The OIDC provider (when this stack owns it), the plan role and, after dev, the release role."""

    def __init__(
        self, scope: Construct, id_: str, *, env: Environment, github: GitHubIdentity, creates_provider: bool
    ) -> None:
        super().__init__(scope, id_)
        self.env = env
        self.names = ResourceNames(env)
        if creates_provider:
            self.provider_arn = IamOpenidConnectProvider(
                self, "oidc-provider", url=f"https://{TOKEN_ISSUER}", client_id_list=[AUDIENCE]
            ).arn
        else:
            self.provider_arn = oidc_provider_arn(env.account_id)
        repo = github.repository
        self.plan = self._role("github-plan", f"repo:{repo}:pull_request", "Plans the stack on pull requests")
        self._plan_permissions()
        self.release: IamRole | None = None
        if ENVIRONMENT_ORDER.index(env.name) > 0:
            self.release = self._role(
                "github-release",
                f"repo:{repo}:environment:{env.name}",
                f"Release workflows in the GitHub environment {env.name}: assumes the promotion role",
            )
            promotion = self.names.promotion_role_arn
            self._inline(
                self.release,
                "assume-promotion-role",
                [statement("AssumePromotionRole", ["sts:AssumeRole", "sts:TagSession"], [promotion])],
            )

    def _role(self, purpose: str, subject: str, description: str) -> IamRole:
        return IamRole(
            self,
            purpose,
            name=self.names.role(purpose),
            assume_role_policy=oidc_trust(self.provider_arn, subject),
            description=description,
            max_session_duration=3600,
        )

    def _inline(self, role: IamRole, name: str, statements: list[Statement]) -> IamRolePolicy:
        return IamRolePolicy(
            self, f"{role.node.id}-{name}", role=role.id, name=name, policy=document(statements)
        )

    def _plan_permissions(self) -> None:
        env = self.env
        own = [
            *(f"arn:aws:iam::{env.account_id}:{kind}/*" for kind in ("role", "policy", "oidc-provider")),
            # Bucket names carry no account: the kit's names start with the environment's base.
            f"arn:aws:s3:::{self.names.base}-*",
            *(f"arn:aws:{service}:{env.region}:{env.account_id}:*" for service in REGIONAL_SERVICES),
            f"arn:aws:application-autoscaling:{env.region}:{env.account_id}:*",
        ]
        statements = [
            statement("ReadWithoutResourceLevel", PLAN_READ_ANY, ["*"]),
            statement("ReadStackConfiguration", PLAN_READ_OWN, own),
        ]
        state = self.env.state
        if state is not None:
            bucket = f"arn:aws:s3:::{state.bucket}"
            key = f"{state.key_prefix}/{self.env.name}/terraform.tfstate"
            statements += [
                statement(
                    "ListState",
                    ["s3:ListBucket"],
                    [bucket],
                    # `terraform init` lists the workspaces (env:/...) besides this state's prefix.
                    condition={
                        "StringLike": {"s3:prefix": [f"{state.key_prefix}/{self.env.name}/*", "env:/*"]}
                    },
                ),
                statement("ReadState", ["s3:GetObject"], [f"{bucket}/{key}"]),
                # Terraform's S3 lock (use_lockfile) is an object beside the state, written and deleted.
                statement(
                    "LockState",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [f"{bucket}/{key}.tflock"],
                ),
            ]
        self._inline(self.plan, "plan-read-only", statements)
