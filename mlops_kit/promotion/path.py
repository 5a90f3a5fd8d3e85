"""The promotion path dev -> staging -> prod: which environment a promotion comes from."""

from __future__ import annotations

from mlops_kit.config import ENVIRONMENT_ORDER
from mlops_kit.errors import BadInput

PROMOTION_PATH: tuple[str, ...] = ENVIRONMENT_ORDER


def source_of(target: str, source: str | None = None) -> str:
    """The environment a promotion into `target` copies from; refuse a wrong direction or a skip."""
    if target not in PROMOTION_PATH:
        raise BadInput(
            f"unknown environment '{target}' (expected one of {', '.join(PROMOTION_PATH[1:])})", argument="to"
        )
    index = PROMOTION_PATH.index(target)
    if index == 0:
        raise BadInput(
            f"{target} is the start of the path {' -> '.join(PROMOTION_PATH)}; "
            "versions enter it through the training pipeline, not by promotion",
            argument="to",
        )
    expected = PROMOTION_PATH[index - 1]
    if source is None or source == expected:
        return expected
    if source not in PROMOTION_PATH:
        raise BadInput(f"unknown environment '{source}' (expected {expected})", argument="from")
    if PROMOTION_PATH.index(source) >= index:
        raise BadInput(
            f"{source} -> {target} is the wrong direction; promotion goes {' -> '.join(PROMOTION_PATH)}",
            argument="from",
        )
    skipped = ", ".join(PROMOTION_PATH[PROMOTION_PATH.index(source) + 1 : index])
    raise BadInput(
        f"{source} -> {target} skips {skipped}; promote to {target} from {expected}", argument="from"
    )
