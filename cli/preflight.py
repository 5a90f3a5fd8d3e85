"""`kit preflight`: quotas, offerings, EKS version and bootstrap resources of an environment."""

from __future__ import annotations

import typer

from cli.output import console, print_json, table

STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def preflight(
    env: str = typer.Option(..., "--env", help="dev, staging or prod"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One row per check, pass/warn/fail; exit 1 if any check fails."""
    from mlops_kit.aws.clients import clients_for
    from mlops_kit.cluster.preflight import Check, run_preflight
    from mlops_kit.config import load_environment
    from mlops_kit.errors import AccessDenied

    environment = load_environment(env)
    try:
        clients = clients_for(environment, role="deploy", session_name="mlops-kit-preflight")
    except AccessDenied as exc:
        # Missing, or not trusting the caller: either way nothing else can be checked through it.
        role = environment.identity.deploy_role_name
        checks = [Check(f"deploy role {role}", "fail", f"cannot be assumed: {exc}")]
    else:
        checks = run_preflight(environment, clients)
    if as_json:
        print_json([c.as_dict() for c in checks])
    else:
        rows = [[c.name, f"[{STYLE[c.status]}]{c.status}[/]", c.detail] for c in checks]
        console.print(table(f"Preflight: {env}", ["check", "status", "detail"], rows))
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        from mlops_kit.errors import OperationFailed

        raise OperationFailed(f"preflight of {env} failed: {'; '.join(failed)}")
