"""Build the cdktf app: one stack per environment file."""

from __future__ import annotations

from cdktf import App

from mlops_kit.config import Environment
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
        )
    return app
