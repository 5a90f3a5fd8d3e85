"""Fixtures of the stack tests: checkov scans of every stack, started when the package's first test begins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.stacks.checkov_scans import CheckovScans

ENVS = ["dev", "staging", "prod"]


@pytest.fixture(scope="package", autouse=True)
def checkov_scans(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CheckovScans | None]:
    """checkov scans of the cloud stacks, running in the background from the package's first test on
    when a selected test reads them; None otherwise."""
    if not any("checkov_scans" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    synthesized: Any = request.getfixturevalue("synthesized")
    scans = CheckovScans(
        {name: synthesized.stack_file(name) for name in ENVS}, tmp_path_factory.mktemp("checkov")
    )
    try:
        yield scans
    finally:
        scans.stop()
