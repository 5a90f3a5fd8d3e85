"""What an organisation's account vending creates before the kit's first deploy, done in the emulator.

In AWS, the kit finds in each environment's account a deploy role (CDK-bootstrap style, trusted by
the operator's account) and the people's roles that the environment files name (ML engineers,
approvers; in practice IAM Identity Center permission sets). The stacks create neither. With IAM
evaluated, the emulator must hold them too, or nobody could deploy or promote; `bootstrap_accounts`
creates them, and `write_profiles` writes the standard AWS config files that let the CLI, boto3 and
Terraform act as each of them (assume-role profiles; no keys in the environment).

Identities (`kit local env` prints the exports):
- `mlkit-platform`: the root of the operator account (123456789012, moto's default), standing in
  for the platform team's administrator. Terraform deploys as it, assuming each account's deploy role.
- `mlkit-engineer`: the ML engineers' role of dev (the first engineers' role the files name): what
  `kit` commands run as by default.
- one profile per people's role, named after the role (e.g. `mlkit-ml-engineers`,
  `mlkit-prod-approver`): assumed from the operator account, as an identity provider's session would be.
- `mlkit-release-<env>` for every environment after dev with `identity.github`: the release
  workflow's identity. Its role (stacks/github_actions.py) trusts only GitHub's OIDC tokens for the
  repository's GitHub environment of that name; the profile hands botocore such a token
  (`web_identity_token_file`), signed with the emulator's test key as GitHub would sign it, valid
  for `TOKEN_HOURS`. Prod is promoted as `mlkit-release-prod`, as `promote.yml` promotes it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_kit.config import ENVIRONMENT_ORDER, Environment, ResourceNames

OPERATOR_ACCOUNT = "123456789012"
OPERATOR_ROOT = f"arn:aws:iam::{OPERATOR_ACCOUNT}:root"
PLATFORM_PROFILE = "mlkit-platform"
ENGINEER_PROFILE = "mlkit-engineer"  # the ML engineers' profile: dev's engineers role
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TOKEN_HOURS = 24
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_ROLE = re.compile(r"^arn:aws:(?:iam|sts)::(\d{12}):(?:role|assumed-role)/([\w+=,.@-]+)")


@dataclass
class PersonRole:
    """A people's role the environment files name, and what it is for."""

    account: str
    name: str
    kinds: set[str] = field(default_factory=set)  # "engineer", "approver"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.name}"


def people_roles(environments: Mapping[str, Environment]) -> list[PersonRole]:
    """The roles named by the environment files that no stack creates: engineers (trusted by the
    promotion roles, tracking, cluster submitters) and approvers (`approvals.rules`)."""
    kit_roles = {ResourceNames(env).promotion_role_arn for env in environments.values()}
    found: dict[tuple[str, str], PersonRole] = {}

    def add(principals: Iterable[str], kind: str) -> None:
        for principal in principals:
            match = _ROLE.match(principal)
            if match is None:
                continue  # users, account roots: nothing to create
            account, name = match.groups()
            if f"arn:aws:iam::{account}:role/{name}" in kit_roles or "github" in name:
                continue  # declared by the stacks
            found.setdefault((account, name), PersonRole(account, name)).kinds.add(kind)

    for env in environments.values():
        add(env.identity.promotion_trusted_principals, "engineer")
        add(env.training.tracking.engineer_principals if env.training.tracking else [], "engineer")
        add(env.training_cluster.submitter_principals, "engineer")
        add((p for rule in env.approvals.rules for p in rule.principals), "approver")
    return list(found.values())


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _trusts_operator() -> str:
    return _document(
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OPERATOR_ROOT},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    )


