"""`kit local train`: the EKS training job of `kit train --on eks`, its workers run as local
processes, then evaluated, gated and registered in the emulator like a pipeline run."""

from __future__ import annotations

import typer

from cli.output import console, print_json


def train(
    env: str = typer.Option(..., "--env", help="dev, staging or prod"),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's first)."),
    nodes: int = typer.Option(2, "--nodes", help="Workers (nodes of the pool), one process each."),
    gpus: int = typer.Option(1, "--gpus", help="GPUs per node (checked against the pool, unused locally)."),
    pool: str | None = typer.Option(None, "--pool", help="GPU node pool (default: the first configured)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run the job's workers locally and register the model version (PendingManualApproval)."""
    import subprocess
    import tempfile
    from pathlib import Path

    import pipelines.scripts
    from local_aws.eks.local_training import train_and_register_locally
    from mlops_kit.aws import clients_for
    from mlops_kit.clock import now
    from mlops_kit.cluster.training_job import plan_training_job
    from mlops_kit.config import load_environment

    environment = load_environment(env)
    job = plan_training_job(
        environment, run_id=now().strftime("%Y%m%d-%H%M%S"), model=model, pool=pool, gpus=gpus, nodes=nodes
    )
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout
    with tempfile.TemporaryDirectory(prefix="kit-local-train-") as work:
        version = train_and_register_locally(
            clients_for(environment),
            job,
            scripts_dir=Path(pipelines.scripts.__file__).parent,
            work_dir=Path(work),
            git_commit=commit.strip() or "unknown",
        )
    if as_json:
        print_json(version.as_dict())
    else:
        console.print(f"registered {version.model} {version.label} in {env}: {version.arn}", highlight=False)
