"""Verified deploys: `kit endpoint verify` reads back what the endpoint serves and compares it with
the audit log, the registry and the environment file; every promotion ends with it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from promotion_support import MODEL

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.promote import promote_model_version
from mlops_kit.serving.state import config_name
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `kit ARGS`: its exit code and standard output (with --json, the document alone)."""
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def wait_in_service(sagemaker: Any, endpoint: str) -> None:
    deadline = time.monotonic() + 60
    while sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_promotion_ends_verified_and_kit_endpoint_verify_agrees(
    promotion_platform: dict[str, Environment],
    register_dev_version: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    version = register_dev_version().version
    code, output = kit(
        capsys, "promote", MODEL, "--to", "staging", "--version", str(version), "--yes", "--json"
    )
    assert code == 0, output
    result = json.loads(output)
    assert result["verification"]["matches"] is True, result["verification"]
    assert result["verification"]["intended"].startswith(f"v{result['to']['version']} (promotion ")

    code, output = kit(capsys, "endpoint", "verify", "--env", "staging", "--json")
    assert code == 0, output
    [verified] = json.loads(output)
    assert verified["serving"]["config"] == config_name(
        promotion_platform["staging"], MODEL, result["to"]["version"]
    )
    assert verified["serving"]["variants"][0]["artifact_sha256"]


def test_kit_endpoint_verify_names_a_rollback_made_behind_the_kits_back(
    promotion_platform: dict[str, Environment],
    register_dev_version: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:

    staging = promotion_platform["staging"]
    first = promote_model_version(
        MODEL, "staging", version=register_dev_version().version, environments=promotion_platform
    )
    second = promote_model_version(
        MODEL, "staging", version=register_dev_version().version, environments=promotion_platform
    )
    assert second.verification and second.verification["matches"]
    endpoint = ResourceNames(staging).endpoint(MODEL)
    sagemaker = admin_clients(staging).client("sagemaker")
    previous = config_name(staging, MODEL, int(first.target_version or 0))
    current = config_name(staging, MODEL, int(second.target_version or 0))
    # Someone points the endpoint back at the previous configuration, outside the kit.
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=previous)
    wait_in_service(sagemaker, endpoint)
    try:
        code, output = kit(capsys, "endpoint", "verify", "--env", "staging")
        assert code == 1, output
        assert "rollback that happened behind the kit's back" in output
        assert f"v{first.target_version}" in output and f"v{second.target_version}" in output
    finally:
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=current)
        wait_in_service(sagemaker, endpoint)
    code, output = kit(capsys, "endpoint", "verify", "--env", "staging")
    assert code == 0, output


def test_kit_endpoint_verify_finds_a_never_promoted_endpoint_serving_terraforms_bootstrap(
    promotion_platform: dict[str, Environment], capsys: pytest.CaptureFixture[str]
) -> None:

    # Dev as `cdktf deploy` left it: the serving tests (tests/serving), which may run before this one
    # on its worker, point dev's endpoint at configurations of their own.
    dev = promotion_platform["dev"]
    endpoint = ResourceNames(dev).endpoint(MODEL)
    sagemaker = admin_clients(dev).client("sagemaker")
    bootstrap = f"{endpoint}-bootstrap"
    if sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"] != bootstrap:
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=bootstrap)
        wait_in_service(sagemaker, endpoint)
    code, output = kit(capsys, "endpoint", "verify", "--env", "dev", "--json")
    assert code == 0, output
    [verified] = json.loads(output)
    assert verified["intended"].startswith("the bootstrap model")
    assert verified["serving"]["config"].endswith("-bootstrap")
