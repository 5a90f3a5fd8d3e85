"""Fault injection: the emulator stops, or answers an API error, at every step boundary of a
promotion in turn; a re-run converges on one target version, serving, no orphaned endpoint
configuration, one `promoted` record in the audit log, and the version's drift baseline as the
target's default one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config
from fault_proxy import FaultProxy
from promotion_support import MODEL

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import KitError
from mlops_kit.promotion.promote import promote_model_version
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

LOCKS, AUDIT = "promotion-locks", "-audit-"

# The first request of each step (the boundary before it), as seen on the wire.
BOUNDARIES = {
    "lock": lambda r: r.operation == "PutItem" and LOCKS.encode() in r.body,
    "gates": lambda r: r.operation == "DescribeEndpoint",
    "copy": lambda r: r.operation == "s3:PUT" and "/models/" in r.path and r.path.endswith("/model.tar.gz"),
    "copy-baseline": lambda r: (
        r.operation == "s3:PUT" and "/models/" in r.path and "/drift-baseline-" in r.path
    ),
    "register": lambda r: r.operation == "CreateModelPackage",
    "approve": lambda r: r.operation == "UpdateModelPackage",
    "rollout-model": lambda r: r.operation == "CreateModel",
    "rollout-config": lambda r: r.operation == "CreateEndpointConfig",
    "rollout-update": lambda r: r.operation == "UpdateEndpoint",
    "default-baseline": lambda r: r.operation == "s3:PUT" and "/drift-baselines/" in r.path,
    "audit": lambda r: (
        r.operation == "s3:PUT" and AUDIT in r.path and "/records/" in r.path and b'"promoted"' in r.body
    ),
    "release": lambda r: r.operation == "DeleteItem",
}


@pytest.fixture
def proxy(emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:  # type: ignore[no-untyped-def]
    """Clients reach the emulator through the proxy; one attempt per call so faults surface at once."""
    import mlops_kit.aws.clients as clients_module

    fault_proxy = FaultProxy(emulator.port)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.endpoint_url)
    monkeypatch.setattr(
        clients_module, "RETRY_CONFIG", Config(retries={"max_attempts": 1}, connect_timeout=2)
    )
    yield fault_proxy
    fault_proxy.close()


def end_state(env: Environment, dev_arn: str) -> tuple[int, bool, list[str], list[str]]:
    from mlops_kit.promotion.audit import read_events
    from mlops_kit.promotion.drift_baseline import default_baseline_key
    from mlops_kit.registry.versions import list_versions
    from mlops_kit.serving.state import serving_state, version_of_config

    clients = admin_clients(env)
    versions = list_versions(clients, env, MODEL)
    copies = [v for v in versions if v.lineage.source_version_arn == dev_arn]
    state = serving_state(clients, env, MODEL)
    prefix = ResourceNames(env).endpoint(MODEL) + "-v"
    configs = clients.client("sagemaker").list_endpoint_configs(NameContains=prefix, MaxResults=100)[
        "EndpointConfigs"
    ]
    known = {v.version for v in versions}
    orphans = [
        c["EndpointConfigName"]
        for c in configs
        if version_of_config(env, MODEL, c["EndpointConfigName"]) not in known
    ]
    outcomes = [e.outcome for e in read_events(clients, env, MODEL) if e.source_version_arn == dev_arn]
    assert len(copies) == 1, f"{len(copies)} target versions"
    default = clients.client("s3").head_object(
        Bucket=ResourceNames(env).artifact_bucket, Key=default_baseline_key(MODEL)
    )
    assert default["Metadata"]["model-package"] == copies[0].arn
    return (
        copies[0].version,
        state.version == copies[0].version and copies[0].status == "Approved",
        orphans,
        outcomes,
    )


@pytest.mark.parametrize("mode", ["stop", "error"])
@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_a_rerun_after_a_fault_at_a_step_boundary_converges(
    promotion_platform: dict[str, Environment],
    register_dev_version,
    proxy: FaultProxy,
    boundary: str,
    mode: str,
) -> None:
    staging = promotion_platform["staging"]
    dev = register_dev_version()
    proxy.arm(lambda r: BOUNDARIES[boundary](r), mode)
    try:
        promote_model_version(MODEL, "staging", version=dev.version)
        interrupted = False
    except KitError:
        interrupted = True
    assert proxy.fired.is_set(), f"no request crossed the {boundary} boundary"
    # Only a failed lock release can go unnoticed (the promotion itself completed).
    assert interrupted or boundary == "release"
    proxy.resume()

    result = promote_model_version(MODEL, "staging", version=dev.version)
    assert result.outcome in ("promoted", "already promoted")
    version, serving, orphans, outcomes = end_state(staging, dev.arn)
    assert version == result.target_version
    assert serving
    assert orphans == []
    assert outcomes.count("promoted") == 1
    assert set(outcomes) <= {"promoted", "failed"}
