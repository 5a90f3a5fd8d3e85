"""Creates that the SDK may resend after a lost answer are idempotent by their ClientRequestToken,
as in SageMaker: the resend gets the pipeline it made; a new request for the same name conflicts."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Emulator, account_root

pytestmark = pytest.mark.emulator

ACCOUNT = "555555555555"


def test_a_resent_create_pipeline_gets_the_same_pipeline(emulator: Emulator) -> None:
    sagemaker = account_root(ACCOUNT).client("sagemaker", endpoint_url=emulator.endpoint_url)
    request = {
        "PipelineName": "resent",
        "PipelineDefinition": json.dumps({"Version": "2020-12-01", "Steps": []}),
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline",
    }
    first = sagemaker.create_pipeline(**request, ClientRequestToken="1" * 32)["PipelineArn"]
    assert sagemaker.create_pipeline(**request, ClientRequestToken="1" * 32)["PipelineArn"] == first
    with pytest.raises(ClientError, match="must be unique"):
        sagemaker.create_pipeline(**request, ClientRequestToken="2" * 32)