def _engineer_statements(account: str) -> list[dict[str, Any]]:
    # PowerUserAccess leaves IAM out; engineers still pass the kit's roles to SageMaker and read IAM.
    return [
        {
            "Sid": "PassTheKitRolesToSageMaker",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{account}:role/*",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
        {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    ]


def _approver_statements(account: str) -> list[dict[str, Any]]:
    # ReadOnlyAccess, plus writing approval records (the audit bucket's policy decides where) with
    # the account's KMS keys, and assuming roles whose trust admits approvers.
    return [
        {
            "Sid": "WriteApprovalRecords",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::*/records/*",
        },
        {
            "Sid": "EncryptRecords",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
            "Resource": f"arn:aws:kms:*:{account}:key/*",
        },
        {"Sid": "AssumeTrustingRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ]


def root_client(endpoint_url: str, account: str, service: str, region: str = "us-east-1") -> Any:
    """A client acting as `account`'s root in the emulator (its access key is the account id)."""
    import boto3

    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="testing",
    )


def _ensure_role(iam: Any, name: str, description: str) -> None:
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trusts_operator(), Description=description)


def bootstrap_accounts(endpoint_url: str, environments: Mapping[str, Environment]) -> list[str]:
    """Create (idempotently) each environment account's deploy role and the people's roles; returns
    the ARNs created or confirmed."""
    made: list[str] = []
    for env in environments.values():
        iam = root_client(endpoint_url, env.account_id, "iam", env.region)
        name = env.identity.deploy_role_name
        _ensure_role(iam, name, "mlops-kit deploy role (account vending): Terraform deploys as it")
        iam.attach_role_policy(RoleName=name, PolicyArn=ADMINISTRATOR)
        made.append(ResourceNames(env).deploy_role_arn)
    for role in people_roles(environments):
        iam = root_client(endpoint_url, role.account, "iam")
        _ensure_role(
            iam,
            role.name,
            f"people's role ({', '.join(sorted(role.kinds))}), as an identity provider grants it",
        )
        statements: list[dict[str, Any]] = []
        if "engineer" in role.kinds:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=POWER_USER)
            statements += _engineer_statements(role.account)
        if "approver" in role.kinds:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=READ_ONLY)
            statements += _approver_statements(role.account)
        iam.put_role_policy(
            RoleName=role.name, PolicyName="mlkit-local-people", PolicyDocument=_document(statements)
        )
        made.append(role.arn)
    return made


def github_token(repository: str, environment: str) -> str:
    """The OIDC token GitHub gives a workflow job of `repository` running in the GitHub environment
    `environment`, as the emulator accepts it (local_aws.iam.web_identity)."""
    import time

    from local_aws.iam.web_identity import sign_token

    now = int(time.time())
    return sign_token(
        {
            "iss": GITHUB_ISSUER,
            "sub": f"repo:{repository}:environment:{environment}",
            "aud": "sts.amazonaws.com",
            "repository": repository,
            "environment": environment,
            "iat": now,
            "exp": now + TOKEN_HOURS * 3600,
        }
    )


@dataclass(frozen=True)
class Profiles:
    config_file: Path
    credentials_file: Path
    names: tuple[str, ...]


def write_profiles(
    folder: Path, environments: Mapping[str, Environment], region: str = "us-east-1"
) -> Profiles:
    """The AWS config and credentials files of local mode: `mlkit-platform` (the operator's
    root) and an assume-role profile per people's role."""
    folder.mkdir(parents=True, exist_ok=True)
    credentials = folder / "credentials"
    credentials.write_text(
        f"# Local mode only: the emulator's operator account root ({OPERATOR_ACCOUNT}).\n"
        "# These keys reach nothing but the emulator on 127.0.0.1.\n"
        f"[{PLATFORM_PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    lines = [
        "# Written by `kit local up`: the identities of local mode (README: Identities).",
        f"[profile {PLATFORM_PROFILE}]",
        f"region = {region}",
        "",
    ]
    names = [PLATFORM_PROFILE]
    roles = people_roles(environments)
    engineer = next((r for r in roles if "engineer" in r.kinds), None)
    aliases = [(ENGINEER_PROFILE, engineer)] if engineer is not None else []
    for name, role in [*aliases, *((r.name, r) for r in roles)]:
        names.append(name)
        lines += [
            f"[profile {name}]",
            f"role_arn = {role.arn}",
            f"source_profile = {PLATFORM_PROFILE}",
            f"role_session_name = {role.name}-local",
            f"region = {region}",
            "",
        ]
    for env in environments.values():
        if env.identity.github is None or ENVIRONMENT_ORDER.index(env.name) == 0:
            continue
        name = f"mlkit-release-{env.name}"
        token = folder / f"github-{env.name}.token"
        token.write_text(github_token(env.identity.github.repository, env.name))
        names.append(name)
        lines += [
            f"[profile {name}]",
            f"role_arn = arn:aws:iam::{env.account_id}:role/{ResourceNames(env).role('github-release')}",
            f"web_identity_token_file = {token}",
            f"role_session_name = {name}-local",
            f"region = {region}",
            "",
        ]
    config = folder / "config"
    config.write_text("\n".join(lines))
    return Profiles(config, credentials, tuple(names))
