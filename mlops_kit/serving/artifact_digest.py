"""The artifact a model serves is the one its model package registered, checked by sha256.

Promotion writes the version's registered `artifact_sha256` into the SageMaker model's container
environment as `MLOPS_KIT_ARTIFACT_SHA256` (beside `ModelDataUrl`); a host that loads the model
compares the archive it fetched with it first and refuses to serve on a mismatch. Models the
stacks create before any promotion (the bootstrap model) carry no digest and are not checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from mlops_kit.errors import OperationFailed

ARTIFACT_SHA256_VARIABLE = "MLOPS_KIT_ARTIFACT_SHA256"


def with_artifact_digest(environment: Mapping[str, str], sha256: str) -> dict[str, str]:
    """`environment` with the registered digest (a digest inherited from another model is dropped)."""
    inherited = {k: v for k, v in environment.items() if k != ARTIFACT_SHA256_VARIABLE}
    return inherited | {ARTIFACT_SHA256_VARIABLE: sha256} if sha256 else inherited


def verify_artifact(archive: bytes, environment: Mapping[str, str], *, source: str) -> None:
    """Raise OperationFailed when `archive` (read from `source`) is not the registered artifact."""
    expected = environment.get(ARTIFACT_SHA256_VARIABLE, "")
    if not expected:
        return
    actual = hashlib.sha256(archive).hexdigest()
    if actual != expected.lower():
        raise OperationFailed(
            f"{source} has sha256 {actual}, but the registered artifact has {expected}; "
            "refusing to load it (it was changed after promotion)"
        )
