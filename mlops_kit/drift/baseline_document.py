"""The baseline document: the training baseline's data model, and reading, writing and validating its
JSON. Building a baseline from a frame is baseline.py's.

This module is shipped as source into SageMaker processing containers beside baseline.py (the
training pipeline's preprocess step writes the baseline, the drift job reads it), so it imports
only numpy and the standard library, never another mlops_kit module.

JSON format, version 1 (``"format": "mlops-kit/drift-baseline"``)::

    {
      "format": "mlops-kit/drift-baseline",
      "version": 1,
      "rows": 569,                       # rows of the training frame
      "metadata": {"data_uri": "..."},   # free-form strings, e.g. lineage
      "features": [                      # in column order: capture CSV payloads are mapped by it
        {"name": "age", "kind": "numeric",
         "edges": [31.0, 38.5, ...],     # interior cut points, strictly increasing: the training
                                         # quantiles, moved up by at most two float32 steps
         "counts": [57, 56, ...],        # len(edges) + 1 bins: (-inf, e0], (e0, e1], ..., (e_last, inf)
         "bin_means": [27.1, ...],       # training mean per bin, the bin's location for Wasserstein
         "missing": 0, "mean": 41.2, "std": 9.7,
         "min": 18.0, "max": 90.0},      # finite training range (absent in older documents)
        {"name": "color", "kind": "categorical",
         "categories": ["blue", "red"],  # labels as strings (see category_label)
         "counts": [300, 269, 0],        # one per category, then the "unseen" bucket
         "missing": 0}
      ]
    }
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

BASELINE_FORMAT = "mlops-kit/drift-baseline"
BASELINE_FORMAT_VERSION = 1

Counts = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


class BaselineError(ValueError):
    """A baseline cannot be built from the given frame, or a baseline document is invalid."""


@dataclass(frozen=True, eq=False)
class NumericFeature:
    """A numeric feature's quantile bins and the training data's counts in them."""

    name: str
    edges: Floats
    counts: Counts
    bin_means: Floats
    missing: int
    mean: float
    std: float
    kind: Literal["numeric"] = "numeric"
    # The smallest and largest finite training values: the range data quality holds values
    # against. NaN in documents written before the range was recorded.
    minimum: float = math.nan
    maximum: float = math.nan

    @property
    def rows(self) -> int:
        """Non-missing training values."""
        return int(self.counts.sum())


@dataclass(frozen=True, eq=False)
class CategoricalFeature:
    """A categorical feature's category list and the training data's counts (last: "unseen")."""

    name: str
    categories: tuple[str, ...]
    counts: Counts
    missing: int
    kind: Literal["categorical"] = "categorical"

    @property
    def rows(self) -> int:
        """Non-missing training values."""
        return int(self.counts.sum())


Feature = Union[NumericFeature, CategoricalFeature]


@dataclass(frozen=True, eq=False)
class Baseline:
    """Every feature's bins and training counts, in the training frame's column order."""

    features: tuple[Feature, ...]
    rows: int
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        """Feature names in column order."""
        return [feature.name for feature in self.features]

    def feature(self, name: str) -> Feature:
        """The feature called `name`; KeyError if the baseline has none."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The version-1 JSON document as plain Python values."""
        return {
            "format": BASELINE_FORMAT,
            "version": BASELINE_FORMAT_VERSION,
            "rows": self.rows,
            "metadata": dict(self.metadata),
            "features": [_feature_to_dict(feature) for feature in self.features],
        }

    def to_json(self) -> str:
        """The version-1 JSON document; floats round-trip exactly."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the document: histograms made against another baseline do not merge."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str | bytes) -> Baseline:
        """Parse a baseline document; BaselineError says what is wrong with an invalid one."""
        try:
            document = json.loads(text)
        except ValueError as error:
            raise BaselineError(f"baseline is not JSON: {error}") from error
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: object) -> Baseline:
        """Build a baseline from a parsed version-1 document."""
        if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
            raise BaselineError(f"not a baseline document (expected format {BASELINE_FORMAT!r})")
        if document.get("version") != BASELINE_FORMAT_VERSION:
            raise BaselineError(
                f"baseline format version {document.get('version')!r} is not supported "
                f"(this kit reads version {BASELINE_FORMAT_VERSION})"
            )
        try:
            features = tuple(_feature_from_dict(item) for item in document["features"])
            metadata = {str(k): str(v) for k, v in document.get("metadata", {}).items()}
            baseline = cls(features=features, rows=int(document["rows"]), metadata=metadata)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BaselineError(f"invalid baseline document: {error!r}") from error
        names = baseline.feature_names
        if len(set(names)) != len(names):
            raise BaselineError("invalid baseline document: duplicate feature names")
        return baseline


def _feature_to_dict(feature: Feature) -> dict[str, Any]:
    if isinstance(feature, NumericFeature):
        return {
            "name": feature.name,
            "kind": feature.kind,
            "edges": feature.edges.tolist(),
            "counts": feature.counts.tolist(),
            "bin_means": feature.bin_means.tolist(),
            "missing": feature.missing,
            "mean": feature.mean,
            "std": feature.std,
            **({"min": feature.minimum, "max": feature.maximum} if math.isfinite(feature.minimum) else {}),
        }
    return {
        "name": feature.name,
        "kind": feature.kind,
        "categories": list(feature.categories),
        "counts": feature.counts.tolist(),
        "missing": feature.missing,
    }


def _feature_from_dict(item: Mapping[str, Any]) -> Feature:
    name = str(item["name"])
    counts = np.asarray(item["counts"], dtype=np.int64)
    if (counts < 0).any():
        raise ValueError(f"feature {name!r}: negative counts")
    if item["kind"] == "numeric":
        edges = np.asarray(item["edges"], dtype=np.float64)
        bin_means = np.asarray(item["bin_means"], dtype=np.float64)
        if len(edges) > 1 and not (np.diff(edges) > 0).all():
            raise ValueError(f"feature {name!r}: edges are not strictly increasing")
        if not np.isfinite(edges).all() or len(counts) != len(edges) + 1:
            raise ValueError(f"feature {name!r}: needs finite edges and len(edges) + 1 counts")
        if len(bin_means) != len(counts):
            raise ValueError(f"feature {name!r}: needs one bin mean per bin")
        mean, std = float(item["mean"]), float(item["std"])
        if not (math.isfinite(mean) and math.isfinite(std)):
            raise ValueError(f"feature {name!r}: mean and std must be finite")
        minimum, maximum = float(item.get("min", math.nan)), float(item.get("max", math.nan))
        if "min" in item and not (math.isfinite(minimum) and math.isfinite(maximum) and minimum <= maximum):
            raise ValueError(f"feature {name!r}: min and max must be finite, min <= max")
        return NumericFeature(
            name=name,
            edges=edges,
            counts=counts,
            bin_means=bin_means,
            missing=int(item["missing"]),
            mean=mean,
            std=std,
            minimum=minimum,
            maximum=maximum,
        )
    if item["kind"] == "categorical":
        categories = tuple(str(label) for label in item["categories"])
        if len(set(categories)) != len(categories) or len(counts) != len(categories) + 1:
            raise ValueError(f"feature {name!r}: needs distinct categories and one count more")
        return CategoricalFeature(
            name=name, categories=categories, counts=counts, missing=int(item["missing"])
        )
    raise ValueError(f"feature {name!r}: unknown kind {item['kind']!r}")
