"""`kit models check`: validate model folders offline, every problem as `file: field: message`.

A folder passes when its manifest is valid; its entry points exist and import (the inference
script defines `model_fn`, the functions are callable); a sample of its bundled data holds every
schema column with the declared types, ranges, categories and classes; it declares every metric
the environments gate on; and its GPU needs fit the instance type it would train on.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_kit.config import Environment, load_all_environments
from mlops_kit.errors import BadInput, ConfigError
from mlops_kit.model_contract.loading import (
    MODELS_DIR,
    ModelContract,
    import_file,
    load_function,
    read_manifest,
    repository_root,
)
from mlops_kit.model_contract.manifest import (
    MANIFEST_FILE,
    CategoricalFeature,
    ModelManifest,
    NumericFeature,
)

GPU_INSTANCE = ("ml.p", "ml.g", "ml.trn")


@dataclass(frozen=True)
class CheckedModel:
    """A folder that passed, and what was checked."""

    name: str
    folder: Path
    task: str
    features: int
    categorical: int
    rows: int
    metrics: tuple[str, ...]
    gated_by: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "folder": str(self.folder),
            "task": self.task,
            "features": self.features,
            "categorical": self.categorical,
            "rows_checked": self.rows,
            "metrics": list(self.metrics),
            "gated_by": list(self.gated_by),
        }


@dataclass
class _Problems:
    """Problems of one manifest, each rendered `file: field: message`."""

    file: str
    lines: list[str] = field(default_factory=list)

    def add(self, location: str, message: str) -> None:
        self.lines.append(f"{self.file}: {location}: {message}")


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(repository_root().resolve()))
    except (ValueError, BadInput):
        return str(path)


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _attempt(problems: _Problems, location: str, what: str, action: Callable[[], Any]) -> Any:
    """Run the model's own code; anything it raises becomes one problem line, never a traceback."""
    try:
        return action()
    except (Exception, SystemExit) as exc:  # the model's code may raise (or exit with) anything
        problems.add(location, f"cannot {what}: {_error_text(exc)}")
        return None


def _check_entry_points(contract: ModelContract, problems: _Problems) -> None:
    folder, entry = contract.folder, contract.manifest.entry_points
    for key, script in (("train", entry.train), ("inference", entry.inference)):
        if not (folder / script).is_file():
            problems.add(f"entry_points.{key}", f"no file {script} in {_shown(folder)}")
            continue
        module = _attempt(
            problems,
            f"entry_points.{key}",
            f"import {script}",
            functools.partial(import_file, folder, script),
        )
        if key == "inference" and module is not None and not callable(getattr(module, "model_fn", None)):
            problems.add(
                "entry_points.inference",
                f"{script} defines no model_fn (the serving container loads the model with it)",
            )
    functions = {"entry_points.evaluate": entry.evaluate, "data.bundled": contract.manifest.data.bundled}
    if entry.preprocess:
        functions["entry_points.preprocess"] = entry.preprocess
    for location, ref in functions.items():
        _attempt(problems, location, f"load {ref}", functools.partial(load_function, folder, ref))
    dockerfile = contract.manifest.dockerfile
    if dockerfile and not (folder / dockerfile).is_file():
        problems.add("dockerfile", f"no file {dockerfile} in {_shown(folder)}")


def _sample(contract: ModelContract, problems: _Problems) -> Any:
    """The first `data.sample_rows` rows of the bundled data (after the model's preprocess), or None."""
    import pandas as pd

    manifest, folder = contract.manifest, contract.folder
    if any(": data.bundled: " in line for line in problems.lines):
        return None  # already reported: the function does not load
    bundled = _attempt(
        problems, "data.bundled", "load the data", lambda: load_function(folder, manifest.data.bundled)()
    )
    if bundled is None:
        return None
    if not isinstance(bundled, bytes):
        problems.add("data.bundled", f"returned {type(bundled).__name__}, not CSV bytes")
        return None
    frame = _attempt(
        problems,
        "data.bundled",
        "read its CSV",
        lambda: pd.read_csv(io.BytesIO(bundled), nrows=manifest.data.sample_rows),
    )
    if frame is not None and manifest.entry_points.preprocess:
        ref = manifest.entry_points.preprocess
        frame = _attempt(
            problems, "entry_points.preprocess", f"run {ref}", lambda: load_function(folder, ref)(frame)
        )
        if frame is not None and not isinstance(frame, pd.DataFrame):
            problems.add(
                "entry_points.preprocess", f"{ref} returned {type(frame).__name__}, not a data frame"
            )
            return None
    return frame


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_feature(
    frame: Any, index: int, feature: NumericFeature | CategoricalFeature, problems: _Problems
) -> None:
    import pandas as pd

    where = f"schema.features[{index}]"
    column = frame[feature.name]
    if isinstance(feature, CategoricalFeature):
        allowed = {_label(c) for c in feature.categories}
        unknown = sorted(set(column.dropna().map(_label)) - allowed)
        if unknown:
            problems.add(
                f"{where}.categories",
                f"'{feature.name}' holds {', '.join(unknown[:5])}, not among the categories",
            )
        return
    values = pd.to_numeric(column, errors="coerce")
    text = int(values.isna().sum() - column.isna().sum())
    if text:
        problems.add(
            f"{where}.type", f"'{feature.name}' is numeric but {text} value(s) in the data are not numbers"
        )
        return
    if feature.min is not None and (values < feature.min).any():
        problems.add(
            f"{where}.min",
            f"'{feature.name}' goes down to {values.min():g} in the data, below {feature.min:g}",
        )
    if feature.max is not None and (values > feature.max).any():
        problems.add(
            f"{where}.max", f"'{feature.name}' goes up to {values.max():g} in the data, above {feature.max:g}"
        )


