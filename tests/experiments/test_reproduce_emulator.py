"""`kit models reproduce` on the emulator: the data version, commit, image and parameters of a
registered version train again to the same metrics."""

from __future__ import annotations

import json

import pytest

from cli.main import main as kit
from mlops_kit.config import Environment
from mlops_kit.registry.lineage import Lineage
from mlops_kit.s3_uri import split_s3_uri
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def test_registered_version_pins_its_training_data_by_s3_version_id(
    tracked: dict[str, str], dev_env: Environment
) -> None:
    clients = admin_clients(dev_env)
    described = clients.client("sagemaker").describe_model_package(ModelPackageName=tracked["version_arn"])
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    bucket, key = split_s3_uri(lineage.data_uri)
    head = clients.client("s3").head_object(Bucket=bucket, Key=key)
    assert lineage.extra["data_version_id"] == head["VersionId"] != "null"


def test_reproduce_restores_the_data_version_and_reports_every_metric_within_tolerance(
    tracked: dict[str, str], dev_env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = admin_clients(dev_env)
    sagemaker, s3 = clients.client("sagemaker"), clients.client("s3")
    described = sagemaker.describe_model_package(ModelPackageName=tracked["version_arn"])
    lineage = Lineage.from_metadata(described["CustomerMetadataProperties"])
    bucket, key = split_s3_uri(lineage.data_uri)
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    # The data set changes after the run: reproduce must still train on the version it pinned.
    s3.put_object(Bucket=bucket, Key=key, Body=original.replace(b"\n1,", b"\n0,", 40))
    try:
        capsys.readouterr()
        code = kit(
            [
                "models",
                "reproduce",
                "tumor-classifier",
                str(described["ModelPackageVersion"]),
                "--env",
                "dev",
                "--json",
            ]
        )
        out, err = capsys.readouterr()
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=original)
    assert code == 0, err
    result = json.loads(out)
    assert result["within_tolerance"] is True
    assert {m["metric"] for m in result["metrics"]} == set(lineage.metrics)
    assert all(abs(m["difference"]) <= result["tolerance"] for m in result["metrics"])
    assert result["data_uri"].endswith(f"/pinned/{lineage.data_sha256}.csv")
    reproduced = sagemaker.describe_model_package(ModelPackageName=result["reproduced_arn"])
    again = Lineage.from_metadata(reproduced["CustomerMetadataProperties"])
    assert again.data_sha256 == lineage.data_sha256 and again.hyperparameters == lineage.hyperparameters
