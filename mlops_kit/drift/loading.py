"""Reading a baseline document on the kit's side, where a bad one is the user's input error."""

from __future__ import annotations

from mlops_kit.drift.baseline_document import Baseline, BaselineError
from mlops_kit.errors import BadInput


def load_baseline(text: str | bytes, *, source: str = "baseline") -> Baseline:
    """Parse a baseline document; BadInput naming `source` if it is invalid."""
    try:
        return Baseline.from_json(text)
    except BaselineError as error:
        raise BadInput(f"{source}: {error}") from error
