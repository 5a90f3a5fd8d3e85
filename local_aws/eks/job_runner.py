"""Run a training Job's pods as local processes: the twin of the EKS indexed Job.

Takes the manifests `kit train --on eks` renders, and starts one process per completion index with
the container's command and environment, as the Job controller would: RANK from the index, the
container paths mapped to local folders, MASTER_ADDR to this machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_kit.errors import OperationFailed

CONTAINER_CODE_DIR = "/opt/ml/code"


@dataclass(frozen=True)
class LocalJobRun:
    model_dir: Path
    logs: list[str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _container(manifests: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    job = next(m for m in manifests if m["kind"] == "Job")
    return job["spec"]["template"]["spec"]["containers"][0], int(job["spec"]["completions"])


def run_job_locally(
    manifests: list[dict[str, Any]],
    *,
    scripts_dir: Path,
    data_file: Path,
    work_dir: Path,
    timeout: float = 300.0,
) -> LocalJobRun:
    """Run every worker of the Job to completion; the model folder rank 0 wrote, and each log."""
    container, workers = _container(manifests)
    command = [sys.executable if part == "python" else part for part in container["command"]]
    command = [part.replace(CONTAINER_CODE_DIR, str(scripts_dir)) for part in command]
    declared = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    work_dir.mkdir(parents=True, exist_ok=True)
    model_dir = work_dir / "model"
    overrides = {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "KIT_DATA_URI": str(data_file),
        "SM_MODEL_DIR": str(model_dir),
    }
    processes = []
    for rank in range(workers):
        env = {**os.environ, **declared, **overrides, "RANK": str(rank)}
        log = (work_dir / f"worker-{rank}.log").open("w")
        processes.append((subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    failures = []
    for rank, (process, log) in enumerate(processes):
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            code = -9
        log.close()
        if code != 0:
            failures.append(f"worker {rank} exited {code}")
    logs = [(work_dir / f"worker-{rank}.log").read_text() for rank in range(workers)]
    if failures:
        raise OperationFailed(f"training job failed: {'; '.join(failures)}", hint=logs[0][-500:])
    return LocalJobRun(model_dir=model_dir, logs=logs)
