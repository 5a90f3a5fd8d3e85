"""Ground-truth labels: one per inference id (the `InferenceId` a caller gave InvokeEndpoint, which
data capture records as `eventMetadata.inferenceId`), 0 or 1 for the kit's binary classifiers.

A table of labels is checked row by row; bad rows are counted by reason, never fatal on their own:
"missing_id" (empty id), "wrong_type" (a label that is not 0 or 1: text, 2, 0.5, empty),
"duplicated" (an id given again with the same label: kept once), "conflicting" (an id given with
different labels: every row of it dropped). Only a table with nothing usable left is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from mlops_kit.errors import BadInput

REJECT_REASONS = ("missing_id", "wrong_type", "duplicated", "conflicting")


@dataclass(frozen=True)
class LabelBatch:
    """Usable labels by inference id, and the rows left out by reason."""

    labels: dict[str, int]
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())


def labels_of_frame(
    frame: pd.DataFrame, *, id_column: str = "inference_id", label_column: str = "label"
) -> LabelBatch:
    """The usable labels of a table; BadInput naming the option when a column is missing, or when
    no row is usable."""
    for option, column in (("id_column", id_column), ("label_column", label_column)):
        if column not in frame.columns:
            raise BadInput(
                f"no column {column!r} (the file has {', '.join(map(str, frame.columns))})", argument=option
            )
    batch = _batch((_identifier(i), _label(v)) for i, v in zip(frame[id_column], frame[label_column]))
    if not batch.labels:
        raise BadInput(f"FILE: no usable label ({_counts(batch.rejected)})")
    return batch


def merge_label_batches(batches: Iterable[LabelBatch]) -> LabelBatch:
    """Labels of several uploads: an id given again with the same label counts once ("duplicated"),
    with another label it is dropped ("conflicting"); the batches' own rejects add up."""
    rejected: dict[str, int] = {}
    pairs: list[tuple[str | None, int | None]] = []
    for batch in batches:
        for reason, count in batch.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + count
        pairs.extend(batch.labels.items())
    merged = _batch(pairs)
    for reason, count in merged.rejected.items():
        rejected[reason] = rejected.get(reason, 0) + count
    return LabelBatch(merged.labels, rejected)


def labels_jsonl(batch: LabelBatch) -> bytes:
    """The stored form: one `{"inference_id": ..., "label": ...}` per line, sorted by id."""
    lines = [json.dumps({"inference_id": i, "label": v}) for i, v in sorted(batch.labels.items())]
    return ("\n".join(lines) + "\n").encode()


def parse_labels_jsonl(content: bytes) -> LabelBatch:
    """A stored labels object read back (a line that is not a label counts as "wrong_type")."""
    pairs: list[tuple[str | None, int | None]] = []
    for line in content.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pairs.append((_identifier(record.get("inference_id")), _label(record.get("label"))))
        except (ValueError, AttributeError):
            pairs.append(("?", None))
    return _batch(pairs)


def _batch(pairs: Iterable[tuple[str | None, int | None]]) -> LabelBatch:
    rejected = dict.fromkeys(REJECT_REASONS, 0)
    seen: dict[str, set[int]] = {}
    rows: dict[str, int] = {}
    for identifier, label in pairs:
        if identifier is None:
            rejected["missing_id"] += 1
        elif label is None:
            rejected["wrong_type"] += 1
        else:
            seen.setdefault(identifier, set()).add(label)
            rows[identifier] = rows.get(identifier, 0) + 1
    labels: dict[str, int] = {}
    for identifier, values in seen.items():
        if len(values) > 1:
            rejected["conflicting"] += rows[identifier]
        else:
            labels[identifier] = next(iter(values))
            rejected["duplicated"] += rows[identifier] - 1
    return LabelBatch(labels, {reason: count for reason, count in rejected.items() if count})


def _identifier(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _label(value: object) -> int | None:
    """0 or 1 from 0, 1, 0.0, 1.0, "0", "1", true/false; None for anything else."""
    if hasattr(value, "item"):  # a numpy scalar, as pandas gives them
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return int(text == "true")
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return int(value) if value in (0, 1) else None
    return None


def _counts(rejected: dict[str, int]) -> str:
    return ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in rejected.items()) or "no rows"
