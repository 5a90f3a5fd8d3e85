"""Canary by analysis (`serving.rollout.analysis`): the kit gives the canary its own variant,
compares it with the baseline variant over the bake, and shifts all traffic, rolls back, or pauses
for a person when the analysis is inconclusive.

These tests promote with a copy of `environments/` in which staging's rollout has analysis rules;
the rollback alarms exist (Terraform's) but stay OK: the analysis alone decides.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from promotion_support import MODEL, Traffic

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.promote import promote_model_version
from mlops_kit.serving.state import config_name
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]

SCORING_SCRIPT = """\
import json
import os
import random
import time


def model_fn(model_dir):
    with open(os.path.join(model_dir, "scoring.json")) as settings:
        return json.load(settings)


def input_fn(body, content_type):
    return body


def predict_fn(data, model):
    time.sleep(model["sleep"])
    return model["offset"] + random.random()


def output_fn(prediction, accept):
    return json.dumps({"score": prediction}), "application/json"
"""


def scoring_model_archive(offset: float = 0.0, sleep: float = 0.0) -> bytes:
    """A model that answers {"score": offset + uniform(0, 1)} after `sleep` seconds."""
    archive = io.BytesIO()
    settings = json.dumps({"offset": offset, "sleep": sleep, "run": uuid.uuid4().hex}).encode()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("code/inference.py", SCORING_SCRIPT.encode()), ("scoring.json", settings)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


ANALYSIS = """rollout:
    canary_percent: 20
    bake_minutes: {bake}
    termination_wait_minutes: 0
    analysis:
      rules:
        - {{metric: error_rate, comparison: difference, threshold: 0.05, min_requests: 25}}
        - {{metric: latency_mean_ms, comparison: difference, threshold: 100, min_requests: 25}}
        - {{metric: output_psi, comparison: max, threshold: 1.0, min_requests: 25}}
