"""The data set wine-classifier ships with: scikit-learn's copy of the UCI wine recognition data
(178 wines, 13 chemical measurements, three cultivars), nothing downloaded.

The data holds no categorical column, so one is derived: `alcohol_level` (low below 12.5 % vol,
medium below 13.5, high above), binned from `alcohol` at fixed cut points so every row, in training
and in requests, bins the same way.
"""

from __future__ import annotations

import io

ALCOHOL_LEVELS = ((12.5, "low"), (13.5, "medium"), (float("inf"), "high"))


def alcohol_level(alcohol: float) -> str:
    return next(label for limit, label in ALCOHOL_LEVELS if alcohol < limit)


def bundled_csv() -> bytes:
    """CSV with a `cultivar` column (0, 1, 2), snake_case measurements and `alcohol_level`;
    byte-identical each call."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace("/", "_")).rename(columns={"target": "cultivar"})
    frame["alcohol_level"] = frame["alcohol"].map(alcohol_level)
    frame = frame[["cultivar", *[c for c in frame.columns if c != "cultivar"]]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6g")
    return buffer.getvalue().encode()
