"""dev, staging and prod in ONE AWS account, deployed with the real `cdktf deploy` into an emulator
of this module's own: promotions leave every plan empty, a platform deploy during a promotion
changes neither, a deploy after one leaves the endpoint as it was, and `kit env teardown dev`
removes dev and nothing of staging's or prod's, a re-run finishing a failed teardown.

Rollout time runs 100x faster in this emulator (staging's 5-minute bake takes 3 s), so a canary
can be made to last longer than a deploy."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from promotion_support import (
    CLEAN_REPORT_KEY,
    MODEL,
    PROD_APPROVER_ROLE,
    Traffic,
    identity,
    put_drift_report,
    register_version,
    release_identity,
)

from cli.main import main
from mlops_kit.config import Environment, ResourceNames, load_all_environments
from tests.account_inventory import named_leftovers
from tests.config.test_account_layout import SHARED_ACCOUNT, shared_account_copy
from tests.conftest import admin_clients, free_port
from tests.emulator.tagged_models import tagged_model_archive

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

ENVS = ["dev", "staging", "prod"]
PLATFORM, ENGINEER = "mlkit-platform", "mlkit-engineer"  # local mode's profiles (local_aws.accounts)
_VARIABLES = (
    "KIT_ENVIRONMENTS_DIR",
    "KIT_STATE_DIR",
    "KIT_EMULATOR_TIME_SCALE",
    "CDKTF_OUTDIR",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@dataclass
class OneAccount:
    folder: Path  # the environment files (all three in account 111111111111)
    state_dir: Path
    outdir: Path
    aws_env: dict[str, str]
    port: int

    @property
    def envs(self) -> dict[str, Environment]:
        return load_all_environments(self.folder)

    def edit(self, env: str, pattern: str, replacement: str) -> None:
        path = self.folder / f"{env}.yaml"
        text, count = re.subn(pattern, replacement, path.read_text())
        assert count == 1, (pattern, path)
        path.write_text(text)

    def deploy(self, *envs: str) -> None:
        from mlops_kit.stack_deploy import deploy_stacks

        deploy_stacks(list(envs), aws_env=self.aws_env, state_dir=self.state_dir, outdir=self.outdir)

    def apply(self, env: str) -> None:
        """What `cdktf deploy ENV` does, without the cdktf CLI's start-up: synthesize the current
        environment files (in this process, as `python -m stacks` would) and apply one stack."""
        from mlops_kit.terraform import run_terraform
        from stacks.app import build_app

        state = str(self.state_dir.resolve() / "terraform-state")
        build_app(self.envs, outdir=str(self.outdir), emulator=True, state_dir=state).synth()
        run_terraform(
            self.outdir / "stacks" / env,
            "apply",
            "-auto-approve",
            "-input=false",
            "-parallelism=20",
            env=self.aws_env,
        )

    def managed_resources(self, env: str) -> int:
        from mlops_kit.terraform import run_terraform

        state = json.loads(
            run_terraform(self.outdir / "stacks" / env, "show", "-json", env=self.aws_env).stdout
        )
        return sum(1 for r in state["values"]["root_module"]["resources"] if r["mode"] == "managed")

    def plans(self, *envs: str) -> dict[str, tuple[str, ...]]:
        """The stacks whose `terraform plan` is not empty, with what it would change."""
        from mlops_kit.stack_deploy import plan_stacks

        plans = plan_stacks(list(envs), stacks_dir=self.outdir / "stacks", aws_env=self.aws_env)
        return {plan.environment: plan.changes for plan in plans if not plan.empty}


@pytest.fixture(scope="module")
def one_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OneAccount]:
    from local_aws.accounts import PLATFORM_PROFILE
    from local_aws.server import local_aws_environment, start_emulator, stop_emulator, use_local_aws

    root = tmp_path_factory.mktemp("one-account")
    previous = {k: os.environ.get(k) for k in _VARIABLES}
    folder = shared_account_copy(root / "environments")
    os.environ.update(
        {
            "KIT_ENVIRONMENTS_DIR": str(folder),
            "KIT_STATE_DIR": str(root / "kit"),
            "KIT_EMULATOR_TIME_SCALE": "100",
            "CDKTF_OUTDIR": str(root / "cdktf.out"),
        }
    )
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(key, None)
    port = free_port()
    start_emulator(port)  # with the identities of the shared-account copy (KIT_ENVIRONMENTS_DIR)
    use_local_aws(port)  # the ML engineers; Terraform deploys as the platform
    aws_env = local_aws_environment(port, profile=PLATFORM_PROFILE)
    try:
        account = OneAccount(folder, root / "kit", root / "cdktf.out", aws_env, port)
        account.deploy(*ENVS)
        envs = account.envs
        for name in ("dev", "staging"):
            put_drift_report(envs[name], CLEAN_REPORT_KEY, drifted=False)
        yield account
    finally:
        stop_emulator(port)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kit(*args: str) -> tuple[int, str]:
    """Exit code and output (stdout, then stderr) of `kit ARGS` in this process."""
    code, out, err = kit_streams(*args)
    return code, out + err


def kit_streams(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def endpoint_state(env: Environment) -> dict[str, Any]:
    """What an endpoint serves: its configuration, and each variant's model, weight and instances."""

    sagemaker = admin_clients(env).client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=ResourceNames(env).endpoint(MODEL))
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    models = {v["VariantName"]: v["ModelName"] for v in config["ProductionVariants"]}
    return {
        "status": endpoint["EndpointStatus"],
        "config": endpoint["EndpointConfigName"],
        "variants": sorted(
            (v["VariantName"], models[v["VariantName"]], v["CurrentWeight"], v["CurrentInstanceCount"])
            for v in endpoint["ProductionVariants"]
        ),
    }


