"""Fixtures of the drift job tests: scikit-learn's breast cancer data as baseline and current data."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from mlops_kit.drift import build_baseline

# Ten of thirty features: a third, above the default drifted share of 0.3.
SHIFTED_FEATURES = (
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "mean symmetry",
    "mean fractal dimension",
)


@pytest.fixture(scope="session")
def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).data


@pytest.fixture(scope="session")
def drift_files(breast_cancer: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """baseline.json of the whole data set; same.csv (a resample), shifted.csv (ten features moved by
    one standard deviation), renamed.csv (a column renamed)."""
    folder = tmp_path_factory.mktemp("drift-files")
    baseline = folder / "baseline.json"
    baseline.write_text(build_baseline(breast_cancer).to_json())
    same = breast_cancer.sample(n=500, random_state=7)
    shifted = same.copy()
    for column in SHIFTED_FEATURES:
        shifted[column] = shifted[column] + breast_cancer[column].std()
    paths = {"baseline": baseline, "same": folder / "same.csv", "shifted": folder / "shifted.csv"}
    same.to_csv(paths["same"], index=False)
    shifted.to_csv(paths["shifted"], index=False)
    paths["renamed"] = folder / "renamed.csv"
    same.rename(columns={"mean radius": "radius_mean"}).to_csv(paths["renamed"], index=False)
    return paths


def capture_line(values: list[float], at: datetime) -> str:
    """One request as SageMaker's data capture writes it (CSV payload, no header)."""
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join(repr(float(v)) for v in values),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "application/json",
                    "mode": "OUTPUT",
                    "data": '{"predictions": [0]}',
                    "encoding": "JSON",
                },
            },
            "eventMetadata": {
                "eventId": str(uuid.uuid4()),
                "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            },
            "eventVersion": "0",
        }
    )
