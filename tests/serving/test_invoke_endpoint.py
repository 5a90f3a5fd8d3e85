"""InvokeEndpoint on the emulator runs the endpoint's own model; data capture lands in S3."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from mlops_kit.config import Environment, ResourceNames
from tests.conftest import admin_clients
from tests.serving.conftest import MODEL, ServedModel

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def _csv(row: list[float]) -> str:
    return ",".join(repr(float(v)) for v in row)


def test_bootstrap_endpoint_refuses_predictions_with_its_message(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment]
) -> None:

    env = environments["staging"]
    clients = admin_clients(env)
    sagemaker = clients.client("sagemaker")
    endpoint = ResourceNames(env).endpoint(MODEL)
    # A fresh endpoint on the configuration Terraform created, so no promotion has touched it.
    probe = f"bootstrap-probe-{uuid.uuid4().hex[:6]}"
    sagemaker.create_endpoint(EndpointName=probe, EndpointConfigName=f"{endpoint}-bootstrap")

    with pytest.raises(ClientError) as raised:
        clients.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=probe, ContentType="text/csv", Body=b"1,2,3"
        )

    error = raised.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert "no model version has been promoted to this endpoint yet" in error["Error"]["Message"]
    assert error["OriginalStatusCode"] == 500


def test_unknown_endpoint_is_a_validation_error(
    platform: dict[str, dict[str, object]], environments: dict[str, Environment]
) -> None:

    with pytest.raises(ClientError) as raised:
        admin_clients(environments["dev"]).client("sagemaker-runtime").invoke_endpoint(
            EndpointName="no-such-endpoint", ContentType="text/csv", Body=b"1"
        )
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "no-such-endpoint" in raised.value.response["Error"]["Message"]


def test_trained_model_predicts_csv_rows(served_model: ServedModel, dataset_rows: list[list[float]]) -> None:

    runtime = admin_clients(served_model.env).client("sagemaker-runtime")
    rows = dataset_rows[:20]
    body = "\n".join(_csv(row[1:]) for row in rows)

    response = runtime.invoke_endpoint(
        EndpointName=served_model.endpoint, ContentType="text/csv", Accept="application/json", Body=body
    )

    assert response["InvokedProductionVariant"] == "primary"
    predictions = json.loads(response["Body"].read())["predictions"]
    assert len(predictions) == len(rows)
    correct = sum(p["label"] == int(row[0]) for p, row in zip(predictions, rows, strict=True))
    assert correct >= 18  # a real model, not canned data
    assert all(0.0 <= p["probability"] <= 1.0 for p in predictions)


def test_trained_model_predicts_json_instances(
    served_model: ServedModel, dataset_rows: list[list[float]]
) -> None:

    runtime = admin_clients(served_model.env).client("sagemaker-runtime")
    body = json.dumps({"instances": [row[1:] for row in dataset_rows[:3]]})

    response = runtime.invoke_endpoint(
        EndpointName=served_model.endpoint, ContentType="application/json", Body=body
    )

    predictions = json.loads(response["Body"].read())["predictions"]
    assert [p["label"] for p in predictions] == [int(row[0]) for row in dataset_rows[:3]]


def test_bad_request_reaches_the_caller_as_model_error(served_model: ServedModel) -> None:

    runtime = admin_clients(served_model.env).client("sagemaker-runtime")
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(EndpointName=served_model.endpoint, ContentType="text/csv", Body=b"1,2,3")
    assert raised.value.response["Error"]["Code"] == "ModelError"
    assert "each row needs 30 values, got 3" in raised.value.response["Error"]["Message"]


def test_invocations_are_captured_in_sagemaker_format(
    served_model: ServedModel, dataset_rows: list[list[float]]
) -> None:

    clients = admin_clients(served_model.env)
    marker = _csv(dataset_rows[42][1:])
    inference_id = uuid.uuid4().hex
    clients.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=served_model.endpoint, ContentType="text/csv", Body=marker, InferenceId=inference_id
    )

    bucket, _, prefix = served_model.capture_prefix.removeprefix("s3://").partition("/")
    s3 = clients.client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/{served_model.endpoint}/primary/"
        )
        for o in page.get("Contents", [])
    ]
    records = [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    ]
    record = next(r for r in records if r["eventMetadata"].get("inferenceId") == inference_id)
    key = next(k for k in keys if inference_id in s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode())

    parts = key.removeprefix(f"{prefix}/{served_model.endpoint}/primary/").split("/")
    assert [len(p) for p in parts[:4]] == [4, 2, 2, 2] and parts[4].endswith(".jsonl")
    assert record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": marker,
        "encoding": "CSV",
    }
    output = record["captureData"]["endpointOutput"]
    assert output["mode"] == "OUTPUT" and output["encoding"] == "JSON"
    assert output["observedContentType"] == "application/json"
    assert json.loads(output["data"])["predictions"][0]["label"] == int(dataset_rows[42][0])
    assert uuid.UUID(record["eventMetadata"]["eventId"])
    assert record["eventMetadata"]["inferenceTime"].endswith("Z")


def test_requests_in_the_same_minute_share_one_capture_file(
    served_model: ServedModel, dataset_rows: list[list[float]]
) -> None:
    """Like SageMaker, capture goes into files that collect records for a while, not one per request."""

    clients = admin_clients(served_model.env)
    runtime = clients.client("sagemaker-runtime")
    ids = [uuid.uuid4().hex for _ in range(5)]
    for number, inference_id in enumerate(ids):
        runtime.invoke_endpoint(
            EndpointName=served_model.endpoint,
            ContentType="text/csv",
            Body=_csv(dataset_rows[number][1:]),
            InferenceId=inference_id,
        )

    bucket, _, prefix = served_model.capture_prefix.removeprefix("s3://").partition("/")
    s3 = clients.client("s3")
    holding = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix}/{served_model.endpoint}/primary/"
    ):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            for line in body.splitlines():
                found = json.loads(line)["eventMetadata"].get("inferenceId")
                if found in ids:
                    holding[found] = item["Key"]
    assert sorted(holding) == sorted(ids), "every request is captured once"
    # Five requests a moment apart fill at most two files (a minute boundary may fall between).
    assert len(set(holding.values())) <= 2
