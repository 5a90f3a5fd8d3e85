"""Labels as users upload them: bad rows counted by reason, never fatal unless nothing is usable."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_kit.errors import BadInput
from mlops_kit.quality import labels_jsonl, labels_of_frame, merge_label_batches, parse_labels_jsonl


def frame(ids: list[object], labels: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"inference_id": ids, "label": labels})


def test_labels_in_the_forms_a_spreadsheet_gives_are_read_as_0_or_1() -> None:
    batch = labels_of_frame(frame(["a", "b", "c", "d", "e"], [1, 0.0, "1", "false", True]))
    assert batch.labels == {"a": 1, "b": 0, "c": 1, "d": 0, "e": 1}
    assert batch.rejected == {}


def test_bad_rows_are_counted_by_reason_and_the_rest_kept() -> None:
    batch = labels_of_frame(
        frame(
            ["a", None, "b", "c", "c", "d", "d", "e"],
            [1, 1, "malignant", 0, 0, 1, 0, 2],
        )
    )
    assert batch.labels == {"a": 1, "c": 0}
    assert batch.rejected == {"missing_id": 1, "wrong_type": 2, "duplicated": 1, "conflicting": 2}


def test_a_file_with_nothing_usable_is_refused_with_its_counts() -> None:
    with pytest.raises(BadInput) as raised:
        labels_of_frame(frame(["a", "a", None], [0, 1, 1]))
    assert raised.value.message.startswith("FILE: no usable label")
    assert "2 conflicting" in raised.value.message and "1 missing id" in raised.value.message


def test_a_missing_column_names_the_option_that_chose_it() -> None:
    with pytest.raises(BadInput) as raised:
        labels_of_frame(frame(["a"], [1]), label_column="truth")
    assert raised.value.argument == "label_column"
    assert "'truth'" in raised.value.message and "inference_id, label" in raised.value.message


def test_stored_labels_read_back_and_merge_across_uploads() -> None:
    first = parse_labels_jsonl(labels_jsonl(labels_of_frame(frame(["a", "b"], [1, 0]))))
    second = parse_labels_jsonl(labels_jsonl(labels_of_frame(frame(["b", "c"], [1, 1]))))
    merged = merge_label_batches([first, second])
    assert merged.labels == {"a": 1, "c": 1}  # b was given 0, then 1
    assert merged.rejected == {"conflicting": 2}
    again = merge_label_batches([first, first])
    assert again.labels == {"a": 1, "b": 0} and again.rejected == {"duplicated": 2}


def test_a_stored_line_that_is_not_a_label_counts_as_wrong_type() -> None:
    batch = parse_labels_jsonl(b'{"inference_id": "a", "label": 1}\nnot json\n')
    assert batch.labels == {"a": 1} and batch.rejected == {"wrong_type": 1}
