"""`kit promote`, `kit approve`, `kit rollback`: moving model versions between
environments. Thin: parse, call one core function, render (gate table, progress, --json). Their help
lines are in cli.main.PRODUCT_COMMANDS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cli.output import confirm_change

if TYPE_CHECKING:
    from mlops_kit.promotion.gates import GateResult
    from mlops_kit.promotion.promotion_run import PromotionEvent


def gate_table(title: str, gates: tuple[GateResult, ...] | list[GateResult]) -> Any:
    from cli.output import table

    return table(
        title,
        ["gate", "result", "detail"],
        [[g.name, "[green]pass[/]" if g.passed else "[bold red]FAIL[/]", g.detail] for g in gates],
    )


class _Progress:
    """Renders promotion events: the gate table, one line per step, a live rollout status."""

    def __init__(self, title: str, quiet: bool) -> None:
        from cli.output import console, err_console

        self.title = title
        self.quiet = quiet
        self.status: Any = None
        self.out = err_console if quiet else console

    def __call__(self, event: PromotionEvent) -> None:
        if event.gates:
            self.out.print(gate_table(self.title, event.gates))
            return
        if event.rollout is not None:
            text = f"rollout: {event.rollout.status} ({event.rollout.elapsed_seconds:.0f} s)"
            if self.status is None:
                self.status = self.out.status(text)
                self.status.start()
            else:
                self.status.update(text)
            return
        self.stop()
        self.out.print(f"[green]✓[/] {event.step}: {event.message}", highlight=False)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _spare_the_collector() -> None:
    """Move everything imported so far out of the cyclic collector's reach. A promotion allocates
    enough (botocore's service models) to trigger full collections, and each would rescan every
    module object of typer, pydantic and botocore: 50-200 ms of a 1.5 s command. Those objects live
    as long as the process anyway."""
    import gc

    gc.freeze()


def promote(
    model: str = typer.Argument(..., help="Model name, e.g. tumor-classifier"),
    to: str = typer.Option(..., "--to", help="Target environment: staging or prod"),
    version: int | None = typer.Option(
        None, "--version", help="Version in the source environment (default: dev's newest, staging's serving)"
    ),
    source: str | None = typer.Option(None, "--from", help="Source environment (must be the previous one)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the gates and the plan; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (progress goes to stderr)."),
    resume: bool = typer.Option(
        False, "--resume", help="A paused canary (inconclusive analysis): shift all traffic to it."
    ),
    abort: bool = typer.Option(False, "--abort", help="A paused canary: roll it back."),
) -> None:
    from cli.output import console, print_json
    from mlops_kit.promotion.path import source_of

    if resume or abort:
        _decide(model, to, resume=resume, abort=abort, yes=yes, as_json=as_json)
        return

    source_name = source_of(to, source)
    if not dry_run:
        confirm_change(f"Promote {model} from {source_name} to {to}", yes)
    from mlops_kit.promotion.promote import promote_model_version

    _spare_the_collector()
    progress = _Progress(f"Gates: {model} {source_name} -> {to}", quiet=as_json)
    try:
        result = promote_model_version(
            model, to, version=version, source=source_name, dry_run=dry_run, on_event=progress
        )
    finally:
        progress.stop()
    if as_json:
        print_json(result.as_dict())
        _fail_unless_verified(result.verification)
        return
    if dry_run:
        console.print(
            f"plan for {model} {result.source_env} v{result.source_version} -> {to} "
            f"(serving {result.serving_before}); dry run, nothing changed:",
            highlight=False,
            soft_wrap=True,
        )
        for number, step in enumerate(result.plan, 1):
            console.print(f"  {number}. {step}", highlight=False, soft_wrap=True)
        if not all(g.passed for g in result.gates):
            console.print("[bold red]the gates would block this promotion[/]")
            raise typer.Exit(1)
        return
    console.print(
        f"{result.outcome}: {model} {result.source_env} v{result.source_version} -> "
        f"{to} v{result.target_version} (was serving {result.serving_before})",
        highlight=False,
        soft_wrap=True,
    )
    _fail_unless_verified(result.verification)


def _fail_unless_verified(verification: dict[str, Any] | None) -> None:
    """Exit 1 when the endpoint read back after the rollout differs from the records."""
    from cli.output import err_console

    if verification is None or verification["matches"]:
        return
    for difference in verification["differences"]:
        err_console.print(
            f"[bold red]verify:[/] {difference['item']}: intended {difference['intended']}, "
            f"serving {difference['actual']} ({difference['meaning']})",
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(1)


def approve(
    model: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version in the source environment (staging for --env prod)"),
    env: str = typer.Option(..., "--env", help="The environment the approval is for (prod)"),
    comment: str = typer.Option(..., "--comment", help="Why the version is fit for the environment"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    from cli.output import console, print_json
    from mlops_kit.config import load_all_environments
    from mlops_kit.errors import BadInput
    from mlops_kit.promotion.approvals import approve_model_version

    envs = load_all_environments()
    if env not in envs:
        raise BadInput(f"--env: unknown environment '{env}' (expected one of {', '.join(envs)})")
    event = approve_model_version(model, version, envs[env], comment=comment, environments=envs)
    if as_json:
        print_json(event.as_dict())
        return
    console.print(
        f"approved {model} {event.source_env} v{event.source_version} for {env} as {event.actor} "
        f"({event.detail}); recorded as {event.event_id}",
        highlight=False,
        soft_wrap=True,
    )


def rollback(
    env: str = typer.Option(..., "--env", help="Environment whose endpoint rolls back"),
    to: int | None = typer.Option(None, "--to", help="Version to serve (default: the previous approved one)"),
    model: str | None = typer.Option(None, "--model", help="Model (default: the environment's only model)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    from cli.output import console, print_json
    from mlops_kit.config import load_environment

    environment = load_environment(env)
    confirm_change(f"Roll back {model or ', '.join(environment.models)} in {env}", yes)
    from mlops_kit.promotion.rollback import rollback_endpoint

    result = rollback_endpoint(environment, model, to_version=to)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"{result.outcome}: {result.model} in {env} v{result.from_version} -> v{result.to_version}",
        highlight=False,
        soft_wrap=True,
    )
    if result.note:
        console.print(f"[yellow]note:[/] {result.note}", highlight=False, soft_wrap=True)


def _decide(model: str, to: str, *, resume: bool, abort: bool, yes: bool, as_json: bool) -> None:
    """`kit promote MODEL --to ENV --resume|--abort`: a person's decision on a paused canary."""
    from cli.output import console, print_json
    from mlops_kit.config import load_environment
    from mlops_kit.errors import BadInput

    if resume and abort:
        raise BadInput("--resume and --abort exclude each other", argument="resume")
    confirm_change(f"{'Resume' if resume else 'Abort'} the paused canary of {model} in {to}", yes)
    from mlops_kit.promotion.canary_decision import decide_paused_canary

    result = decide_paused_canary(model, load_environment(to), resume=resume)
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(
            f"{result.outcome}: {model} v{result.version} in {to} ({result.detail}); "
            f"recorded as {result.audit_event_id}",
            highlight=False,
            soft_wrap=True,
        )
    _fail_unless_verified(result.verification)
    if resume and result.outcome != "promoted":
        raise typer.Exit(1)
