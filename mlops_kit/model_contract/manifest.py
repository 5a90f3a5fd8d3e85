"""The typed manifest of a model folder (`models/<name>/model.yaml`).

A model is a folder: this manifest, its entry points (Python files and functions inside the folder),
its feature schema and target, the metrics its evaluate function writes, its data and its resource
needs. Frozen models, unknown keys forbidden, like the environment files.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mlops_kit.config.models import Metric, SageMakerInstanceType

MANIFEST_FILE = "model.yaml"

ModelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
_INSIDE = r"(?!/)(?!.*(^|/)\.\.(/|$))"


def _script_path(value: str) -> str:
    if not re.fullmatch(_INSIDE + r"[\w.-]+(/[\w.-]+)*\.py", value):
        raise ValueError(f"'{value}' must be a .py file inside the model folder (a relative path, no '..')")
    return value


def _function_ref(value: str) -> str:
    if not re.fullmatch(_INSIDE + r"[A-Za-z_][\w./]*(\.py)?:[A-Za-z_]\w*", value):
        raise ValueError(f"'{value}' must be module:function, the module a file of the model folder")
    return value


def _folder_path(value: str) -> str:
    if not re.fullmatch(_INSIDE + r"[\w.-]+(/[\w.-]+)*", value):
        raise ValueError(f"'{value}' must be a file inside the model folder (a relative path, no '..')")
    return value


# A Python file inside the model folder, by its relative path.
ScriptPath = Annotated[str, AfterValidator(_script_path)]
# `module:function`, the module a file of the folder (`metrics` or `metrics.py`, or a dotted path).
FunctionRef = Annotated[str, AfterValidator(_function_ref)]
# Any other file inside the folder (a Dockerfile).
FolderPath = Annotated[str, AfterValidator(_folder_path)]
ImageUri = Annotated[
    str, StringConstraints(pattern=r"^[\w.-]+(:\d+)?/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")
]
HyperparameterName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Category = Annotated[str, StringConstraints(min_length=1)] | int
Task = Literal["binary_classification", "multiclass_classification"]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Framework(Strict):
    """A SageMaker framework image the kit knows (its version picks the image tag)."""

    name: Literal["scikit-learn"]
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(-\d+)?$")] = "1.2-1"


class EntryPoints(Strict):
    """Where the model's code is. `train` and `inference` are programs (SageMaker script mode and
    serving handler); `evaluate` is a function `(model_dir, test_frame) -> {metric: value}`;
    `preprocess`, when set, a function `(frame) -> frame` the kit's preprocess step applies to the
    input before it checks the schema and splits it."""

    train: ScriptPath
    evaluate: FunctionRef
    inference: ScriptPath
    preprocess: FunctionRef | None = None


class NumericFeature(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w.-]*$")]
    type: Literal["numeric"]
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> NumericFeature:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class CategoricalFeature(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w.-]*$")]
    type: Literal["categorical"]
    categories: list[Category] = Field(min_length=1)

    @field_validator("categories")
    @classmethod
    def _unique(cls, value: list[str | int]) -> list[str | int]:
        seen = [str(v) for v in value]
        dupes = sorted({v for v in seen if seen.count(v) > 1})
        if dupes:
            raise ValueError(f"duplicate categories: {', '.join(dupes)}")
        return value


Feature = Annotated[NumericFeature | CategoricalFeature, Field(discriminator="type")]


class Target(Strict):
    """The column the model predicts and its classes (in the order the model's outputs use)."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w.-]*$")]
    classes: list[Category] = Field(min_length=2)


class Schema(Strict):
    """The model's input: features in the order requests send them, and the target."""

    features: list[Feature] = Field(min_length=1)
    target: Target

    @model_validator(mode="after")
    def _distinct_names(self) -> Schema:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate feature names: {', '.join(dupes)}")
        if self.target.name in names:
            raise ValueError(f"the target '{self.target.name}' is also listed as a feature")
        return self

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.features if f.type == "categorical"]


