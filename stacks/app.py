"""Build the cdktf app: one stack per environment file."""

from __future__ import annotations

from cdktf import App

from mlops_kit.config import ENVIRONMENT_ORDER, Environment, ResourceNames
from stacks.environment_stack import EnvironmentStack
from stacks.github_actions import creates_oidc_provider


def build_app(
    environments: dict[str, Environment],
    *,
    outdir: str,
    emulator: bool,
    state_dir: str,
    assume_deploy_role: bool = True,
) -> App:
    """An app holding the stack of every environment; call `.synth()` to write Terraform JSON.
    `assume_deploy_role=False`: the AWS provider acts as the caller (see EnvironmentStack)."""
    app = App(outdir=outdir, skip_validation=False)
    for name, env in environments.items():
        EnvironmentStack(
            app,
            name,
            env=env,
            emulator=emulator,
            state_dir=state_dir,
            creates_oidc_provider=creates_oidc_provider(env, environments),
            assume_deploy_role=assume_deploy_role,
            reviewer_principals=reviewers_of(name, environments),
            source_reviewer_arn=source_reviewer_of(name, environments),
        )
    return app


def source_reviewer_of(name: str, environments: dict[str, Environment]) -> str | None:
    """The reviewer role of the environment `name` is promoted from: its promotion role reads the
    candidate through it."""
    index = ENVIRONMENT_ORDER.index(name)
    source = environments.get(ENVIRONMENT_ORDER[index - 1]) if index > 0 else None
    return ResourceNames(source).reviewer_role_arn if source is not None else None


def reviewers_of(name: str, environments: dict[str, Environment]) -> list[str]:
    """Who reads `name`'s versions to take them further: the promotion role and the approvers of
    the environment promoted from it."""
    index = ENVIRONMENT_ORDER.index(name)
    following = ENVIRONMENT_ORDER[index + 1] if index + 1 < len(ENVIRONMENT_ORDER) else None
    target = environments.get(following) if following else None
    if target is None:
        return []
    return [
        ResourceNames(target).promotion_role_arn,
        *(p for rule in target.approvals.rules for p in rule.principals),
    ]
