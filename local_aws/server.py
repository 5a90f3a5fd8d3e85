"""Start, stop and inspect the local emulator process.

The emulator runs as its own process (`python -m local_aws.serve`), with a pid file and a
log file under the state folder (`.kit/emulator/` by default), so `kit local up` returns and any later
command, test or Terraform run reaches it through `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_kit.errors import BadInput, EndpointUnreachable, OperationFailed
from mlops_kit.processes import pid_alive

if TYPE_CHECKING:
    from mlops_kit.config import Environment

DEFAULT_PORT = 4580
HOST = "127.0.0.1"
STATE_DIR_VARIABLE = "KIT_STATE_DIR"
# The operator account's root keys (local_aws.accounts); they reach nothing but 127.0.0.1. The kit's
# commands do not use them directly: local mode selects a profile (`local_aws_environment`).
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def state_dir() -> Path:
    """Where the kit keeps local state (emulator pid and log, Terraform state for the emulator)."""
    return Path(os.environ.get(STATE_DIR_VARIABLE, ".kit")).resolve()


def _files(port: int) -> tuple[Path, Path]:
    folder = state_dir() / "emulator"
    return folder / f"{port}.pid", folder / f"{port}.log"


def _mode_file(port: int) -> Path:
    return state_dir() / "emulator" / f"{port}.iam"


def profiles_dir() -> Path:
    """Where `kit local up` writes local mode's AWS config and credentials files."""
    return state_dir() / "aws"


def endpoint_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def local_aws_environment(
    port: int = DEFAULT_PORT, region: str = "us-east-1", *, profile: str | None = None
) -> dict[str, str]:
    """The variables that point boto3, the CLI and Terraform at the emulator, acting as `profile`
    (the ML engineers' by default; `PLATFORM_PROFILE` deploys): standard AWS variables, nothing more.
    Set no AWS_ACCESS_KEY_ID beside them: keys in the environment win over the profile."""
    from local_aws.accounts import ENGINEER_PROFILE

    folder = profiles_dir()
    return {
        "AWS_ENDPOINT_URL": endpoint_url(port),
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": str(folder / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
        "AWS_PROFILE": profile or ENGINEER_PROFILE,
    }


# Variables that would override local mode's profile: unset them wherever local mode is set.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@contextlib.contextmanager
def acting_as(profile: str) -> Iterator[str]:
    """Act as another profile of local mode (local_aws.accounts) inside the block; yields its ARN.
    Keys in the environment would win over it: callers of local mode set none."""
    import boto3

    previous = os.environ.get("AWS_PROFILE")
    os.environ["AWS_PROFILE"] = profile
    try:
        yield boto3.session.Session(profile_name=profile).client("sts").get_caller_identity()["Arn"]
    finally:
        if previous is None:
            os.environ.pop("AWS_PROFILE", None)
        else:
            os.environ["AWS_PROFILE"] = previous


def use_local_aws(port: int = DEFAULT_PORT, *, profile: str | None = None) -> dict[str, str]:
    """Point this process at the emulator (os.environ), as `profile`; returns the variables set."""
    variables = local_aws_environment(port, profile=profile)
    for key in CREDENTIAL_VARIABLES:
        os.environ.pop(key, None)
    os.environ.update(variables)
    # boto3's default session reads the config file once: a new one reads the profile just set.
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        setattr(boto3, "DEFAULT_SESSION", None)  # noqa: B010 (boto3's stubs omit it)
    return variables


@dataclass(frozen=True)
class EmulatorStatus:
    port: int
    running: bool
    healthy: bool
    pid: int | None
    endpoint_url: str
    log_file: Path
    iam: bool | None = None  # whether the running emulator evaluates IAM (None: not running)

    def as_dict(self) -> dict[str, object]:
        return {
            "port": self.port,
            "running": self.running,
            "healthy": self.healthy,
            "pid": self.pid,
            "endpoint_url": self.endpoint_url,
            "log_file": str(self.log_file),
            "iam": self.iam,
            "aws_config_file": str(profiles_dir() / "config"),
        }


