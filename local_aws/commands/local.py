"""`kit local`: the local AWS emulator (moto server on 127.0.0.1)."""

from __future__ import annotations

import os

import typer

from cli.output import console, print_json
from local_aws.commands import require_local_extra
from local_aws.commands.local_train import train

app = typer.Typer(no_args_is_help=True)  # help: local_aws.commands.COMMANDS
app.command("train")(train)


@app.callback()
def _needs_the_extra() -> None:
    require_local_extra()


PORT_OPTION = typer.Option(
    int(os.environ.get("KIT_EMULATOR_PORT", "4580")), "--port", help="Port on 127.0.0.1 (KIT_EMULATOR_PORT)."
)


@app.command("up")
def up(
    port: int = PORT_OPTION,
    reset: bool = typer.Option(False, "--reset", help="Forget every emulated resource if already running."),
    iam: bool = typer.Option(
        True, "--iam/--no-iam", help="Evaluate IAM on every request as AWS does (--no-iam: debugging only)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start the emulator (or reuse the running one), wait until it is healthy, and create the
    identities of local mode (deploy roles, people's roles, AWS profiles)."""
    from local_aws.server import start_emulator
    from local_aws.tracking_server import start_tracking_server

    status = start_emulator(port, reset=reset, iam=iam)
    tracking = start_tracking_server(port)
    if as_json:
        print_json({**status.as_dict(), "tracking": tracking.as_dict()})
        return
    console.print(
        f"emulator healthy on {status.endpoint_url} (pid {status.pid}, log {status.log_file}); "
        f"IAM evaluation {'on' if status.iam else 'OFF (debugging only)'}",
        highlight=False,
    )
    console.print(f"MLflow tracking server on {tracking.tracking_uri} (pid {tracking.pid})", highlight=False)
    console.print(f'use it with: eval "$(kit local env --port {port})"', highlight=False)


@app.command("down")
def down(port: int = PORT_OPTION) -> None:
    """Stop the emulator."""
    from local_aws.server import stop_emulator
    from local_aws.tracking_server import stop_tracking_server

    stop_tracking_server(port)
    stopped = stop_emulator(port)
    console.print(f"emulator on port {port} {'stopped' if stopped else 'was not running'}", highlight=False)


@app.command("status")
def status(
    port: int = PORT_OPTION, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Whether the emulator runs and answers its health check (exit 1 when not)."""
    from local_aws.server import emulator_status
    from local_aws.tracking_server import tracking_port, tracking_status

    current = emulator_status(port)
    tracking = tracking_status(tracking_port(port))
    if as_json:
        print_json({**current.as_dict(), "tracking": tracking.as_dict()})
    else:
        state = (
            "healthy" if current.healthy else ("running, not healthy" if current.running else "not running")
        )
        if current.iam is not None:
            state += f", IAM evaluation {'on' if current.iam else 'off'}"
        console.print(f"emulator on {current.endpoint_url}: {state}", highlight=False)
        tracked = "healthy" if tracking.healthy else "not running"
        console.print(f"MLflow tracking server on {tracking.tracking_uri}: {tracked}", highlight=False)
    if not current.healthy:
        raise typer.Exit(1)


@app.command("env")
def env(
    port: int = PORT_OPTION,
    profile: str = typer.Option(
        "mlkit-engineer",
        "--profile",
        help="Act as this profile of local mode: mlkit-engineer (default), mlkit-platform (deploys), "
        "or a people's role by name (e.g. mlkit-prod-approver); see README: Identities.",
    ),
) -> None:
    """Print the shell exports of local mode (AWS_ENDPOINT_URL, the AWS profile files and
    AWS_PROFILE, MLFLOW_TRACKING_URI)."""
    from local_aws.server import CREDENTIAL_VARIABLES, local_aws_environment, profiles_dir
    from local_aws.tracking_server import tracking_port, tracking_uri
    from mlops_kit.errors import BadInput

    config = profiles_dir() / "config"
    known = (
        [line[9:-1] for line in config.read_text().splitlines() if line.startswith("[profile ")]
        if config.exists()
        else []
    )
    if known and profile not in known:
        raise BadInput(f"no profile {profile!r} in {config} (known: {', '.join(known)})", argument="profile")
    print(f"unset {' '.join(CREDENTIAL_VARIABLES)}")
    for key, value in local_aws_environment(port, profile=profile).items():
        print(f"export {key}={value}")
    print(f"export MLFLOW_TRACKING_URI={tracking_uri(tracking_port(port))}")
