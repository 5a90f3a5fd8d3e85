"""The synthesized Terraform JSON of each environment holds the platform the issue describes."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from stacks.cluster_addons import AUTOSCALER_DESCRIBE
from stacks.github_actions import PLAN_READ_ANY
from tests.stacks.terraform_json import decoded

ENVS = ["dev", "staging", "prod"]


def resources(stack: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return list(stack.get("resource", {}).get(rtype, {}).values())


def one(stack: dict[str, Any], rtype: str, **match: Any) -> dict[str, Any]:
    found = [r for r in resources(stack, rtype) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {rtype} with {match}, found {len(found)}"
    return found[0]


@pytest.fixture(params=ENVS)
def env_stack(
    request: pytest.FixtureRequest, synthesized: Any, environments: dict[str, Environment]
) -> tuple[Environment, dict[str, Any]]:
    return environments[request.param], synthesized.stack(request.param)


def test_network_has_private_subnets_over_two_zones(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    subnets = resources(stack, "aws_subnet")
    assert len(subnets) == env.network.az_count >= 2
    assert len({s["availability_zone"] for s in subnets}) == len(subnets)
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)
    assert not resources(stack, "aws_internet_gateway") and not resources(stack, "aws_nat_gateway")


def test_network_has_vpc_endpoints_for_every_service(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    services = {
        e["service_name"].removeprefix(f"com.amazonaws.{env.region}.")
        for e in resources(stack, "aws_vpc_endpoint")
    }
    assert {"s3", "sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "sts", "logs"} <= services


def test_network_has_flow_logs_and_a_closed_default_security_group(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    _, stack = env_stack
    assert one(stack, "aws_flow_log")["traffic_type"] == "ALL"
    default_sg = one(stack, "aws_default_security_group")
    assert not default_sg.get("ingress") and not default_sg.get("egress")


def test_one_customer_managed_key_with_rotation_and_scoped_policy(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    key = one(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    policy = decoded(key["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert {"AWS": f"arn:aws:iam::{env.account_id}:root"} in principals
    assert "*" not in principals and {"AWS": "*"} not in principals


def test_artifact_bucket_is_encrypted_versioned_private_tls_only_logged(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    buckets = {b["bucket"] for b in resources(stack, "aws_s3_bucket")}
    assert {names.artifact_bucket, names.access_log_bucket} <= buckets
    sse = [
        r["rule"][0]["apply_server_side_encryption_by_default"]
        for r in resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
    ]
    assert any(d["sse_algorithm"] == "aws:kms" for d in sse)
    assert all(
        v["versioning_configuration"]["status"] == "Enabled"
        for v in resources(stack, "aws_s3_bucket_versioning")
    )
    assert all(
        p["block_public_acls"] and p["restrict_public_buckets"]
        for p in resources(stack, "aws_s3_bucket_public_access_block")
    )
    for policy in resources(stack, "aws_s3_bucket_policy"):
        statements = decoded(policy["policy"])["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )
    # Access logging of the artifact bucket (the audit log's bucket logs under its own prefix).
    prefixes = {logging["target_prefix"] for logging in resources(stack, "aws_s3_bucket_logging")}
    assert f"{names.artifact_bucket}/" in prefixes
    assert len(resources(stack, "aws_s3_bucket_lifecycle_configuration")) == 2


def test_ecr_repositories_scan_on_push_immutable_kms(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    repos = resources(stack, "aws_ecr_repository")
    assert {r["name"] for r in repos} == {
        ResourceNames(env).ecr_repository(r) for r in env.registry.ecr_repositories
    }
    for repo in repos:
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"]["scan_on_push"] is True
        assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"


def test_model_package_group_per_model(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    groups = {g["model_package_group_name"] for g in resources(stack, "aws_sagemaker_model_package_group")}
    assert groups == {ResourceNames(env).model_package_group(m) for m in env.models}


def test_eks_cluster_is_private_encrypted_and_logged(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    cluster = one(stack, "aws_eks_cluster")
    assert cluster["vpc_config"]["endpoint_public_access"] is False
    assert cluster["vpc_config"]["endpoint_private_access"] is True
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert set(cluster["enabled_cluster_log_types"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert cluster["version"] == env.training_cluster.kubernetes_version


def test_one_gpu_node_group_per_pool_tainted_labelled_scaling_to_zero(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    groups = {g["node_group_name"]: g for g in resources(stack, "aws_eks_node_group")}
    names = ResourceNames(env)
    assert names.node_group("system") in groups
    for pool in env.training_cluster.gpu_node_pools:
        group = groups[names.node_group(pool.name)]
        assert group["ami_type"] in {"AL2023_x86_64_NVIDIA", "AL2_x86_64_GPU", "BOTTLEROCKET_x86_64_NVIDIA"}
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in group["taint"]
        assert pool.labels.items() <= group["labels"].items()
        assert group["scaling_config"]["min_size"] == 0
        assert group["capacity_type"] == pool.capacity_type
        assert group["instance_types"] == pool.instance_types
    assert len(groups) == len(env.training_cluster.gpu_node_pools) + 1


def test_endpoint_has_data_capture_autoscaling_and_rollback_alarms(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    model = env.models[0]
    config = one(stack, "aws_sagemaker_endpoint_configuration")
    capture = config["data_capture_config"]
    assert capture["destination_s3_uri"] == names.data_capture_prefix(model)
    assert capture["enable_capture"] is True
    assert config["production_variants"][0]["instance_type"] == env.serving.instance_type
    endpoint = one(stack, "aws_sagemaker_endpoint", name=names.endpoint(model))
    target = one(stack, "aws_appautoscaling_target")
    assert target["resource_id"] == f"endpoint/{names.endpoint(model)}/variant/primary"
    assert (target["min_capacity"], target["max_capacity"]) == (
        env.serving.autoscaling.min_capacity,
        env.serving.autoscaling.max_capacity,
    )
    policy = one(stack, "aws_appautoscaling_policy")
    assert policy["target_tracking_scaling_policy_configuration"]["target_value"] == (
        env.serving.autoscaling.target_invocations_per_instance
    )
    alarms = {a["metric_name"] for a in resources(stack, "aws_cloudwatch_metric_alarm")}
    assert {"Invocation5XXErrors", "ModelLatency"} <= alarms
    assert endpoint["name"] == names.endpoint(model)


def test_promotion_owns_the_served_version(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    """A `cdktf deploy` never reverts or replaces a promotion: Terraform ignores the endpoint's
    configuration name and the deployment policy of its last rollout."""
    _, stack = env_stack
    endpoint = one(stack, "aws_sagemaker_endpoint")
    assert endpoint["lifecycle"]["ignore_changes"] == ["endpoint_config_name", "deployment_config"]


def test_drift_schedule_alarm_and_retraining_rule(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    model = env.models[0]
    schedule = one(stack, "aws_scheduler_schedule", name=names.drift_schedule(model))
    assert schedule["schedule_expression"] == env.drift.schedule
    assert schedule["target"]["arn"].endswith(f":pipeline/{names.drift_pipeline(model)}")
    alarm = one(stack, "aws_cloudwatch_metric_alarm", metric_name="DatasetDrift")
    assert alarm["alarm_name"] == names.drift_alarm(model)
    pattern = decoded(one(stack, "aws_cloudwatch_event_rule")["event_pattern"])
    assert pattern["detail"]["state"] == {"value": ["ALARM"]}
    target = one(stack, "aws_cloudwatch_event_target")
    if env.drift.retrain_account_id:
        # Drift here retrains in the training account: the alarm event goes to its event bus.
        assert (
            target["arn"] == f"arn:aws:events:{env.region}:{env.drift.retrain_account_id}:event-bus/default"
        )
    else:
        assert target["arn"].endswith(f":pipeline/{names.training_pipeline(model)}")
        assert pattern["detail"]["alarmName"] == [
            {"prefix": names.drift_alarm_prefix(model)},
            {"prefix": names.quality_alarm_prefix(model)},
        ]
        assert pattern["account"] == [env.account_id, *env.drift.accept_retrain_from]
    assert not resources(stack, "aws_lambda_function")


def test_the_training_account_accepts_drift_alarms_of_the_others(
    environments: dict[str, Environment], synthesized: Any
) -> None:
    dev, staging, prod = (environments[n] for n in ("dev", "staging", "prod"))
    assert staging.drift.retrain_account_id == prod.drift.retrain_account_id == dev.account_id
    policy = decoded(one(synthesized.stack("dev"), "aws_cloudwatch_event_bus_policy")["policy"])
    principals = policy["Statement"][0]["Principal"]["AWS"]
    assert principals == [f"arn:aws:iam::{a}:root" for a in (staging.account_id, prod.account_id)]


def test_drift_pipeline_is_declared_with_sharded_capture_and_its_code(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    for model in env.models:
        pipeline = one(stack, "aws_sagemaker_pipeline", pipeline_name=names.drift_pipeline(model))
        assert "aws_iam_role.identity_pipeline" in pipeline["role_arn"]
        definition = decoded(pipeline["pipeline_definition"])
        assert {p["Name"] for p in definition["Parameters"]} == {
            "WindowHours",
            "BaselineUri",
            "CapturePrefix",
        }
        shards, merge = definition["Steps"]
        assert (
            shards["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceCount"]
            == env.drift.instance_count
        )
        capture = shards["Arguments"]["ProcessingInputs"][0]["S3Input"]
        assert capture["S3DataDistributionType"] == "ShardedByS3Key"
        assert merge["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
            names.drift_report_prefix(model)
        )
        code = merge["Arguments"]["ProcessingInputs"][-1]["S3Input"]["S3Uri"]
        uploaded = {f"s3://{names.artifact_bucket}/{o['key']}" for o in resources(stack, "aws_s3_object")}
        assert code in uploaded


def test_least_privilege_roles_never_allow_everything(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    _, stack = env_stack
    for policy in resources(stack, "aws_iam_role_policy"):
        for statement in decoded(policy["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), statement
            if statement["Resource"] == ["*"]:
                # Only actions without resource-level permissions may use "*".
                assert set(actions) <= {
                    "ecr:GetAuthorizationToken",
                    "cloudwatch:PutMetricData",
                    "cloudwatch:GetMetricStatistics",
                    "cloudwatch:GetMetricData",
                    "sagemaker:ListModelCards",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeDhcpOptions",
                    *PLAN_READ_ANY,  # the GitHub plan role's reads without resource-level permissions
                    *AUTOSCALER_DESCRIBE,  # the cluster autoscaler's reads, likewise
                }, statement


def test_promotion_role_trusts_only_the_named_principals(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    role = one(stack, "aws_iam_role", name=ResourceNames(env).promotion_role)
    trust = decoded(role["assume_role_policy"])["Statement"][0]
    named = env.identity.promotion_trusted_principals
    # After them, only the environment's GitHub release role (tests/stacks/test_github_identities.py).
    assert trust["Principal"]["AWS"][: len(named)] == named
    assert all("github-release" in p for p in trust["Principal"]["AWS"][len(named) :])


def test_cloud_stacks_keep_state_in_s3_with_locking(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    backend = stack["terraform"]["backend"]["s3"]
    assert env.state is not None and backend["bucket"] == env.state.bucket
    assert backend["use_lockfile"] is True and backend["encrypt"] is True
    provider = stack["provider"]["aws"][0]
    assert provider["allowed_account_ids"] == [env.account_id]
    assert "skip_credentials_validation" not in provider


@pytest.mark.parametrize("name", ENVS)
def test_emulator_stacks_use_local_state_and_emulator_settings_only(synthesized: Any, name: str) -> None:
    stack = synthesized.stack(name, local=True)
    assert "local" in stack["terraform"]["backend"]
    provider = stack["provider"]["aws"][0]
    assert provider["skip_credentials_validation"] is True
    assert provider["max_retries"] == 3
    assert "endpoints" not in provider  # the endpoint comes from AWS_ENDPOINT_URL alone
    cloud = synthesized.stack(name)
    assert cloud["resource"] == stack["resource"]