def _check_schema(manifest: ModelManifest, frame: Any, problems: _Problems) -> None:
    schema = manifest.data_schema
    columns = {str(c) for c in frame.columns}
    for index, feature in enumerate(schema.features):
        if feature.name not in columns:
            problems.add(
                f"schema.features[{index}].name",
                f"column '{feature.name}' is not in the data ({manifest.data.file})",
            )
        else:
            _check_feature(frame, index, feature, problems)
    target = schema.target
    if target.name not in columns:
        problems.add(
            "schema.target.name", f"column '{target.name}' is not in the data ({manifest.data.file})"
        )
        return
    classes = {_label(c) for c in target.classes}
    found = set(frame[target.name].dropna().map(_label))
    if found - classes:
        problems.add(
            "schema.target.classes",
            f"the data's '{target.name}' holds {', '.join(sorted(found - classes)[:5])}, "
            "not among the classes",
        )
    if frame[target.name].isna().any():
        problems.add("schema.target.name", f"'{target.name}' has missing values in the data")


def _check_environments(
    contract: ModelContract, environments: dict[str, Environment], problems: _Problems
) -> tuple[str, ...]:
    """Gated metrics and GPU needs against every environment; the names of the environments whose
    gates apply (those that register the model, else all)."""
    manifest = contract.manifest
    registering = {n: e for n, e in environments.items() if manifest.name in e.models} or environments
    for name, env in registering.items():
        missing = [m for m in env.gates.min_metrics if m not in manifest.metrics]
        if missing:
            problems.add(
                "metrics",
                f"{name} gates on {', '.join(missing)} (environments/{name}.yaml: gates.min_metrics), "
                "which the model's evaluate does not write",
            )
        instance = manifest.resources.training_instance_type or env.training.training_instance_type
        if manifest.resources.gpus and not instance.startswith(GPU_INSTANCE):
            problems.add(
                "resources.gpus",
                f"needs {manifest.resources.gpus} GPU(s) but would train on {instance} in {name}, "
                "which has none (set resources.training_instance_type)",
            )
    return tuple(registering)


def check_model_folder(
    folder: Path, environments: dict[str, Environment], *, expected_name: str | None = None
) -> CheckedModel:
    """Validate one model folder; ConfigError lists every problem found."""
    contract = read_manifest(folder)
    manifest = contract.manifest
    problems = _Problems(_shown(folder / MANIFEST_FILE))
    expected = expected_name or folder.resolve().name
    if manifest.name != expected:
        problems.add(
            "name", f"is '{manifest.name}' but the model is registered (or its folder named) '{expected}'"
        )
    _check_entry_points(contract, problems)
    frame = _sample(contract, problems)
    if frame is not None:
        _check_schema(manifest, frame, problems)
    gated_by = _check_environments(contract, environments, problems)
    if problems.lines:
        raise ConfigError(problems.lines)
    schema = manifest.data_schema
    return CheckedModel(
        name=manifest.name,
        folder=folder,
        task=manifest.task,
        features=len(schema.features),
        categorical=len(schema.categorical),
        rows=0 if frame is None else len(frame),
        metrics=tuple(manifest.metrics),
        gated_by=gated_by,
    )


def _registered_folders(environments: dict[str, Environment]) -> dict[str, tuple[Path, list[str]]]:
    """Model name -> (its folder, the `file: field` of every registration), across environments."""
    found: dict[str, tuple[Path, list[str]]] = {}
    root = repository_root()
    for env_name, env in environments.items():
        for index, spec in enumerate(env.registry.models):
            folder = Path(spec.path or f"{MODELS_DIR}/{spec.name}")
            folder = folder if folder.is_absolute() else root / folder
            where = f"environments/{env_name}.yaml: registry.models[{index}].path"
            found.setdefault(spec.name, (folder, []))[1].append(where)
    return found


def check_models(name: str | None = None, *, path: Path | None = None) -> list[CheckedModel]:
    """Check the folder at `path`, or the model `name`, or every model the environments register and
    every folder under models/. ConfigError lists the problems of all of them."""
    environments = load_all_environments()
    if path is not None:
        return [check_model_folder(path, environments)]
    registered = _registered_folders(environments)
    folders: dict[str, tuple[Path, list[str]]] = dict(registered)
    models_dir = repository_root() / MODELS_DIR
    if models_dir.is_dir():
        for manifest in sorted(models_dir.glob(f"*/{MANIFEST_FILE}")):
            folders.setdefault(manifest.parent.name, (manifest.parent, []))
    if name is not None:
        if name not in folders:
            raise BadInput(
                f"no model '{name}' (no folder {MODELS_DIR}/{name}, and no environment registers it)"
            )
        folders = {name: folders[name]}
    checked: list[CheckedModel] = []
    problems: list[str] = []
    for model, (folder, registrations) in sorted(folders.items()):
        if not folder.is_dir():
            problems += [f"{where}: no model folder {_shown(folder)}" for where in registrations]
            continue
        try:
            checked.append(check_model_folder(folder, environments, expected_name=model))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return checked
