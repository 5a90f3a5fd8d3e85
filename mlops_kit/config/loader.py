"""Load and validate environment files; render every problem as `file: field: message`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlops_kit.config.models import ENVIRONMENT_ORDER, Environment
from mlops_kit.errors import BadInput, ConfigError

ENVIRONMENTS_DIR_VARIABLE = "KIT_ENVIRONMENTS_DIR"


def environments_dir(start: Path | None = None) -> Path:
    """The folder of environment files: `$KIT_ENVIRONMENTS_DIR`, else `environments/` in or above the cwd."""
    override = os.environ.get(ENVIRONMENTS_DIR_VARIABLE)
    if override:
        return Path(override)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "environments").is_dir():
            return folder / "environments"
    raise BadInput(
        "no environments/ folder found in the current directory or above it",
        hint=f"run kit from the repository, or set {ENVIRONMENTS_DIR_VARIABLE}",
    )


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(item)
    return ".".join(parts)


def render_validation_error(path: Path | str, error: ValidationError) -> list[str]:
    """One `file: field: message` line per invalid field, and nothing else."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(str(p) if not isinstance(p, int) else p for p in item["loc"])
        # Discriminator and wrapper locations pydantic adds are noise for the reader.
        # "[key]" marks a problem with a mapping's key; the key itself is already in the path.
        loc = tuple(p for p in loc if p != "[key]")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (not allowed here; check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        field = _location(loc) or "(file)"
        lines.append(f"{path}: {field}: {message}")
    return lines


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: (file): no such environment file"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: (file): cannot read: {exc.strerror}"]) from None
    try:
        # libyaml's loader when PyYAML has it: the same safe subset, several times faster.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: {where}: invalid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: (file): must be a mapping of settings, not {type(data).__name__}"])
    return data


def load_environment_file(path: Path | str) -> Environment:
    """Parse and validate one environment file; raise `ConfigError` listing every problem."""
    path = Path(path)
    data = _read_yaml(path)
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(render_validation_error(path, exc)) from None
    if path.stem in ENVIRONMENT_ORDER and env.name != path.stem:
        raise ConfigError([f"{path}: name: is '{env.name}' but the file is named {path.name}"])
    return env


def environment_names(folder: Path | None = None) -> list[str]:
    """Environments that have a file, in promotion order."""
    folder = folder or environments_dir()
    return [n for n in ENVIRONMENT_ORDER if (folder / f"{n}.yaml").is_file()]


def load_environment(name: str, folder: Path | None = None) -> Environment:
    """The validated environment `name` from the environments folder."""
    if name not in ENVIRONMENT_ORDER:
        raise BadInput(
            f"unknown environment '{name}' (expected one of {', '.join(ENVIRONMENT_ORDER)})", argument="env"
        )
    folder = folder or environments_dir()
    return load_environment_file(folder / f"{name}.yaml")


def load_all_environments(folder: Path | None = None) -> dict[str, Environment]:
    """Every environment file, validated together; problems of all files are reported at once."""
    folder = folder or environments_dir()
    found: dict[str, Environment] = {}
    problems: list[str] = []
    for name in environment_names(folder):
        try:
            found[name] = load_environment_file(folder / f"{name}.yaml")
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    if not found:
        raise ConfigError([f"{folder}: (folder): no environment files (dev.yaml, staging.yaml, prod.yaml)"])
    from mlops_kit.config.account_layout import account_layout_problems

    problems = account_layout_problems(found, {name: folder / f"{name}.yaml" for name in found})
    if problems:
        raise ConfigError(problems)
    return found
