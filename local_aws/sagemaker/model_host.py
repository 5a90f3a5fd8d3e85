"""Local model hosts: one `model_server` process per (endpoint, model data), started on first use.

A host gets a folder of its own holding the unpacked model.tar.gz (`model/`) and its log, listens
on a free 127.0.0.1 port and is reached over the SageMaker serving contract (`GET /ping`,
`POST /invocations`). Hosts are cached; `stop_all` ends them (the emulator calls it on exit).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mlops_kit.archive_extraction import UnsafeArchive, extract_archive
from mlops_kit.errors import OperationFailed
from mlops_kit.serving.artifact_digest import verify_artifact

START_TIMEOUT_SECONDS = 60.0
INVOKE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class HostKey:
    """What a host serves: one endpoint's model, by its model data (URL and content tag)."""

    account_id: str
    endpoint: str
    model_name: str
    model_data_url: str
    model_data_tag: str

    @property
    def slug(self) -> str:
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:12]
        return f"{self.endpoint}-{digest}"


@dataclass(frozen=True)
class HostResponse:
    """The host's answer to one invocation."""

    status: int
    body: bytes
    content_type: str


@dataclass
class ModelHost:
    key: HostKey
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def invoke(self, body: bytes, content_type: str, accept: str) -> HostResponse:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/invocations",
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT_SECONDS) as response:
                return HostResponse(
                    response.status, response.read(), response.headers.get("Content-Type", "")
                )
        except urllib.error.HTTPError as exc:
            return HostResponse(exc.code, exc.read(), exc.headers.get("Content-Type", ""))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unpack_model_archive(archive: bytes, destination: Path) -> None:
    """Unpack model.tar.gz into `destination`, refusing members that would land outside it."""
    try:
        extract_archive(archive, destination)
    except UnsafeArchive as exc:
        raise OperationFailed(f"the model data is refused: {exc}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise OperationFailed(f"the model data is not a readable model.tar.gz: {exc}") from None


def _ping(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


class ModelHosts:
    """The running hosts, by key. Thread-safe: concurrent first requests start one host."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._hosts: dict[HostKey, ModelHost] = {}
        self._lock = threading.Lock()
        self._starting: dict[HostKey, threading.Lock] = {}

    def host(self, key: HostKey, archive: bytes, environment: dict[str, str]) -> ModelHost:
        """The running host for `key`, started from `archive` if needed; hosts of the same
        endpoint and model with older model data are stopped. Hosts of other models of the
        endpoint stay (blue and green fleets run side by side during an update): `retire` them."""
        with self._lock:
            host = self._hosts.get(key)
            if host is not None and host.process.poll() is None:
                return host
            starting = self._starting.setdefault(key, threading.Lock())
        with starting:
            with self._lock:
                host = self._hosts.get(key)
                if host is not None and host.process.poll() is None:
                    return host
            host = self._start(key, archive, environment)
            with self._lock:
                stale = [
                    k
                    for k in self._hosts
                    if (k.account_id, k.endpoint, k.model_name)
                    == (key.account_id, key.endpoint, key.model_name)
                ]
                for old in stale:
                    self._hosts.pop(old).stop()
                self._hosts[key] = host
            return host

    def _start(self, key: HostKey, archive: bytes, environment: dict[str, str]) -> ModelHost:
        folder = self.root / key.slug
        model_dir = folder / "model"
        verify_artifact(archive, environment, source=key.model_data_url)
        if not model_dir.is_dir():
            unpack_model_archive(archive, model_dir)
        port = _free_port()
        log_file = folder / "host.log"
        process_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))} | {
            **environment,
            "SAGEMAKER_BIND_TO_PORT": str(port),
            "SM_MODEL_DIR": str(model_dir),
        }
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local_aws.sagemaker.model_server",
                    "--model-dir",
                    str(model_dir),
                    "--port",
                    str(port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=process_env,
                cwd=folder,
            )
        host = ModelHost(key=key, folder=folder, port=port, process=process, log_file=log_file)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise OperationFailed(
                    f"the model host of {key.endpoint} exited at start (code {process.returncode})",
                    hint=f"see {log_file}",
                )
            status, _ = _ping(port)
            # Any HTTP answer means the server is up; a failed model_fn answers the ping with 500
            # and every invocation with the reason, as the container does.
            if status:
                return host
            time.sleep(0.05)
        host.stop()
        raise OperationFailed(
            f"the model host of {key.endpoint} did not answer /ping within {START_TIMEOUT_SECONDS:.0f} s",
            hint=f"see {log_file}",
        )

    def retire(self, account_id: str, endpoint: str, keep_models: set[str]) -> None:
        """Stop the endpoint's hosts whose model is not in `keep_models` (a fleet that was replaced)."""
        with self._lock:
            retired = [
                self._hosts.pop(k)
                for k in list(self._hosts)
                if k.account_id == account_id and k.endpoint == endpoint and k.model_name not in keep_models
            ]
        for host in retired:
            host.stop()

    def stop_all(self) -> None:
        with self._lock:
            hosts, self._hosts = list(self._hosts.values()), {}
        for host in hosts:
            host.stop()


_pool: ModelHosts | None = None
_pool_lock = threading.Lock()


def model_hosts(root: Path) -> ModelHosts:
    """The process's pool of hosts (created on first use, stopped at exit)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ModelHosts(root)
            atexit.register(_pool.stop_all)
        return _pool
