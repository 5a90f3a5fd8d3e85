"""Find a model's folder, load its manifest, and import the functions its entry points name.

Relative folders in `registry.models[].path` are relative to the repository: the folder that holds
`environments/`. A manifest's problems are `ConfigError` lines, `file: field: message`, as the
environment files' are.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic import ValidationError

from mlops_kit.config import Environment, environments_dir
from mlops_kit.config.loader import render_validation_error
from mlops_kit.errors import BadInput, ConfigError
from mlops_kit.model_contract.manifest import MANIFEST_FILE, ModelManifest

MODELS_DIR = "models"


@dataclass(frozen=True)
class ModelContract:
    """A model folder and its validated manifest."""

    folder: Path
    manifest: ModelManifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def manifest_file(self) -> Path:
        return self.folder / MANIFEST_FILE

    def path(self, relative: str) -> Path:
        return self.folder / relative

    def python_files(self) -> dict[str, bytes]:
        """Every Python file of the folder (relative path -> bytes), the code a job gets."""
        return {
            p.relative_to(self.folder).as_posix(): p.read_bytes()
            for p in sorted(self.folder.rglob("*.py"))
            if "__pycache__" not in p.parts
        }

    def schema_document(self) -> dict[str, Any]:
        """The schema as the kit's steps read it (`lib/schema.json`): target, feature order, and
        per column its type and allowed values; the task, the model's preprocess function, its inference
        program and what group fairness measures (None: nothing)."""
        schema = self.manifest.data_schema
        columns: dict[str, dict[str, Any]] = {}
        for feature in schema.features:
            columns[feature.name] = feature.model_dump(exclude={"name"}, exclude_none=True)
        return {
            "model": self.name,
            "task": self.manifest.task,
            "target": schema.target.name,
            "classes": list(schema.target.classes),
            "features": schema.feature_names,
            "categorical": schema.categorical,
            "columns": columns,
            "metrics": list(self.manifest.metrics),
            "evaluate": self.manifest.entry_points.evaluate,
            "preprocess": self.manifest.entry_points.preprocess or "",
            "inference": self.manifest.entry_points.inference,
            "fairness": self.manifest.fairness.model_dump() if self.manifest.fairness else None,
        }


def repository_root() -> Path:
    """The folder above `environments/`: where relative model folders are found."""
    return environments_dir().parent


def model_folder(env: Environment, model: str) -> Path:
    """The folder `registry.models` gives `model` in `env` (default `models/<model>`)."""
    try:
        spec = env.model(model)
    except KeyError:
        raise BadInput(
            f"{env.name} registers no model '{model}' (it has {', '.join(env.models)})", argument="model"
        ) from None
    folder = Path(spec.path or f"{MODELS_DIR}/{model}")
    return folder if folder.is_absolute() else repository_root() / folder


def read_manifest(folder: Path) -> ModelContract:
    """The validated manifest of `folder`; ConfigError lists every problem as `file: field: message`."""
    path = folder / MANIFEST_FILE
    if not folder.is_dir():
        raise ConfigError([f"{folder}: (folder): no such model folder"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: (file): no model manifest ({MANIFEST_FILE}) in the folder"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: (file): cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(
            [f"{path}: {where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: (file): must be a mapping of settings, not {type(data).__name__}"])
    try:
        manifest = ModelManifest.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(render_validation_error(path, exc)) from None
    return ModelContract(folder=folder, manifest=manifest)


def load_model_contract(env: Environment, model: str) -> ModelContract:
    """The contract of `model` as `env` registers it: the manifest's name must be the model's and
    its entry points' files must exist (`kit models check` checks the rest)."""
    contract = read_manifest(model_folder(env, model))
    problems = missing_files(contract)
    if contract.name != model:
        problems.insert(
            0, f"{contract.manifest_file}: name: is '{contract.name}' but the environment registers '{model}'"
        )
    if problems:
        raise ConfigError(problems)
    return contract


def missing_files(contract: ModelContract) -> list[str]:
    """`file: field: message` for each entry point whose file the folder lacks (no code runs)."""
    manifest = contract.manifest
    entry = manifest.entry_points
    refs = {
        "entry_points.train": entry.train,
        "entry_points.inference": entry.inference,
        "entry_points.evaluate": split_function_ref(entry.evaluate)[0],
        "data.bundled": split_function_ref(manifest.data.bundled)[0],
    }
    if entry.preprocess:
        refs["entry_points.preprocess"] = split_function_ref(entry.preprocess)[0]
    return [
        f"{contract.manifest_file}: {field}: no file {relative} in {contract.folder}"
        for field, relative in refs.items()
        if not (contract.folder / relative).is_file()
    ]


def split_function_ref(ref: str) -> tuple[str, str]:
    """`metrics.py:score` or `pkg.metrics:score` -> (the module's file path in the folder, function)."""
    module, _, function = ref.partition(":")
    if module.endswith(".py"):
        return module, function
    return module.replace(".", "/") + ".py", function


@contextmanager
def _folder_on_path(folder: Path) -> Iterator[None]:
    """The folder first on sys.path while its code imports (sibling imports resolve there); modules
    it imported from the folder are forgotten after, so two models' `train` never collide."""
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file.startswith(str(folder)):
                del sys.modules[name]


def import_file(folder: Path, relative: str) -> ModuleType:
    """Import `relative` (a .py file of `folder`) under a name of its own; raises what its code raises."""
    path = folder / relative
    if not path.is_file():
        raise FileNotFoundError(f"no file {relative} in {folder}")
    unique = f"kit_model_{abs(hash(str(folder)))}_{relative.removesuffix('.py').replace('/', '_')}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered under its own name: dataclasses and pickling look a module up there.
    sys.modules[unique] = module
    with _folder_on_path(folder):
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
    return module


def load_function(folder: Path, ref: str) -> Callable[..., Any]:
    """The function `ref` (`module:function`) names in `folder`."""
    relative, name = split_function_ref(ref)
    function = getattr(import_file(folder, relative), name, None)
    if not callable(function):
        raise AttributeError(f"{relative} defines no function {name}")
    return function  # type: ignore[no-any-return]


def bundled_data(contract: ModelContract) -> bytes:
    """The model's bundled data set (CSV bytes), from its `data.bundled` function."""
    body = load_function(contract.folder, contract.manifest.data.bundled)()
    if not isinstance(body, bytes):
        raise BadInput(
            f"{contract.manifest_file}: data.bundled: returned {type(body).__name__}, not CSV bytes"
        )
    return body
