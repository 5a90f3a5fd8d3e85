"""The scheduled quality job, as synthesized: per model its pipeline (code uploaded beside it) and
a schedule that starts it, which the scheduler role may do."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from tests.stacks.terraform_json import decoded

ENVS = ["dev", "staging", "prod"]


def resources(stack: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return list(stack.get("resource", {}).get(rtype, {}).values())


@pytest.fixture(params=ENVS)
def env_stack(
    request: pytest.FixtureRequest, synthesized: Any, environments: dict[str, Environment]
) -> tuple[Environment, dict[str, Any]]:
    return environments[request.param], synthesized.stack(request.param)


def test_a_quality_pipeline_per_model_with_its_code(env_stack: tuple[Environment, dict[str, Any]]) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    uploaded = {f"s3://{names.artifact_bucket}/{o['key']}" for o in resources(stack, "aws_s3_object")}
    for model in env.models:
        (pipeline,) = [
            p
            for p in resources(stack, "aws_sagemaker_pipeline")
            if p["pipeline_name"] == names.quality_pipeline(model)
        ]
        definition = decoded(pipeline["pipeline_definition"])
        (step,) = definition["Steps"]
        arguments = step["Arguments"]
        script = arguments["ProcessingInputs"][-1]["S3Input"]["S3Uri"]
        assert script in uploaded and script.endswith("/quality_check.py")
        lib = arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"]
        assert f"{lib}mlops_kit/quality/evaluation.py" in uploaded
        args = arguments["AppSpecification"]["ContainerArguments"]
        assert args[args.index("--labels-prefix") + 1] == names.labels_prefix(model)
        assert args[args.index("--endpoint") + 1] == names.endpoint(model)
        outputs = arguments["ProcessingOutputConfig"]["Outputs"]
        assert outputs[0]["S3Output"]["S3Uri"] == names.quality_report_prefix(model)


def test_the_quality_schedule_starts_it_as_the_scheduler_role_may(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    names = ResourceNames(env)
    for model in env.models:
        (schedule,) = [
            s
            for s in resources(stack, "aws_scheduler_schedule")
            if s["name"] == names.quality_schedule(model)
        ]
        assert schedule["schedule_expression"] == env.drift.schedule
        arn = schedule["target"]["arn"]
        assert arn.endswith(f":pipeline/{names.quality_pipeline(model)}")
        (policy,) = [p for p in resources(stack, "aws_iam_role_policy") if "identity_scheduler" in p["role"]]
        started = [r for s in decoded(policy["policy"])["Statement"] for r in s["Resource"]]
        assert arn in started
