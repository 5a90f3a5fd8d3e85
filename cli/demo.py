"""`kit demo`: the whole lifecycle locally, on the emulator."""

from __future__ import annotations

import os
import time

import typer

from cli.output import console, table

PORT_OPTION = typer.Option(
    int(os.environ.get("KIT_EMULATOR_PORT", "4580")),
    "--port",
    help="Emulator port on 127.0.0.1 (KIT_EMULATOR_PORT).",
)


def demo(port: int = PORT_OPTION) -> None:
    """Start a fresh emulator and deploy dev, staging and prod into it with `cdktf deploy`."""
    from mlops_kit.config import ResourceNames, load_all_environments
    from mlops_kit.emulator import local_aws_environment, start_emulator
    from mlops_kit.emulator.server import reset_emulator, state_dir
    from mlops_kit.stack_deploy import deploy_stacks

    envs = load_all_environments()
    started = time.perf_counter()
    console.rule("1. emulator and platform")
    status = start_emulator(port)
    # A second run starts from a clean slate: forget emulated resources and their local state.
    reset_emulator(port)
    tf_state = state_dir() / "terraform-state"
    for old in tf_state.glob("*.tfstate*"):
        old.unlink()
    console.print(f"emulator healthy on {status.endpoint_url}", highlight=False)
    result = deploy_stacks(
        list(envs),
        aws_env=local_aws_environment(port),
        state_dir=state_dir(),
        progress=lambda message: console.print(f"  {message}", highlight=False),
    )
    rows = []
    for name, env in envs.items():
        names = ResourceNames(env)
        rows.append(
            [
                name,
                env.account_id,
                names.artifact_bucket,
                names.eks_cluster,
                ", ".join(names.endpoint(m) for m in env.models),
            ]
        )
    console.print(
        table(
            "Deployed into the emulator",
            ["env", "account", "artifact bucket", "EKS cluster", "endpoints"],
            rows,
        )
    )
    console.print(f"deploy log: {result.log_file}", highlight=False)
    console.print(
        f"done in {time.perf_counter() - started:.0f} s. Explore with: kit env show dev; "
        f'eval "$(kit local env --port {port})"',
        highlight=False,
    )