@pytest.fixture(scope="module")
def promoted(one_account: OneAccount, trained_model: bytes, training_features: Any) -> dict[str, int]:
    """A dev version promoted to staging and, approved by a second identity and with its model card,
    to prod."""
    envs = one_account.envs
    first = tagged_model_archive("first")
    dev = register_version(envs["dev"], trained_model, training_features, archive=first)
    code, out, err = kit_streams(
        "promote", MODEL, "--to", "staging", "--version", str(dev.version), "--yes", "--json"
    )
    assert code == 0, err
    staging_version = json.loads(out)["to"]["version"]
    with identity(PROD_APPROVER_ROLE.replace("333333333333", SHARED_ACCOUNT), "approver"):
        code, out = kit("approve", MODEL, str(staging_version), "--env", "prod", "--comment", "one account")
        assert code == 0, out
    code, out = kit("models", "card", MODEL, str(staging_version), "--env", "staging")  # prod requires it
    assert code == 0, out
    with release_identity():  # as promote.yml promotes prod, in one account as in three
        code, out, err = kit_streams(
            "promote", MODEL, "--to", "prod", "--version", str(staging_version), "--yes", "--json"
        )
    assert code == 0, err
    return {"dev": dev.version, "staging": staging_version, "prod": json.loads(out)["to"]["version"]}


def test_cdktf_deploy_puts_every_declared_resource_of_every_stack_into_state(
    one_account: OneAccount,
) -> None:
    for env in ENVS:
        stack = json.loads((one_account.outdir / "stacks" / env / "cdk.tf.json").read_text())
        declared = sum(len(resources) for resources in stack["resource"].values())
        assert one_account.managed_resources(env) == declared, env


def test_three_environments_share_one_account_each_with_its_own_promotion_role(
    one_account: OneAccount,
) -> None:

    envs = one_account.envs
    iam = admin_clients(envs["dev"]).client("iam")
    roles = {r["RoleName"] for r in iam.list_roles(MaxItems=1000)["Roles"]}
    assert {ResourceNames(env).promotion_role for env in envs.values()} <= roles
    assert {env.account_id for env in envs.values()} == {SHARED_ACCOUNT}


