"""The dev stack applies into the emulator, a second plan shows no changes, and it destroys."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_kit.terraform import run_terraform
from tests.conftest import free_port


@pytest.fixture(scope="module")
def private_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An emulator of this module's own: destroying dev here must not disturb the session's platform."""
    import os

    from local_aws.server import local_aws_environment, start_emulator, stop_emulator

    previous = os.environ.get("KIT_STATE_DIR")
    os.environ["KIT_STATE_DIR"] = str(tmp_path_factory.mktemp("private-emulator"))
    port = free_port()
    start_emulator(port)
    try:
        yield local_aws_environment(port)
    finally:
        stop_emulator(port)
        if previous is None:
            os.environ.pop("KIT_STATE_DIR", None)
        else:
            os.environ["KIT_STATE_DIR"] = previous


@pytest.mark.emulator
@pytest.mark.slow
def test_dev_applies_plans_clean_and_destroys(
    synthesized: Any, private_emulator: dict[str, str], tmp_path: Path
) -> None:
    stack_dir = tmp_path / "dev"
    shutil.copytree(
        synthesized.stack_file("dev", local=True).parent,
        stack_dir,
        ignore=shutil.ignore_patterns(".terraform*"),
    )
    stack_file = stack_dir / "cdk.tf.json"
    stack = json.loads(stack_file.read_text())
    stack["terraform"]["backend"]["local"]["path"] = str(tmp_path / "dev.tfstate")
    stack_file.write_text(json.dumps(stack))
    declared = sum(len(v) for v in stack["resource"].values())

    run_terraform(stack_dir, "init", "-input=false", env=private_emulator)
    run_terraform(
        stack_dir, "apply", "-auto-approve", "-input=false", "-parallelism=20", env=private_emulator
    )
    state = json.loads(run_terraform(stack_dir, "show", "-json", env=private_emulator).stdout)
    managed = [r for r in state["values"]["root_module"]["resources"] if r["mode"] == "managed"]
    assert len(managed) == declared

    plan = run_terraform(
        stack_dir, "plan", "-detailed-exitcode", "-input=false", env=private_emulator, check=False
    )
    assert plan.returncode == 0, plan.stdout[-3000:]

    run_terraform(
        stack_dir, "destroy", "-auto-approve", "-input=false", "-parallelism=20", env=private_emulator
    )
    after = json.loads(run_terraform(stack_dir, "show", "-json", env=private_emulator).stdout)
    assert not after.get("values", {}).get("root_module", {}).get("resources")
