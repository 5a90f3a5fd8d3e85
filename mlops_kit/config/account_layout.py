"""Checks across environment files: what environments sharing an AWS account must not share, and
whether drift alarms reach an environment that retrains.

Each environment may have an account of its own or share one (all three in one account is a
supported layout). The stacks then declare every account-scoped name per environment; what a user
sets by hand (the promotion role's name) can still collide, and the retraining wiring must find the
training environment where it points.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlops_kit.config.models import Environment
from mlops_kit.config.names import ResourceNames


def account_layout_problems(envs: Mapping[str, Environment], files: Mapping[str, Path]) -> list[str]:
    """Problems of the environments taken together, as `file: field: message` lines."""
    return _shared_names(envs, files) + _retraining(envs, files)


def _shared_names(envs: Mapping[str, Environment], files: Mapping[str, Path]) -> list[str]:
    problems = []
    claimed: dict[tuple[str, str, str], str] = {}  # (scope, kind, name) -> environment
    for name, env in envs.items():
        for (kind, resource), setting in ResourceNames(env).account_scoped().items():
            scope = "global" if kind == "S3 bucket" else f"{env.account_id}/{env.region}"
            owner = claimed.setdefault((scope, kind, resource), name)
            if owner != name:
                problems.append(
                    f"{files[name]}: {setting}: {kind} '{resource}' is also declared by {files[owner]} "
                    f"(account {env.account_id}); environments sharing an account need their own names"
                )
    return problems


def _retraining(envs: Mapping[str, Environment], files: Mapping[str, Path]) -> list[str]:
    """Every environment whose drift retrains elsewhere points at an account where a loaded
    environment trains (has no `drift.retrain_account_id`) and accepts it."""
    problems = []
    trainers = {env.account_id: (name, env) for name, env in envs.items() if not env.drift.retrain_account_id}
    for name, env in envs.items():
        target = env.drift.retrain_account_id
        if not target or not env.drift.retrain_on_drift:
            continue
        where = f"{files[name]}: drift.retrain_account_id"
        if target not in trainers:
            if target == env.account_id or any(e.account_id == target for e in envs.values()):
                problems.append(
                    f"{where}: no environment of account {target} trains (one without "
                    "drift.retrain_account_id), so this environment's drift would retrain nothing"
                )
            continue
        trainer_name, trainer = trainers[target]
        if trainer.name_prefix != env.name_prefix:
            problems.append(
                f"{where}: the retraining rule of {files[trainer_name]} matches drift alarms named "
                f"'{trainer.name_prefix}-drift.*', not this environment's '{env.name_prefix}-drift.*' "
                "(use the same name_prefix)"
            )
        if target != env.account_id and env.account_id not in trainer.drift.accept_retrain_from:
            problems.append(
                f"{files[trainer_name]}: drift.accept_retrain_from: must name {env.account_id}, whose "
                f"drift alarms ({files[name]}) retrain here"
            )
    return problems
