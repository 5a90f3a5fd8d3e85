"""`kit train --on eks`: a distributed training job on the environment's GPU pool."""

from __future__ import annotations

import typer
import yaml


class PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def train(
    env: str = typer.Option(..., "--env", help="dev, staging or prod"),
    on: str = typer.Option(..., "--on", help="Where to train: eks (the environment's training cluster)."),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's first)."),
    gpus: int = typer.Option(1, "--gpus", help="GPUs per node (at most the pool's instance type has)."),
    nodes: int = typer.Option(1, "--nodes", help="Nodes, one worker each (at most the pool's max_size)."),
    pool: str | None = typer.Option(None, "--pool", help="GPU node pool (default: the first configured)."),
    image: str | None = typer.Option(
        None, "--image", help="Training image (default: the training ECR repository)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the manifests; create nothing."),
) -> None:
    """Render (and with --dry-run print) the job's manifests after checking them against the pool."""
    from mlops_kit.clock import now
    from mlops_kit.cluster.training_job import job_manifests, plan_training_job
    from mlops_kit.config import load_environment
    from mlops_kit.errors import BadInput, OperationFailed

    if on != "eks":
        raise BadInput(
            f"{on}: only eks is supported (SageMaker training runs as `kit pipeline run`)", argument="on"
        )
    environment = load_environment(env)
    job = plan_training_job(
        environment,
        run_id=now().strftime("%Y%m%d-%H%M%S"),
        model=model,
        pool=pool,
        gpus=gpus,
        nodes=nodes,
        image=image,
    )
    manifests = job_manifests(job)
    if dry_run:
        # Plain stdout, no wrapping, for `| kubectl apply -f -`; no YAML anchors for shared labels.
        typer.echo(yaml.dump_all(manifests, Dumper=PlainDumper, sort_keys=False), nl=False)
        return
    raise OperationFailed(
        "submitting to the cluster is not built yet: use --dry-run and `kubectl apply -f -`",
        hint=f"job {job.name} in namespace {job.namespace}",
    )
