"""A promoted version's drift baseline moves with it: the target keeps its own verified copy, the
version's lineage points at that copy, and the target's default baseline (what its scheduled drift
pipeline reads) is the baseline of the version serving, after a promotion and after a rollback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from promotion_support import MODEL

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.drift_baseline import default_baseline_key, default_baseline_uri
from mlops_kit.promotion.promote import promote_model_version
from tests.conftest import admin_clients


def read_object(env: Environment, uri: str) -> bytes:

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bytes(admin_clients(env).client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def default_baseline(env: Environment) -> bytes:
    return read_object(env, f"s3://{ResourceNames(env).artifact_bucket}/{default_baseline_key(MODEL)}")


def test_the_default_baseline_is_where_the_drift_pipeline_reads_it(
    environments: dict[str, Environment],
) -> None:
    from pipelines.drift_definition import default_baseline_uri as pipeline_default

    for env in environments.values():
        assert default_baseline_uri(env, MODEL) == pipeline_default(env, MODEL)


@pytest.mark.emulator
@pytest.mark.slow
def test_a_promotion_to_staging_makes_the_versions_baseline_stagings_default(
    promotion_platform: dict[str, Environment], register_dev_version
) -> None:
    from mlops_kit.registry.versions import get_version

    staging = promotion_platform["staging"]
    dev = register_dev_version()
    result = promote_model_version(MODEL, "staging", version=dev.version)

    assert default_baseline(staging) == dev.baseline
    assert result.drift_baseline_uri == default_baseline_uri(staging, MODEL)
    assert result.target_version is not None
    lineage = get_version(admin_clients(staging), staging, MODEL, result.target_version).lineage
    assert lineage.drift_baseline_uri.startswith(f"s3://{ResourceNames(staging).artifact_bucket}/models/")
    assert read_object(staging, lineage.drift_baseline_uri) == dev.baseline


@pytest.mark.emulator
@pytest.mark.slow
def test_rollback_makes_the_rolled_back_to_versions_baseline_the_default(
    promotion_platform: dict[str, Environment], register_dev_version, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = promotion_platform["staging"]
    first_dev = register_dev_version()
    first = promote_model_version(MODEL, "staging", version=first_dev.version)
    second_dev = register_dev_version()
    promote_model_version(MODEL, "staging", version=second_dev.version)
    assert default_baseline(staging) == second_dev.baseline

    capsys.readouterr()
    assert main(["rollback", "--env", "staging", "--to", str(first.target_version), "--yes", "--json"]) == 0
    rolled_back = json.loads(capsys.readouterr().out)
    assert rolled_back["to_version"] == first.target_version
    assert rolled_back["drift_baseline_uri"] == default_baseline_uri(staging, MODEL)
    assert default_baseline(staging) == first_dev.baseline


@pytest.fixture
def staging_capture(promotion_platform: dict[str, Environment], training_features: Any) -> Iterator[None]:
    """Capture of training-like requests in staging for the test; afterwards the capture object and
    the reports written by `kit drift run --env staging` are removed (the latest report is the
    drift check that prod's drift gate reads in later tests)."""

    staging = promotion_platform["staging"]
    s3 = admin_clients(staging).client("s3")
    bucket = ResourceNames(staging).artifact_bucket
    prefix = f"drift-reports/{MODEL}/"

    def keys() -> set[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return {o["Key"] for o in listed}

    before = keys()
    capture = put_capture(staging, training_features.sample(n=300, random_state=11))
    yield
    for key in [*(keys() - before), capture]:
        s3.delete_object(Bucket=bucket, Key=key)


def put_capture(env: Environment, rows: Any) -> str:
    """Data capture of the endpoint half an hour ago: `rows` as SageMaker writes requests (CSV
    payloads); returns the object's key."""

    names = ResourceNames(env)
    bucket, _, prefix = names.data_capture_prefix(MODEL).removeprefix("s3://").partition("/")
    at = datetime.now(UTC) - timedelta(minutes=30)
    lines = [
        json.dumps(
            {
                "captureData": {
                    "endpointInput": {
                        "observedContentType": "text/csv",
                        "mode": "INPUT",
                        "data": ",".join(repr(float(v)) for v in row),
                        "encoding": "CSV",
                    }
                },
                "eventMetadata": {
                    "eventId": str(uuid.uuid4()),
                    "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
                "eventVersion": "0",
            }
        )
        for row in rows.itertuples(index=False)
    ]
    key = f"{prefix}/{names.endpoint(MODEL)}/AllTraffic/{at:%Y/%m/%d/%H}/{uuid.uuid4()}.jsonl"
    admin_clients(env).client("s3").put_object(
        Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode()
    )
    return key


@pytest.mark.emulator
@pytest.mark.slow
def test_kit_drift_run_env_staging_reads_the_serving_versions_baseline_in_stagings_bucket(
    promotion_platform: dict[str, Environment],
    register_dev_version,
    staging_capture: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = promotion_platform["staging"]
    result = promote_model_version(MODEL, "staging", version=register_dev_version().version)

    capsys.readouterr()
    code = main(["drift", "run", "--env", "staging", "--since", "2h", "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    checked = json.loads(out)
    assert checked["baseline_uri"].startswith(
        f"s3://{ResourceNames(staging).artifact_bucket}/models/{MODEL}/"
    )
    assert checked["baseline_from"] == f"serving version {result.target_version}"
