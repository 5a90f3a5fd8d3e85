"""`make demo` as the README walkthrough's first step, run in the background.

The demo takes minutes and needs nothing from the other tests (its own emulator port, state folder
and Terraform plugin cache), so the session starts it before the first test and the walkthrough
waits for it: its minutes overlap the tests that run before the README's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
MODEL = "tumor-classifier"
DEV_DEPLOY_ROLE = "arn:aws:iam::111111111111:role/mlops-kit-deploy"
DEMO_TIMEOUT_SECONDS = 1200


@dataclass
class Lifecycle:
    """The emulator `make demo` left running, and what a step needs to reach it."""

    port: int
    state: Path
    work: Path
    demo_output: str
    shell_env: dict[str, str]
    facts: dict[str, str] = field(default_factory=dict)


def shell_environment(port: int, state: Path) -> dict[str, str]:
    """The user's shell: no AWS_/KIT_ variables of the test session, the repository's tools on PATH."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KIT_"))}
    return base | {
        "KIT_STATE_DIR": str(state),
        "KIT_EMULATOR_PORT": str(port),
        "PATH": f"{REPO / '.venv' / 'bin'}:{REPO / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "TF_CLI_CONFIG_FILE": str(REPO / ".tools" / "terraform.rc"),
        "TF_PLUGIN_CACHE_DIR": str(REPO / ".tools" / "terraform-plugin-cache"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CHECKPOINT_DISABLE": "1",
        "COLUMNS": "200",
    }


class DemoRun:
    """`make demo` from a clean state folder on `port`, as a second run over a first one's leftovers."""

    def __init__(self, port: int, state: Path, work: Path) -> None:
        self.port, self.state, self.work = port, state, work
        self.env = shell_environment(port, state)
        self._stdout_path, self._stderr_path = work / "make-demo.stdout", work / "make-demo.stderr"
        self._outputs: list[IO[str]] = []
        self._process: subprocess.Popen[str] | None = None
        self._started = 0.0
        self._lifecycle: Lifecycle | None = None
        self._stopped = False

    def start(self) -> None:
        _leave_a_previous_run_behind(self.port, self.state, self.env)
        self._outputs = [self._stdout_path.open("w"), self._stderr_path.open("w")]
        self._started = time.perf_counter()
        # Output goes to files: nothing reads a pipe while the demo runs, so a pipe could fill up.
        # A session of its own: stopping the demo early stops make's children too.
        self._process = subprocess.Popen(
            ["make", "demo"],
            cwd=REPO,
            env=self.env,
            stdout=self._outputs[0],
            stderr=self._outputs[1],
            text=True,
            start_new_session=True,
        )

    def lifecycle(self) -> Lifecycle:
        """Wait for the demo; it must have succeeded. The same `Lifecycle` on every call."""
        if self._lifecycle is None:
            if self._process is None:  # not started early (under pytest-xdist): start it now
                self.start()
            assert self._process is not None
            remaining = DEMO_TIMEOUT_SECONDS - (time.perf_counter() - self._started)
            try:
                code = self._process.wait(timeout=max(remaining, 1))
            except subprocess.TimeoutExpired:
                _signal_group(self._process, signal.SIGKILL)
                raise AssertionError(f"make demo still running after {DEMO_TIMEOUT_SECONDS} s") from None
            finally:
                self._close_outputs()
            print(f"make demo: {time.perf_counter() - self._started:.0f} s (started before the first test)")
            stdout, stderr = self._stdout_path.read_text(), self._stderr_path.read_text()
            assert code == 0, f"make demo exited {code}:\n{stdout[-4000:]}\n{stderr[-4000:]}"
            self._lifecycle = Lifecycle(
                port=self.port, state=self.state, work=self.work, demo_output=stdout, shell_env=self.env
            )
        return self._lifecycle

    def stop(self) -> None:
        """Stop the demo if it still runs, and the emulator it started (once)."""
        if self._stopped:
            return
        self._stopped = True
        if self._process is not None and self._process.poll() is None:
            _signal_group(self._process, signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(self._process, signal.SIGKILL)
                self._process.wait()
        self._close_outputs()
        subprocess.run(["kit", "local", "down"], cwd=REPO, env=self.env, capture_output=True, check=False)

    def _close_outputs(self) -> None:
        for output in self._outputs:
            output.close()
        self._outputs = []


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _leave_a_previous_run_behind(port: int, state: Path, env: dict[str, str]) -> None:
    """What a first `make demo` leaves: a running emulator holding a dev model package group under the
    name the dev stack creates, and a Terraform state file. `make demo` is then a second run, and
    passes only if it resets both (the group would collide, the unreadable state would stop init)."""

    from mlops_kit.config import ResourceNames, load_environment

    up = subprocess.run(
        ["kit", "local", "up"], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert up.returncode == 0, up.stdout + up.stderr
    sagemaker = client_as(port, DEV_DEPLOY_ROLE, "sagemaker")
    group = ResourceNames(load_environment("dev", REPO / "environments")).model_package_group(MODEL)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    (state / "terraform-state").mkdir(parents=True, exist_ok=True)
    (state / "terraform-state" / "dev.tfstate").write_text("{ left by an interrupted run")


def client_as(port: int, role_arn: str, service: str) -> Any:
    """A boto3 client of the emulator on `port`, acting as `role_arn`."""
    import boto3

    credentials = credentials_of(port, role_arn)
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def credentials_of(port: int, role_arn: str) -> dict[str, str]:
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",  # the operator account's root (local_aws.accounts)
        aws_secret_access_key="testing",
    )
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="readme-approver")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
