"""The serving host loads a model only when its archive is the artifact the package registered."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from local_aws.sagemaker.model_host import HostKey, ModelHosts
from mlops_kit.errors import OperationFailed
from mlops_kit.serving.artifact_digest import ARTIFACT_SHA256_VARIABLE, with_artifact_digest
from tests.artifacts.test_archive_extraction import archive_of

KEY = HostKey("123456789012", "kit-prod-endpoint", "m-v4", "s3://bucket/m/v4/model.tar.gz", "etag")


def test_model_host_refuses_an_archive_whose_sha256_is_not_the_registered_one(tmp_path: Path) -> None:
    registered = archive_of(("model.joblib", "file", "the promoted weights"))
    swapped = archive_of(("model.joblib", "file", "weights put there after promotion"))
    environment = with_artifact_digest({}, hashlib.sha256(registered).hexdigest())
    hosts = ModelHosts(tmp_path)
    with pytest.raises(
        OperationFailed, match=r"s3://bucket/m/v4/model\.tar\.gz has sha256 [0-9a-f]{64}, but"
    ):
        hosts.host(KEY, swapped, environment)
    assert not (tmp_path / KEY.slug / "model").exists()


def test_promotion_digest_replaces_one_inherited_from_the_previous_model() -> None:
    inherited = {ARTIFACT_SHA256_VARIABLE: "old", "SAGEMAKER_PROGRAM": "inference.py"}
    assert with_artifact_digest(inherited, "new") == {
        "SAGEMAKER_PROGRAM": "inference.py",
        ARTIFACT_SHA256_VARIABLE: "new",
    }
    assert with_artifact_digest(inherited, "") == {"SAGEMAKER_PROGRAM": "inference.py"}
