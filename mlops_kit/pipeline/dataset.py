"""Where a model's bundled data set lives in S3 (`datasets/<model>/<file>`, the pipeline's default
DataUri), and the demo model's: scikit-learn's copy of the Wisconsin diagnostic breast cancer data
(569 rows, 30 features), shipped inside the scikit-learn package, so nothing is downloaded at run
time. Other models bring theirs in their folder (`data.bundled` of their contract)."""

from __future__ import annotations

import io

from mlops_kit.config import Environment, ResourceNames

DATASET_FILE = "breast-cancer-wisconsin.csv"


def dataset_key(model: str, file: str = DATASET_FILE) -> str:
    return f"datasets/{model}/{file}"


def dataset_uri(env: Environment, model: str, file: str = DATASET_FILE) -> str:
    return f"s3://{ResourceNames(env).artifact_bucket}/{dataset_key(model, file)}"


def bundled_dataset_csv() -> bytes:
    """CSV with a `target` column (1 = malignant) and snake_case feature names; byte-identical each call."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    # scikit-learn codes benign as 1; the kit predicts the finding that matters, malignant.
    frame["target"] = 1 - frame["target"]
    frame = frame[["target", *[c for c in frame.columns if c != "target"]]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6g")
    return buffer.getvalue().encode()