def test_promotions_in_one_account_leave_every_plan_empty(
    one_account: OneAccount, promoted: dict[str, int]
) -> None:
    envs = one_account.envs
    assert endpoint_state(envs["staging"])["config"].endswith(f"-v{promoted['staging']}")
    assert endpoint_state(envs["prod"])["config"].endswith(f"-v{promoted['prod']}")
    assert one_account.plans(*ENVS) == {}


def warm_and_quiet(env: Environment, row: str) -> None:
    """The endpoint has answered (its model host is up) and its rollback alarms are OK, so a
    rollout now is judged on its own requests only."""

    traffic = Traffic(env, row)
    deadline = time.monotonic() + 90
    while traffic.invoke() == "error":
        assert time.monotonic() < deadline, "the endpoint never answered"
        time.sleep(0.5)
    cloudwatch = admin_clients(env).client("cloudwatch")
    alarms = list(ResourceNames(env).rollback_alarms(MODEL).values())
    while True:
        found = cloudwatch.describe_alarms(AlarmNames=alarms)["MetricAlarms"]
        states = {a["AlarmName"]: a["StateValue"] for a in found}
        if set(states.values()) == {"OK"}:
            return
        assert time.monotonic() < deadline, f"rollback alarms not OK: {states}"
        time.sleep(1)


def test_a_platform_deploy_during_a_promotion_changes_neither(
    one_account: OneAccount,
    promoted: dict[str, int],
    trained_model: bytes,
    training_features: Any,
    feature_row: str,
) -> None:

    envs = one_account.envs
    staging = envs["staging"]
    second = tagged_model_archive("second")
    dev = register_version(envs["dev"], trained_model, training_features, archive=second)
    # A canary that bakes 100 minutes (60 s here) outlasts the deploy (synth and apply of staging:
    # 10 to 40 s on a loaded 2-core machine); the platform change is an alarm threshold, Terraform's.
    one_account.edit("staging", r"bake_minutes: \d+", "bake_minutes: 100")
    one_account.edit("staging", r"serving:\n", "serving:\n  alarms: {max_p99_latency_ms: 750}\n")
    outcome: dict[str, Any] = {}

    def promote() -> None:
        outcome["result"] = kit("promote", MODEL, "--to", "staging", "--version", str(dev.version), "--yes")

    sagemaker = admin_clients(staging).client("sagemaker")
    endpoint = ResourceNames(staging).endpoint(MODEL)
    warm_and_quiet(staging, feature_row)
    with Traffic(staging, feature_row) as traffic:
        promotion = threading.Thread(target=promote)
        promotion.start()
        deadline = time.monotonic() + 60
        while sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] != "Updating":
            assert time.monotonic() < deadline and promotion.is_alive(), "\n".join(outcome["result"][1:])
            time.sleep(0.1)
        one_account.apply("staging")
        still_rolling_out = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Updating"
        promotion.join(timeout=180)
    one_account.edit("staging", r"bake_minutes: \d+", "bake_minutes: 5")

    code, out = outcome["result"]
    assert code == 0, out
    assert still_rolling_out, "the deploy ended after the canary: nothing ran at the same time"
    assert set(traffic.answers) == {"first", "second"}  # answered throughout, by both releases
    assert [traffic.invoke() for _ in range(3)] == ["second"] * 3
    state = endpoint_state(staging)
    assert state["status"] == "InService"
    assert state["config"].endswith(f"-v{promoted['staging'] + 1}")
    latency = ResourceNames(staging).rollback_alarms(MODEL)["latency"]
    alarm = (
        admin_clients(staging).client("cloudwatch").describe_alarms(AlarmNames=[latency])["MetricAlarms"][0]
    )
    assert alarm["Threshold"] == 750 * 1000
    assert one_account.plans("staging") == {}


