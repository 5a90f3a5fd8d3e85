"""`kit promote` against live traffic: the canary takes its share of requests, and a release that
fails every request is rolled back by the 5xx alarm evaluating the endpoint's own metrics.

Staging's canary normally bakes 0.1 s in the session's emulator; these tests promote with a copy of
`environments/` where it bakes 180 minutes (3.6 s at 3000x), while a thread sends requests.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from promotion_support import MODEL, Traffic

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.promote import promote_model_version
from tests.conftest import admin_clients
from tests.emulator.tagged_models import tagged_model_archive

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def long_bake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kit` reads a copy of environments/ in which staging's canary bakes 180 minutes."""
    folder = tmp_path / "environments"
    shutil.copytree(REPO / "environments", folder)
    staging = folder / "staging.yaml"
    text, count = re.subn(r"bake_minutes: \d+", "bake_minutes: 180", staging.read_text())
    assert count == 1
    staging.write_text(text)
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(folder))


@pytest.fixture
def staging_serves_a_tagged_model(
    promotion_platform: dict[str, Environment], register_dev_version: Any
) -> Iterator[str]:
    """Staging serves a release that answers its tag; yields the tag. Afterwards it removes the
    data capture the test's traffic wrote (staging's drift checks must not see it) and waits until
    the 5xx alarm is OK again (errors age out of its 60 s period), so later promotions start clean."""

    staging = promotion_platform["staging"]
    clients = admin_clients(staging)
    bucket, _, prefix = ResourceNames(staging).data_capture_prefix(MODEL).removeprefix("s3://").partition("/")

    def capture_keys() -> set[str]:
        pages = clients.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    before = capture_keys()
    tag = f"blue-{uuid.uuid4().hex[:6]}"
    version = register_dev_version(archive=tagged_model_archive(tag)).version
    promote_model_version(MODEL, "staging", version=version, environments=promotion_platform)
    yield tag
    for key in capture_keys() - before:
        clients.client("s3").delete_object(Bucket=bucket, Key=key)
    cloudwatch = clients.client("cloudwatch")
    alarm = ResourceNames(staging).rollback_alarms(MODEL)["errors"]
    deadline = time.monotonic() + 120
    while alarm_state(cloudwatch, alarm) != "OK" and time.monotonic() < deadline:
        time.sleep(1)
    assert alarm_state(cloudwatch, alarm) == "OK"


def alarm_state(cloudwatch: Any, name: str, field: str = "StateValue") -> str:
    return str(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0][field])


def kit_promote(version: int, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["promote", MODEL, "--to", "staging", "--version", str(version), "--yes", "--json"])
    out, err = capsys.readouterr()
    return code, out + err


def test_kit_promote_gives_a_healthy_canary_its_share_then_all_traffic(
    promotion_platform: dict[str, Environment],
    staging_serves_a_tagged_model: str,
    register_dev_version: Any,
    long_bake: None,
    feature_row: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blue = staging_serves_a_tagged_model
    green = f"green-{uuid.uuid4().hex[:6]}"
    version = register_dev_version(archive=tagged_model_archive(green)).version

    with Traffic(promotion_platform["staging"], feature_row) as traffic:
        code, output = kit_promote(version, capsys)
    assert code == 0, output

    answers = traffic.answers
    assert "error" not in answers
    first_green, last_blue = answers.index(green), len(answers) - 1 - answers[::-1].index(blue)
    # The canary phase: every 5th request (20%) goes green, from its 5th on.
    canary = answers[first_green + 1 : last_blue + 1]
    assert len(canary) >= 20
    assert [i for i, tag in enumerate(canary, start=1) if tag == green] == list(range(5, len(canary) + 1, 5))
    # Then all of it.
    assert set(answers[last_blue + 1 :]) == {green}
    assert [traffic.invoke() for _ in range(5)] == [green] * 5


def test_kit_promote_rolls_back_a_failing_canary_on_its_own_5xx_metrics(
    promotion_platform: dict[str, Environment],
    staging_serves_a_tagged_model: str,
    register_dev_version: Any,
    long_bake: None,
    feature_row: str,
    capsys: pytest.CaptureFixture[str],
    assert_plans_empty: Any,
) -> None:

    blue = staging_serves_a_tagged_model
    staging = promotion_platform["staging"]
    alarm = ResourceNames(staging).rollback_alarms(MODEL)["errors"]
    cloudwatch = admin_clients(staging).client("cloudwatch")
    version = register_dev_version(archive=tagged_model_archive("broken")).version
    assert alarm_state(cloudwatch, alarm) == "OK"

    with Traffic(staging, feature_row) as traffic:
        code, output = kit_promote(version, capsys)

    assert code == 1, output
    assert "rolled back" in output and alarm in output
    answers = traffic.answers
    assert set(answers) == {blue, "error"}
    assert answers.count("error") > staging.serving.alarms.max_5xx_errors
    assert alarm_state(cloudwatch, alarm) == "ALARM"
    assert alarm_state(cloudwatch, alarm, "StateReason").startswith("Threshold Crossed")  # not set by hand
    # All traffic is back on the release that served before.
    assert [traffic.invoke() for _ in range(10)] == [blue] * 10
    assert_plans_empty("staging")
