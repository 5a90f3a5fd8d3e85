"""What an (emulated) account still holds of one environment, by the environment's names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def named_leftovers(client: Callable[[str], Any], base: str, env: str) -> list[str]:
    """Every resource in the account named for the environment whose names start `base` (e.g.
    `mlkit-dev`): buckets, registries, endpoints, configurations, models, pipelines, roles, tables,
    repositories, clusters, alarms, rules, schedules, log groups and key aliases."""
    sagemaker = client("sagemaker")
    found = [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    found += [g["ModelPackageGroupName"] for g in groups]
    found += [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    found += [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    found += [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    found += [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]]
    found += [r["RoleName"] for r in client("iam").list_roles(MaxItems=1000)["Roles"]]
    found += client("dynamodb").list_tables()["TableNames"]
    found += [r["repositoryName"] for r in client("ecr").describe_repositories()["repositories"]]
    found += client("eks").list_clusters()["clusters"]
    found += [a["AlarmName"] for a in client("cloudwatch").describe_alarms()["MetricAlarms"]]
    found += [r["Name"] for r in client("events").list_rules()["Rules"]]
    found += [s["Name"] for s in client("scheduler").list_schedules()["Schedules"]]
    found += [g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]]
    found += [a["AliasName"] for a in client("kms").list_aliases()["Aliases"]]
    prefix, _, _ = base.rpartition("-")
    starts = (f"{base}-", f"{base}/", f"alias/{base}", f"/{prefix}/{env}/")
    return sorted(name for name in found if name.startswith(starts) or name.endswith(f".{env}"))