def test_a_deploy_after_a_promotion_leaves_the_endpoint_as_it_was(
    one_account: OneAccount, promoted: dict[str, int], feature_row: str
) -> None:

    prod = one_account.envs["prod"]
    before = endpoint_state(prod)
    # A platform change on the endpoint's own construct: its autoscaling ceiling.
    one_account.edit("prod", r"max_capacity: 6", "max_capacity: 8")
    warm_and_quiet(prod, feature_row)
    with Traffic(prod, feature_row) as traffic:
        one_account.deploy("prod")
    assert set(traffic.answers) == {"first"}  # answered throughout, by the promoted release
    assert endpoint_state(prod) == before
    targets = (
        admin_clients(prod)
        .client("application-autoscaling")
        .describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    )
    endpoint = ResourceNames(prod).endpoint(MODEL)
    assert [t["MaxCapacity"] for t in targets if endpoint in t["ResourceId"]] == [8]
    assert one_account.plans("prod") == {}


def dev_leftovers(env: Environment) -> list[str]:

    return named_leftovers(admin_clients(env).client, ResourceNames(env).base, env.name)


def test_teardown_of_dev_removes_dev_only_and_a_rerun_finishes_a_failed_one(
    one_account: OneAccount, promoted: dict[str, int], feature_row: str
) -> None:
    envs = one_account.envs
    code, out = kit("pipeline", "run", "--env", "dev")  # a pipeline the kit creates, with an execution
    assert code == 0, out
    assert dev_leftovers(envs["dev"])
    serving = {name: endpoint_state(envs[name]) for name in ("staging", "prod")}
    answers = {name: Traffic(envs[name], feature_row).invoke() for name in serving}

    proxy = FaultProxy(one_account.port)
    os.environ["AWS_ENDPOINT_URL"] = proxy.endpoint_url
    os.environ["AWS_PROFILE"] = PLATFORM  # a teardown is the platform's
    try:
        proxy.arm(lambda request: request.operation == "DeleteModelPackage", "error")
        code, out = kit("env", "teardown", "dev", "--yes")
        assert code == 1, out
        assert "teardown of dev stopped at model package" in out and "left:" in out
        assert "the stack was not destroyed" in out
        proxy.resume()
        code, out, err = kit_streams("env", "teardown", "dev", "--yes", "--json")
        assert code == 0, out + err
    finally:
        os.environ["AWS_ENDPOINT_URL"] = one_account.aws_env["AWS_ENDPOINT_URL"]
        os.environ["AWS_PROFILE"] = ENGINEER
        proxy.close()

    # Only the audit log (its records under Object Lock) and the key that encrypts them outlive it.
    names = ResourceNames(envs["dev"])
    kept = {k["id"] for k in json.loads(out)["kept"]}
    assert {names.audit_bucket, names.kms_alias} <= kept
    assert dev_leftovers(envs["dev"]) == sorted([names.audit_bucket, names.kms_alias])

    lock = admin_clients(envs["dev"]).client("s3").get_object_lock_configuration(Bucket=names.audit_bucket)
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    # staging and prod, in the same account, serve as before and answer as before.
    assert {name: endpoint_state(envs[name]) for name in serving} == serving
    for name, answer in answers.items():
        assert answer != "error"
        assert [Traffic(envs[name], feature_row).invoke() for _ in range(3)] == [answer] * 3
    assert one_account.plans("staging", "prod") == {}

    # The next deploy of dev adopts the kept audit log and key, and then Terraform agrees with AWS.
    one_account.deploy("dev")
    assert one_account.plans("dev") == {}


def test_teardown_is_refused_for_an_environment_whose_file_does_not_allow_it(
    one_account: OneAccount,
) -> None:
    code, out = kit("env", "teardown", "prod", "--yes")
    assert code == 2
    assert "ENV: environment prod does not allow teardown" in out
