"""Build the cdktf app: one stack per environment file."""

from __future__ import annotations

from cdktf import App

from mlops_kit.config import Environment
from stacks.environment_stack import EnvironmentStack


def build_app(environments: dict[str, Environment], *, outdir: str, emulator: bool, state_dir: str) -> App:
    """An app holding the stack of every environment; call `.synth()` to write Terraform JSON."""
    app = App(outdir=outdir, skip_validation=False)
    for name, env in environments.items():
        EnvironmentStack(app, name, env=env, emulator=emulator, state_dir=state_dir)
    return app