"""


def analysed_environments(folder: Path, bake: int, *, dry_run: bool = False) -> Path:
    shutil.copytree(REPO / "environments", folder)
    staging = folder / "staging.yaml"
    analysis = ANALYSIS.format(bake=bake) + ("      dry_run: true\n" if dry_run else "")
    text, count = re.subn(r"  rollout: \{[^}]*\}\n", "  " + analysis, staging.read_text())
    assert count == 1
    staging.write_text(text)
    return folder


@pytest.fixture
def staging_serves_a_scoring_model(
    promotion_platform: dict[str, Environment], register_dev_version: Any
) -> Iterator[None]:
    """Staging serves a scoring model (promoted without analysis); afterwards the data capture the
    test's traffic wrote is removed (staging's drift checks must not see it)."""

    staging = promotion_platform["staging"]
    clients = admin_clients(staging)
    bucket, _, prefix = ResourceNames(staging).data_capture_prefix(MODEL).removeprefix("s3://").partition("/")

    def capture_keys() -> set[str]:
        pages = clients.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    before = capture_keys()
    version = register_dev_version(archive=scoring_model_archive()).version
    promote_model_version(MODEL, "staging", version=version, environments=promotion_platform)
    yield
    for key in capture_keys() - before:
        clients.client("s3").delete_object(Bucket=bucket, Key=key)


def kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def serving_config(env: Environment) -> str:

    sagemaker = admin_clients(env).client("sagemaker")
    return str(
        sagemaker.describe_endpoint(EndpointName=ResourceNames(env).endpoint(MODEL))["EndpointConfigName"]
    )


def canary_configs(env: Environment) -> list[str]:
    """The two-variant canary configurations left in `env` (none once a canary is decided)."""

    sagemaker = admin_clients(env).client("sagemaker")
    listed = sagemaker.list_endpoint_configs(NameContains=ResourceNames(env).endpoint(MODEL), MaxResults=100)
    return [
        c["EndpointConfigName"]
        for c in listed["EndpointConfigs"]
        if c["EndpointConfigName"].endswith("-canary")
    ]


@pytest.mark.parametrize(
    ("archive", "failing_rule"),
    [
        (lambda: scoring_model_archive(offset=3.0), "output_psi fail"),
        (lambda: scoring_model_archive(sleep=0.25), "latency_mean_ms fail"),
    ],
    ids=["outputs", "latency"],
)
def test_a_degraded_canary_is_rolled_back_by_analysis_without_an_alarm(
    promotion_platform: dict[str, Environment],
    staging_serves_a_scoring_model: None,
    register_dev_version: Any,
    feature_row: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    archive: Any,
    failing_rule: str,
) -> None:
    staging = promotion_platform["staging"]
    before = serving_config(staging)
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(analysed_environments(tmp_path / "environments", bake=2)))
    version = register_dev_version(archive=archive()).version

    with Traffic(staging, feature_row):
        code, out, err = kit(capsys, "promote", MODEL, "--to", "staging", "--version", str(version), "--yes")

    assert code == 1, out + err
    assert "rolled back" in err and "canary analysis fail" in err and failing_rule in err
    assert "ALARM" not in err
    assert serving_config(staging) == before
    code, out, err = kit(capsys, "endpoint", "verify", "--env", "staging")
    assert code == 0, out + err


def test_a_canary_with_too_little_traffic_pauses_and_resumes_on_resume(
    promotion_platform: dict[str, Environment],
    staging_serves_a_scoring_model: None,
    register_dev_version: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = promotion_platform["staging"]
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(analysed_environments(tmp_path / "environments", bake=0)))
    version = register_dev_version(archive=scoring_model_archive()).version

    code, out, err = kit(capsys, "promote", MODEL, "--to", "staging", "--version", str(version), "--yes")
    assert code == 1, out + err
    assert "inconclusive" in err and "too few requests" in err and "--resume" in err
    paused = serving_config(staging)
    assert paused.endswith("-canary")
    code, out, err = kit(capsys, "endpoint", "verify", "--env", "staging")
    assert code == 1 and "canary" in out

    code, out, err = kit(capsys, "promote", MODEL, "--to", "staging", "--resume", "--yes", "--json")
    assert code == 0, out + err
    result = json.loads(out)
    assert (result["decision"], result["outcome"]) == ("resume", "promoted")
    assert result["verification"]["matches"] is True
    assert serving_config(staging) == config_name(staging, MODEL, result["version"])
    assert canary_configs(staging) == []
    from mlops_kit.promotion.audit import read_audit

    last = read_audit(staging, MODEL)[-2:]
    assert [e.outcome for e in last] == ["paused", "promoted"]


def test_dry_run_rules_report_a_failing_analysis_and_never_act_on_it(
    promotion_platform: dict[str, Environment],
    staging_serves_a_scoring_model: None,
    register_dev_version: Any,
    feature_row: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = promotion_platform["staging"]
    folder = analysed_environments(tmp_path / "environments", bake=1, dry_run=True)
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(folder))
    version = register_dev_version(archive=scoring_model_archive(offset=3.0)).version

    with Traffic(staging, feature_row):
        code, out, err = kit(
            capsys, "promote", MODEL, "--to", "staging", "--version", str(version), "--yes", "--json"
        )

    assert code == 0, out + err
    result = json.loads(out)
    assert result["outcome"] == "promoted"
    # Degraded outputs never pass: the analysis fails, or (a slow machine) lacks requests; either way
    # a dry run reports it and shifts all traffic, neither rolling back nor pausing.
    assert result["analysis"]["dry_run"] is True
    assert result["analysis"]["verdict"] in ("fail", "inconclusive"), result["analysis"]
    assert serving_config(staging) == config_name(staging, MODEL, result["to"]["version"])
    assert canary_configs(staging) == []


def test_aborting_a_paused_canary_rolls_it_back_and_rejects_the_version(
    promotion_platform: dict[str, Environment],
    staging_serves_a_scoring_model: None,
    register_dev_version: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlops_kit.registry.versions import get_version

    staging = promotion_platform["staging"]
    before = serving_config(staging)
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(analysed_environments(tmp_path / "environments", bake=0)))
    version = register_dev_version(archive=scoring_model_archive()).version
    code, out, err = kit(capsys, "promote", MODEL, "--to", "staging", "--version", str(version), "--yes")
    assert code == 1 and "inconclusive" in err, out + err

    code, out, err = kit(capsys, "promote", MODEL, "--to", "staging", "--abort", "--yes", "--json")
    assert code == 0, out + err
    result = json.loads(out)
    assert (result["decision"], result["outcome"]) == ("abort", "rolled back")
    assert "aborted by" in result["detail"] and result["verification"]["matches"] is True
    assert serving_config(staging) == before
    target = get_version(admin_clients(staging), staging, MODEL, result["version"])
    assert target.status == "Rejected"
