"""The local MLflow tracking server: `mlflow server` on 127.0.0.1 beside the emulator.

Runs, parameters and metrics go to a SQLite database under the state folder; artifacts go to the
emulated S3 (`s3://kit-local-mlflow/artifacts`), which the server reaches through
`MLFLOW_S3_ENDPOINT_URL` and proxies for its clients (`--serve-artifacts`), so a step script needs only
`MLFLOW_TRACKING_URI`, exactly as with SageMaker's managed MLflow.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local_aws.server import HOST, TEST_CREDENTIALS, endpoint_url, port_is_free, state_dir
from mlops_kit.errors import OperationFailed
from mlops_kit.processes import pid_alive

ARTIFACT_BUCKET = "kit-local-mlflow"
# The emulator's port plus this offset, unless KIT_MLFLOW_PORT says otherwise.
PORT_OFFSET = 1


def tracking_port(emulator_port: int) -> int:
    return int(os.environ.get("KIT_MLFLOW_PORT", str(emulator_port + PORT_OFFSET)))


def tracking_uri(port: int) -> str:
    return f"http://{HOST}:{port}"


@dataclass(frozen=True)
class TrackingStatus:
    port: int
    running: bool
    healthy: bool
    pid: int | None
    tracking_uri: str
    log_file: Path

    def as_dict(self) -> dict[str, object]:
        return {
            "port": self.port,
            "running": self.running,
            "healthy": self.healthy,
            "pid": self.pid,
            "tracking_uri": self.tracking_uri,
            "log_file": str(self.log_file),
        }


def _files(port: int) -> tuple[Path, Path, Path]:
    folder = state_dir() / "mlflow"
    return folder / f"{port}.pid", folder / f"{port}.log", folder / "mlflow.db"


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_healthy(port: int, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{tracking_uri(port)}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def tracking_status(port: int) -> TrackingStatus:
    pid_file, log_file, _ = _files(port)
    pid = _read_pid(pid_file)
    running = pid is not None and pid_alive(pid)
    return TrackingStatus(
        port=port,
        running=running,
        healthy=running and is_healthy(port),
        pid=pid if running else None,
        tracking_uri=tracking_uri(port),
        log_file=log_file,
    )


def ensure_artifact_bucket(emulator_port: int) -> None:
    """The bucket the server keeps artifacts in (a reset of the emulator forgets it)."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url(emulator_port),
        region_name="us-east-1",
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    names = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if ARTIFACT_BUCKET not in names:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)


def start_tracking_server(emulator_port: int, *, timeout: float = 90.0) -> TrackingStatus:
    """Start the tracking server (or reuse the running one) and wait until it answers /health."""
    port = tracking_port(emulator_port)
    ensure_artifact_bucket(emulator_port)
    status = tracking_status(port)
    if status.healthy:
        return status
    pid_file, log_file, database = _files(port)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # A server stopped a moment ago (`kit local down && kit local up`) may still hold the port.
    free_by = time.monotonic() + 15
    while not port_is_free(port):
        if time.monotonic() > free_by:
            raise OperationFailed(
                f"port {port} on {HOST} is taken by another program",
                hint="choose another port (KIT_MLFLOW_PORT)",
                argument="port",
            )
        time.sleep(0.3)
    env = {
        **os.environ,
        **TEST_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLFLOW_S3_ENDPOINT_URL": endpoint_url(emulator_port),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{database}",
        "--artifacts-destination",
        f"s3://{ARTIFACT_BUCKET}/artifacts",
        "--serve-artifacts",
    ]
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log_file.read_text(errors="replace").strip().splitlines()[-8:])
            raise OperationFailed(
                f"the MLflow tracking server exited at start (code {process.returncode}):\n{tail}",
                hint=f"see {log_file}",
            )
        if is_healthy(port):
            return tracking_status(port)
        time.sleep(0.3)
    stop_tracking_server(emulator_port)
    raise OperationFailed(
        f"the MLflow tracking server did not answer within {timeout:.0f} s", hint=f"see {log_file}"
    )


def stop_tracking_server(emulator_port: int, timeout: float = 10.0) -> bool:
    """Stop the tracking server; False when none was running."""
    pid_file, _, _ = _files(tracking_port(emulator_port))
    pid = _read_pid(pid_file)
    if pid is None or not pid_alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True
