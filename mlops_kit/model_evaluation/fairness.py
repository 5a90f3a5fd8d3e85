"""Group fairness of a classifier's answers over the groups of a sensitive attribute.

For the favorable class f, each group g gets its selection rate P(predicted = f | group g) and its
true positive rate P(predicted = f | truth = f, group g). The reported differences are the largest
gap between two groups:

    demographic_parity_difference = max_g selection_rate - min_g selection_rate
    equal_opportunity_difference  = max_g true_positive_rate - min_g true_positive_rate

(fairlearn's "between groups" definitions). A group without a row of the favorable class has no
true positive rate and takes no part in the second; with fewer than two such groups it is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

METRICS = ("demographic_parity_difference", "equal_opportunity_difference")


def group_rates(
    groups: Sequence[Any], truth: Sequence[Any], predicted: Sequence[Any], favorable: Any
) -> list[dict[str, Any]]:
    """Per group (sorted by name): rows, rows of the favorable class, selection rate, true positive rate."""
    if len({len(groups), len(truth), len(predicted)}) != 1:
        raise ValueError("groups, truth and predicted must have one entry per row")
    frame = pd.DataFrame(
        {
            "group": [str(g) for g in groups],
            "actual": np.asarray([str(t) for t in truth]) == str(favorable),
            "chosen": np.asarray([str(p) for p in predicted]) == str(favorable),
        }
    )
    rows = []
    for name, members in frame.groupby("group", sort=True):
        positives = members[members["actual"]]
        rows.append(
            {
                "group": str(name),
                "rows": len(members),
                "favorable_rows": len(positives),
                "selection_rate": round(float(members["chosen"].mean()), 6),
                "true_positive_rate": (
                    round(float(positives["chosen"].mean()), 6) if len(positives) else None
                ),
            }
        )
    return rows


def _spread(values: list[float]) -> float | None:
    return round(max(values) - min(values), 6) if len(values) >= 2 else None


def fairness_report(
    attribute: str,
    groups: Sequence[Any],
    truth: Sequence[Any],
    predicted: Sequence[Any],
    favorable: Any,
) -> dict[str, Any]:
    """The evaluation report's `fairness` section: the attribute, the favorable class, each group's
    rates and the two differences (None where fewer than two groups can be compared)."""
    rates = group_rates(groups, truth, predicted, favorable)
    return {
        "sensitive_attribute": attribute,
        "favorable_class": favorable,
        "groups": rates,
        "demographic_parity_difference": _spread([r["selection_rate"] for r in rates]),
        "equal_opportunity_difference": _spread(
            [r["true_positive_rate"] for r in rates if r["true_positive_rate"] is not None]
        ),
    }