class Data(Strict):
    """The data set that ships with the model: `bundled` returns it as CSV bytes (with a header),
    and the kit uploads it as `datasets/<model>/<file>`, the pipeline's default DataUri."""

    file: Annotated[str, StringConstraints(pattern=r"^[\w.-]+\.csv$")]
    bundled: FunctionRef
    # `kit models check` checks the schema against this many rows of it.
    sample_rows: int = Field(default=1000, ge=10, le=1_000_000)


class Fairness(Strict):
    """Group fairness in the evaluate step: the feature whose categories are the groups, and the
    class counted as the favorable answer (selection and true positive rates are of that class)."""

    sensitive_attribute: Annotated[str, StringConstraints(min_length=1)]
    # Default: binary_classification's positive class (the second of target.classes); a
    # multiclass_classification model names it.
    favorable_class: Category | None = None


class Resources(Strict):
    """What training needs; an unset instance type means the environment's."""

    training_instance_type: SageMakerInstanceType | None = None
    processing_instance_type: SageMakerInstanceType | None = None
    gpus: int = Field(default=0, ge=0, le=16)


class ModelManifest(Strict):
    """`models/<name>/model.yaml`."""

    name: ModelName
    description: str = ""
    task: Task
    # Exactly one of: a framework image the kit knows, a container image URI, a Dockerfile.
    framework: Framework | None = None
    image: ImageUri | None = None
    dockerfile: FolderPath | None = None
    entry_points: EntryPoints
    # The train program's hyperparameters and their defaults; each is a pipeline parameter
    # (`n_estimators` -> `NEstimators`) a run may override.
    hyperparameters: dict[HyperparameterName, str | int | float] = Field(default_factory=dict)
    data_schema: Schema = Field(alias="schema")
    metrics: list[Metric] = Field(min_length=1)
    data: Data
    resources: Resources = Resources()
    # Group fairness (demographic parity and equal opportunity differences) over a sensitive
    # attribute's groups; none measured when unset.
    fairness: Fairness | None = None

    @model_validator(mode="after")
    def _one_runtime(self) -> ModelManifest:
        given = [k for k in ("framework", "image", "dockerfile") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "name exactly one of framework, image, dockerfile"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @field_validator("data_schema")
    @classmethod
    def _classes_fit_task(cls, value: Schema, info: ValidationInfo) -> Schema:
        task, count = info.data.get("task"), len(value.target.classes)
        if task == "binary_classification" and count != 2:
            raise ValueError(f"task binary_classification needs 2 target classes, target.classes has {count}")
        if task == "multiclass_classification" and count < 3:
            raise ValueError(
                f"task multiclass_classification needs 3 or more target classes, target.classes has {count}"
            )
        return value

    @field_validator("fairness")
    @classmethod
    def _fairness_fits_schema(cls, value: Fairness | None, info: ValidationInfo) -> Fairness | None:
        schema, task = info.data.get("data_schema"), info.data.get("task")
        if value is None or schema is None:
            return value  # the schema has its own errors
        attribute = value.sensitive_attribute
        feature = next((f for f in schema.features if f.name == attribute), None)
        if feature is None:
            raise ValueError(
                f"sensitive_attribute '{attribute}' is not a feature of the schema "
                f"(features: {', '.join(schema.feature_names)})"
            )
        if feature.type != "categorical":
            raise ValueError(
                f"sensitive_attribute '{attribute}' must be a categorical feature (its categories are "
                "the groups compared); declare it with type: categorical and its categories"
            )
        classes = [str(c) for c in schema.target.classes]
        if value.favorable_class is None:
            if task == "multiclass_classification":
                raise ValueError(
                    f"favorable_class is required for multiclass_classification (one of {', '.join(classes)})"
                )
            return value.model_copy(update={"favorable_class": schema.target.classes[1]})
        if str(value.favorable_class) not in classes:
            raise ValueError(
                f"favorable_class {value.favorable_class!r} is not one of target.classes "
                f"({', '.join(classes)})"
            )
        return value

    @field_validator("metrics")
    @classmethod
    def _unique_metrics(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("metrics must be unique")
        return value


def pipeline_parameter(hyperparameter: str) -> str:
    """`n_estimators` -> `NEstimators`: the pipeline parameter of a hyperparameter."""
    return "".join(part.capitalize() for part in hyperparameter.split("_"))
