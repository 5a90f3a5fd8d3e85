"""The data set tumor-classifier ships with: scikit-learn's copy of the Wisconsin diagnostic breast
cancer data (569 rows, 30 features, `target` 1 = malignant), nothing downloaded."""

from __future__ import annotations


def bundled_csv() -> bytes:
    from mlops_kit.pipeline.dataset import bundled_dataset_csv

    return bundled_dataset_csv()
