"""Fixtures of the drift engine tests: a real data set and a small mixed frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from mlops_kit.drift import Baseline, build_baseline


@pytest.fixture(scope="session")
def breast_cancer() -> pd.DataFrame:
    """scikit-learn's bundled Wisconsin breast cancer data (569 rows, 30 numeric features) with
    the diagnosis as a categorical feature."""
    data = load_breast_cancer(as_frame=True)
    frame: pd.DataFrame = data.frame.drop(columns="target")
    frame["diagnosis"] = np.where(data.target == 0, "malignant", "benign")
    return frame


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so every test is reproducible."""
    return np.random.default_rng(20261125)


@pytest.fixture
def mixed_frame(rng: np.random.Generator) -> pd.DataFrame:
    """3,000 rows: floats with gaps and infinities, integers, text categories with gaps, booleans."""
    rows = 3_000
    floats = rng.normal(50.0, 10.0, rows)
    floats[rng.random(rows) < 0.02] = np.nan
    floats[:3] = [np.inf, -np.inf, np.nan]
    colour = rng.choice(
        np.array(["red", "green", "blue", "violet"], dtype=object), rows, p=[0.5, 0.3, 0.15, 0.05]
    )
    colour[rng.random(rows) < 0.01] = None
    return pd.DataFrame(
        {
            "income": floats,
            "age": rng.integers(18, 90, rows),
            "colour": colour,
            "member": rng.random(rows) < 0.3,
        }
    )


@pytest.fixture
def mixed_baseline(mixed_frame: pd.DataFrame) -> Baseline:
    """The baseline of `mixed_frame`."""
    return build_baseline(mixed_frame)
