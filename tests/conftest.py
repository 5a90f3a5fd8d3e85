"""Shared fixtures: the environments, the stacks synthesized once per session, and the emulator.

The emulator fixture starts moto (with the kit's extensions) on a free 127.0.0.1 port for the test
session and stops it at the end; local mode is the standard AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import os
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlops_kit.config import Environment, load_all_environments

if TYPE_CHECKING:
    from mlops_kit.aws import AwsClients
    from tests.readme.demo_run import DemoRun

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """An even port, free with the next one (`kit local up` puts MLflow on port + 1), below the
    kernel's ephemeral range: a port the kernel hands out for `bind(0)` or an outgoing connection
    is often the next one up, so another process (the other xdist worker) could take port + 1
    while the emulator starts."""
    for _ in range(1000):
        port = random.randrange(20000, 32000, 2)
        if _bindable(port) and _bindable(port + 1):
            return port
    raise RuntimeError("no two free ports side by side in 20000-32000 on 127.0.0.1")


# `make test` runs two pytest-xdist workers with --dist loadgroup. Session fixtures exist once per
# worker, so each worker that runs emulator tests starts its own emulator and platform. A test that
# uses one of these expensive fixtures goes to the one worker holding it (the README walkthrough's
# `make demo`, the checkov scans, the one-account platform); other emulator tests stay with the rest
# of their module, in the module's order (they share module fixtures and build on each other's
# state); tests without an emulator go wherever a worker is free.
SHARED_FIXTURE_GROUPS = {
    "lifecycle": "readme-walkthrough",
    "checkov_scans": "checkov",
    "one_account": "one-account",
}
EMULATOR_FIXTURES = ("platform", "emulator")
EMULATOR_GROUPS = {"readme-walkthrough", "one-account"}


def xdist_group_of(item: pytest.Item) -> str | None:
    """The worker group of a test (None: any worker); see SHARED_FIXTURE_GROUPS."""
    names = getattr(item, "fixturenames", ())
    for fixture, group in SHARED_FIXTURE_GROUPS.items():
        if fixture in names:
            return group
    if any(fixture in names for fixture in EMULATOR_FIXTURES):
        return "emulator:" + item.nodeid.split("::", 1)[0]
    return None


# Marked as each test is collected: the xdist worker reads the groups in its own
# pytest_collection_modifyitems (it suffixes each grouped test's node id), and in this pytest and
# xdist that hook ran before a conftest's, even a tryfirst one, so marks added there came too late.
def pytest_itemcollected(item: pytest.Item) -> None:
    group = xdist_group_of(item)
    if group:
        item.add_marker(pytest.mark.xdist_group(group))
    if group in EMULATOR_GROUPS or (group or "").startswith("emulator:"):
        item.add_marker(pytest.mark.emulator)  # so `make test-fast` leaves it out


@pytest.fixture(scope="session", autouse=True)
def readme_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoRun | None]:
    """`make demo` for the README walkthrough, started before the first test when the walkthrough is
    selected: the demo's minutes overlap the tests that run before the README's. None otherwise.
    Under pytest-xdist every worker collects every test, so there the demo starts on first use,
    on the one worker that runs the walkthrough (the other worker's tests overlap it instead)."""
    if not any("lifecycle" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    from tests.readme.demo_run import DemoRun

    demo = DemoRun(
        free_port(), tmp_path_factory.mktemp("readme-state"), tmp_path_factory.mktemp("readme-work")
    )
    try:
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            demo.start()
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="session", autouse=True)
def private_terraform_plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Terraform run by this process uses a plugin cache of its own: `terraform init` without a lock
    file writes the provider into the cache, and two inits writing one cache at once (this session's
    and the background `make demo`'s) fail with "mkdir ...: file exists"."""
    previous = os.environ.get("TF_PLUGIN_CACHE_DIR")
    os.environ["TF_PLUGIN_CACHE_DIR"] = str(tmp_path_factory.mktemp("terraform-plugin-cache"))
    yield
    if previous is None:
        os.environ.pop("TF_PLUGIN_CACHE_DIR", None)
    else:
        os.environ["TF_PLUGIN_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def environments() -> dict[str, Environment]:
    return load_all_environments(REPO / "environments")


@dataclass(frozen=True)
class Synthesized:
    """Terraform JSON of every environment, for real AWS (`cloud`) and for the emulator (`local`)."""

    cloud_dir: Path
    local_dir: Path
    kit_state_dir: Path  # KIT_STATE_DIR for a `cdktf deploy` that shares the local stacks' state

    def stack(self, env: str, *, local: bool = False) -> dict:  # type: ignore[type-arg]
        return json.loads(self.stack_file(env, local=local).read_text())

    def stack_file(self, env: str, *, local: bool = False) -> Path:
        return (self.local_dir if local else self.cloud_dir) / "stacks" / env / "cdk.tf.json"


@pytest.fixture(scope="session")
def synthesized(
    environments: dict[str, Environment], tmp_path_factory: pytest.TempPathFactory
) -> Synthesized:
    """Synthesize all stacks once per session (the AWS bindings import dominates the cost)."""
    from stacks.app import build_app

    root = tmp_path_factory.mktemp("synth")
    # The layout `cdktf deploy` uses: KIT_STATE_DIR=<kit_state_dir> keeps state in terraform-state/.
    state_dir = str(root / "kit-state" / "terraform-state")
    build_app(environments, outdir=str(root / "cloud"), emulator=False, state_dir=state_dir).synth()
    build_app(environments, outdir=str(root / "local"), emulator=True, state_dir=state_dir).synth()
    return Synthesized(cloud_dir=root / "cloud", local_dir=root / "local", kit_state_dir=root / "kit-state")


@dataclass(frozen=True)
class Emulator:
    port: int
    endpoint_url: str
    aws_env: dict[str, str]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A fresh emulator for the session, on a free port, evaluating IAM as `kit local up` does.
    Meanwhile this process acts as the ML engineers (`mlkit-engineer`, like `kit local env`);
    `aws_env` is the platform's identity (`mlkit-platform`), which Terraform deploys as."""
    from local_aws.accounts import PLATFORM_PROFILE
    from local_aws.server import (
        CREDENTIAL_VARIABLES,
        local_aws_environment,
        start_emulator,
        stop_emulator,
        use_local_aws,
    )

    state = tmp_path_factory.mktemp("kit-state")
    names = (
        "KIT_STATE_DIR",
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        *CREDENTIAL_VARIABLES,
    )
    previous = {k: os.environ.get(k) for k in names}
    os.environ["KIT_STATE_DIR"] = str(state)
    port = free_port()
    start_emulator(port)
    use_local_aws(port)
    aws_env = local_aws_environment(port, profile=PLATFORM_PROFILE)
    try:
        yield Emulator(port=port, endpoint_url=aws_env["AWS_ENDPOINT_URL"], aws_env=aws_env)
    finally:
        stop_emulator(port)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def account_root(account: str, region: str = "us-east-1") -> Any:
    """A boto3 session acting as `account`'s root in the emulator (its access key is the account id):
    for tests that work in a scratch account of their own."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id=account, aws_secret_access_key="testing", region_name=region
    )


def assumed_session(sts: Any, role_arn: str, session_name: str = "test") -> Any:
    """A boto3 session of `role_arn`, assumed through the STS client `sts`."""
    import boto3

    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def platform_session() -> Any:
    """A boto3 session acting as the operator account's root (`mlkit-platform`, local_aws.accounts)."""
    import boto3

    from local_aws.accounts import PLATFORM_PROFILE

    return boto3.session.Session(profile_name=PLATFORM_PROFILE, region_name="us-east-1")


def admin_clients(env: Environment) -> AwsClients:
    """Clients acting as `env`'s deploy role (the platform's administrator, from the operator
    account): for what a test sets up or inspects beside the identities under test, which the
    emulator holds to their IAM policies."""
    from local_aws.accounts import PLATFORM_PROFILE
    from mlops_kit.aws import clients_for, identify_caller

    caller = identify_caller(env.region, profile=PLATFORM_PROFILE)
    return clients_for(env, role="deploy", session_name="test-admin", caller=caller)


def deploy_stack(stack_dir: Path, extra_env: dict[str, str], *, init: bool = True) -> dict[str, object]:
    """`terraform init` (optional) + `apply` of one synthesized stack; returns its outputs."""
    from mlops_kit.terraform import run_terraform

    if init:
        run_terraform(stack_dir, "init", "-input=false", env=extra_env)
    run_terraform(stack_dir, "apply", "-auto-approve", "-input=false", "-parallelism=20", env=extra_env)
    outputs = run_terraform(stack_dir, "output", "-json", env=extra_env).stdout
    return {k: v["value"] for k, v in json.loads(outputs).items()}


@pytest.fixture(scope="session")
def platform(emulator: Emulator, synthesized: Synthesized) -> dict[str, dict[str, object]]:
    """dev, staging and prod deployed into the session's emulator (each in its own account), applied
    in parallel; maps each environment to its Terraform outputs."""
    from concurrent.futures import ThreadPoolExecutor

    from mlops_kit.terraform import run_terraform

    envs = ["dev", "staging", "prod"]
    # One init at a time: parallel inits race on the shared provider plugin cache.
    for name in envs:
        run_terraform(
            synthesized.stack_file(name, local=True).parent, "init", "-input=false", env=emulator.aws_env
        )
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(
            lambda name: deploy_stack(
                synthesized.stack_file(name, local=True).parent, emulator.aws_env, init=False
            ),
            envs,
        )
        return dict(zip(envs, results, strict=True))


@pytest.fixture
def assert_plans_empty(
    platform: dict[str, dict[str, object]], synthesized: Synthesized, emulator: Emulator
) -> Callable[..., None]:
    """Call with environment names: `terraform plan -detailed-exitcode` of each of those deployed
    stacks must find nothing to change (Terraform agrees with what the kit did)."""
    from mlops_kit.stack_deploy import plan_stacks

    def check(*envs: str) -> None:
        plans = plan_stacks(
            list(envs or ("dev", "staging", "prod")),
            stacks_dir=synthesized.local_dir / "stacks",
            aws_env=emulator.aws_env,
        )
        changed = {plan.environment: plan.changes for plan in plans if not plan.empty}
        assert not changed, f"terraform plan is not empty: {changed}"

    return check