def _check_port(port: int) -> None:
    if not 1024 <= port <= 65535:
        raise BadInput(f"{port} is not a usable port (1024-65535)", argument="port")


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_healthy(port: int, timeout: float = 1.0) -> bool:
    """True when the emulator on `port` answers its health route."""
    try:
        with urllib.request.urlopen(f"{endpoint_url(port)}/mlops-kit/health", timeout=timeout) as response:
            return bool(json.loads(response.read()).get("healthy"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def emulator_status(port: int = DEFAULT_PORT) -> EmulatorStatus:
    _check_port(port)
    pid_file, log_file = _files(port)
    pid = _read_pid(pid_file)
    running = pid is not None and pid_alive(pid)
    mode = _mode_file(port)
    return EmulatorStatus(
        port=port,
        running=running,
        healthy=running and is_healthy(port),
        pid=pid if running else None,
        endpoint_url=endpoint_url(port),
        log_file=log_file,
        iam=(mode.read_text().strip() == "on") if running and mode.exists() else None,
    )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def start_emulator(
    port: int = DEFAULT_PORT,
    *,
    reset: bool = False,
    timeout: float = 60.0,
    iam: bool = True,
    environments: Mapping[str, Environment] | None = None,
) -> EmulatorStatus:
    """Start the emulator on 127.0.0.1:`port` and wait until healthy; reuse one already running.
    `iam`: evaluate IAM on every request (AWS's rules; `False` for debugging only). Then create the
    identities account vending would (local_aws.accounts) for `environments` (the environment
    files by default) and write local mode's AWS profiles."""
    status = emulator_status(port)
    if status.healthy:
        if status.iam is not None and status.iam != iam:
            raise BadInput(
                f"the emulator on port {port} runs with IAM evaluation {'on' if status.iam else 'off'}",
                hint="stop it first (kit local down) to change that",
                argument="iam",
            )
        if reset:
            reset_emulator(port, environments=environments)
        else:
            prepare_identities(port, environments)
        return status
    pid_file, log_file = _files(port)
    if not port_is_free(port):
        raise OperationFailed(
            f"port {port} on {HOST} is taken by another program",
            hint="choose another port (KIT_EMULATOR_PORT)",
            argument="port",
        )
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "MOTO_PORT": str(port)}
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_aws.serve", "--port", str(port), *([] if iam else ["--no-iam"])],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    _mode_file(port).write_text("on" if iam else "off")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OperationFailed(
                f"the emulator exited at start (code {process.returncode})", hint=f"see {log_file}"
            )
        if is_healthy(port):
            prepare_identities(port, environments)
            return emulator_status(port)
        time.sleep(0.2)
    stop_emulator(port)
    raise OperationFailed(
        f"the emulator did not become healthy within {timeout:.0f} s", hint=f"see {log_file}"
    )


def stop_emulator(port: int = DEFAULT_PORT, timeout: float = 10.0) -> bool:
    """Stop the emulator on `port`; False when none was running."""
    _check_port(port)
    pid_file, _ = _files(port)
    pid = _read_pid(pid_file)
    if pid is None or not pid_alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        # Reap our own child so it does not linger as a zombie that still "exists".
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    _mode_file(port).unlink(missing_ok=True)
    return True


def prepare_identities(port: int, environments: Mapping[str, Environment] | None = None) -> None:
    """The deploy and people's roles of every environment account, and local mode's profiles."""
    from local_aws.accounts import bootstrap_accounts, write_profiles
    from mlops_kit.config import load_all_environments

    environments = environments if environments is not None else load_all_environments()
    bootstrap_accounts(endpoint_url(port), environments)
    write_profiles(profiles_dir(), environments)


def reset_emulator(
    port: int = DEFAULT_PORT, *, environments: Mapping[str, Environment] | None = None
) -> None:
    """Forget every resource in every emulated account (moto's reset API), then create the
    account-vending identities again."""
    request = urllib.request.Request(f"{endpoint_url(port)}/moto-api/reset", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30):
            pass
    except (urllib.error.URLError, OSError) as exc:
        raise EndpointUnreachable(f"cannot reset the emulator on port {port}: {exc}") from None
    prepare_identities(port, environments)
