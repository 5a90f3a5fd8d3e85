"""`kit shadow`: a candidate gets a copy of live requests (a SageMaker shadow variant), its answers
are captured and compared, never returned; stopping returns the endpoint to what served."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from promotion_support import MODEL, register_version
from test_canary_analysis import scoring_model_archive, serving_config, staging_serves_a_scoring_model

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
__all__ = ["staging_serves_a_scoring_model"]  # the fixture, used by name


def kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out if code == 0 else out + err


def test_a_shadow_gets_its_share_of_requests_is_reported_and_never_answers(
    promotion_platform: dict[str, Environment],
    staging_serves_a_scoring_model: None,
    trained_model: bytes,
    training_features: Any,
    feature_row: str,
    capsys: pytest.CaptureFixture[str],
) -> None:

    staging = promotion_platform["staging"]
    live_config = serving_config(staging)
    # A candidate in staging's registry whose scores lie 3 higher than the live model's.
    candidate = register_version(
        staging, trained_model, training_features, archive=scoring_model_archive(offset=3.0)
    ).version
    code, output = kit(
        capsys, "shadow", "start", MODEL, str(candidate), "--env", "staging", "--percent", "50"
    )
    assert code == 0, output

    runtime = admin_clients(staging).client("sagemaker-runtime")
    endpoint = ResourceNames(staging).endpoint(MODEL)
    scores = [
        json.loads(
            runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=feature_row.encode())[
                "Body"
            ].read()
        )["score"]
        for _ in range(40)
    ]
    assert all(score < 1.0 for score in scores)  # only the live model answers
    time.sleep(1.5)  # the copies are answered on threads; metrics are published every 0.2 s

    code, output = kit(capsys, "shadow", "report", "--env", "staging", "--model", MODEL, "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["live"]["requests"] == 40 and report["shadow"]["requests"] == 20
    assert report["shadow"]["errors"] == 0 and report["shadow"]["outputs"] == 20
    assert report["output_psi"] > 1.0

    code, output = kit(capsys, "shadow", "stop", "--env", "staging", "--model", MODEL)
    assert code == 0, output
    assert serving_config(staging) == live_config
    code, output = kit(capsys, "endpoint", "verify", "--env", "staging")
    assert code == 0, output
