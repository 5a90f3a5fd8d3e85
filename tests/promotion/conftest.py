"""Fixtures for promotion: dev versions registered the way the training pipeline registers them,
drift reports of the source environments, and identities.

Rollout policy time passes 3000x faster in the session's emulator (a 5-minute canary bake takes
0.1 s), so the canary, the alarm rollback and the waits run for real but quickly.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import pytest

# Read by the emulator process when the session fixture starts it (after collection).
os.environ.setdefault("KIT_EMULATOR_TIME_SCALE", "3000")

from promotion_support import CLEAN_REPORT_KEY, DevVersion, put_drift_report, register_version

from mlops_kit.config import Environment


@pytest.fixture(scope="session")
def trained_model() -> bytes:
    """A real scikit-learn model (logistic regression on the Wisconsin data), joblib-serialized."""
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(features, labels)
    payload = io.BytesIO()
    joblib.dump(model, payload)
    return payload.getvalue()


@pytest.fixture(scope="session")
def training_features() -> Any:
    """The features the model was trained on (a pandas DataFrame), for drift baselines."""
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).data


@pytest.fixture(scope="session")
def promotion_platform(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment]
) -> dict[str, Environment]:
    """The deployed platform with a clean drift check in dev and staging; the environments by name."""
    for name in ("dev", "staging"):
        put_drift_report(environments[name], CLEAN_REPORT_KEY, drifted=False)
    return environments


RegisterDev = Callable[..., DevVersion]


@pytest.fixture
def register_dev_version(
    promotion_platform: dict[str, Environment], trained_model: bytes, training_features: Any
) -> RegisterDev:
    """Register a dev version like the training pipeline (see `register_version`)."""

    def register(*args: Any, **kwargs: Any) -> DevVersion:
        return register_version(promotion_platform["dev"], trained_model, training_features, *args, **kwargs)

    return register


@pytest.fixture
def feature_row(training_features: Any) -> str:
    """One request as the endpoint gets them: a CSV row of the 30 features."""
    return ",".join(repr(float(v)) for v in training_features.iloc[0])
