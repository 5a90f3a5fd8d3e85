"""`kit cluster`: the training cluster's in-cluster add-ons."""

from __future__ import annotations

import typer

from cli.train import PlainDumper

app = typer.Typer(no_args_is_help=True)  # help: cli.main.PRODUCT_COMMANDS


@app.command("addons")
def addons(env: str = typer.Option(..., "--env", help="dev, staging or prod")) -> None:
    """Print the pinned add-on manifests (namespace, NVIDIA device plugin, cluster autoscaler) to
    pipe into `kubectl apply -f -` as the deploy role."""
    import yaml

    from mlops_kit.cluster.addon_manifests import addon_manifests
    from mlops_kit.config import load_environment

    typer.echo(
        yaml.dump_all(addon_manifests(load_environment(env)), Dumper=PlainDumper, sort_keys=False), nl=False
    )
