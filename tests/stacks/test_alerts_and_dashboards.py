"""Alerts people see, as synthesized: an encrypted SNS topic per environment that every alarm
notifies, subscribed as the environment file says, and a dashboard per endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_kit.config import Environment, ResourceNames
from tests.stacks.terraform_json import decoded

ENVS = ["dev", "staging", "prod"]


def resources(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return dict(stack.get("resource", {}).get(rtype, {}))


def only(stack: dict[str, Any], rtype: str) -> tuple[str, dict[str, Any]]:
    found = resources(stack, rtype)
    assert len(found) == 1, f"expected one {rtype}, found {len(found)}"
    return next(iter(found.items()))


@pytest.fixture(params=ENVS)
def env_stack(
    request: pytest.FixtureRequest, synthesized: Any, environments: dict[str, Environment]
) -> tuple[Environment, dict[str, Any]]:
    return environments[request.param], synthesized.stack(request.param)


def test_one_alert_topic_encrypted_with_the_environment_key(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    _, topic = only(stack, "aws_sns_topic")
    key_address, _ = only(stack, "aws_kms_key")
    assert topic["name"] == ResourceNames(env).alerts_topic
    assert topic["kms_master_key_id"] == f"${{aws_kms_key.{key_address}.arn}}"


def test_topic_policy_lets_only_cloudwatch_alarms_of_this_account_publish(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    topic_address, _ = only(stack, "aws_sns_topic")
    _, policy = only(stack, "aws_sns_topic_policy")
    assert policy["arn"] == f"${{aws_sns_topic.{topic_address}.arn}}"
    (grant,) = decoded(policy["policy"])["Statement"]
    assert grant["Effect"] == "Allow"
    assert grant["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert grant["Action"] == "sns:Publish"
    assert grant["Resource"] == f"${{aws_sns_topic.{topic_address}.arn}}"
    assert grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": env.account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:*"},
    }


def test_the_key_lets_cloudwatch_alarms_encrypt_through_sns_only_for_this_account(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    _, key = only(stack, "aws_kms_key")
    statements = decoded(key["policy"])["Statement"]
    (grant,) = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": env.account_id}


def test_subscriptions_are_the_environment_files_alerts(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    topic_address, _ = only(stack, "aws_sns_topic")
    subscriptions = resources(stack, "aws_sns_topic_subscription").values()
    assert sorted((s["protocol"], s["endpoint"]) for s in subscriptions) == sorted(
        [("email", a) for a in env.alerts.email] + [("https", u) for u in env.alerts.https]
    )
    assert all(s["topic_arn"] == f"${{aws_sns_topic.{topic_address}.arn}}" for s in subscriptions)


def test_prod_alerts_reach_people_by_email_and_https(environments: dict[str, Environment]) -> None:
    """The shipped prod file subscribes someone: an alert topic nobody reads alerts no one."""
    alerts = environments["prod"].alerts
    assert alerts.email and alerts.https


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_recovers(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    topic_address, _ = only(stack, "aws_sns_topic")
    topic = f"${{aws_sns_topic.{topic_address}.arn}}"
    alarms = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}
    names = ResourceNames(env)
    expected = (
        {names.drift_alarm(m) for m in env.models}
        | {names.prediction_drift_alarm(m) for m in env.models}
        | {names.quality_alarm(m) for m in env.models}
        | {alarm for m in env.models for alarm in names.rollback_alarms(m).values()}
    )
    assert set(alarms) == expected
    for alarm in alarms.values():
        assert alarm["alarm_actions"] == [topic], alarm["alarm_name"]
        assert alarm["ok_actions"] == [topic], alarm["alarm_name"]


def dashboard_of(env: Environment, stack: dict[str, Any], model: str) -> dict[str, Any]:
    name = ResourceNames(env).dashboard(model)
    (dashboard,) = [
        d for d in resources(stack, "aws_cloudwatch_dashboard").values() if d["dashboard_name"] == name
    ]
    return decoded(dashboard["dashboard_body"])  # type: ignore[no-any-return]


def widget(body: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    return found  # type: ignore[no-any-return]


def expressions(found: dict[str, Any]) -> list[str]:
    """The metric math (SEARCH) expressions of a metric widget."""
    return [m["expression"] for row in found["properties"]["metrics"] for m in row if isinstance(m, dict)]


def test_a_dashboard_per_endpoint_shows_traffic_latency_and_errors_per_variant(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    assert len(resources(stack, "aws_cloudwatch_dashboard")) == len(env.models)
    for model in env.models:
        body = dashboard_of(env, stack, model)
        endpoint = ResourceNames(env).endpoint(model)
        for title, metrics in (
            ("Invocations per variant", ["Invocations"]),
            ("Model latency per variant (microseconds)", ["ModelLatency", "ModelLatency", "OverheadLatency"]),
            ("Errors per variant (4xx, 5xx)", ["Invocation4XXErrors", "Invocation5XXErrors"]),
        ):
            found = expressions(widget(body, title))
            assert len(found) == len(metrics), title
            for expression, metric in zip(found, metrics, strict=True):
                # One line per variant: the search's schema has VariantName, only the endpoint is fixed.
                assert expression.startswith("SEARCH('{AWS/SageMaker,EndpointName,VariantName} "), title
                assert f'EndpointName="{endpoint}"' in expression and f'MetricName="{metric}"' in expression
        assert any(
            "'p99'" in e for e in expressions(widget(body, "Model latency per variant (microseconds)"))
        )


def test_the_dashboard_shows_the_alarms_and_the_drift_metrics_the_drift_checks_publish(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    from mlops_kit.drift import publication

    env, stack = env_stack
    names = ResourceNames(env)
    alarm_arns = {
        a["alarm_name"]: f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:{a['alarm_name']}"
        for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
    }
    for model in env.models:
        body = dashboard_of(env, stack, model)
        (alarms,) = [w for w in body["widgets"] if w["type"] == "alarm"]
        assert set(alarms["properties"]["alarms"]) == {
            alarm_arns[name]
            for name in (
                *names.rollback_alarms(model).values(),
                names.drift_alarm(model),
                names.prediction_drift_alarm(model),
                names.quality_alarm(model),
            )
        }
        drift = widget(body, "Dataset drift, prediction drift (1 = drifted), drifted share of features")
        assert drift["properties"]["metrics"] == [
            [publication.DRIFT_NAMESPACE, metric, "Environment", env.name, "Model", model]
            for metric in (
                publication.DATASET_DRIFT_METRIC,
                publication.PREDICTION_DRIFT_METRIC,
                publication.DRIFTED_SHARE_METRIC,
            )
        ]
        (features,) = expressions(widget(body, "Drifted features (1 = drifted)"))
        assert f"{{{publication.DRIFT_NAMESPACE},Environment,Feature,Model}}" in features
        assert f'MetricName="{publication.FEATURE_DRIFT_METRIC}"' in features
        assert f'Environment="{env.name}" Model="{model}"' in features


def test_widgets_fit_the_dashboard_grid_without_overlapping(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    env, stack = env_stack
    cells: set[tuple[int, int]] = set()
    for widget in dashboard_of(env, stack, env.models[0])["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells
                cells.add((x, y))


def test_the_quality_alarm_watches_the_gated_metrics_floor_and_retrains(
    env_stack: tuple[Environment, dict[str, Any]],
) -> None:
    from mlops_kit.quality.publication import GATED_METRICS, QUALITY_NAMESPACE

    env, stack = env_stack
    names = ResourceNames(env)
    gated = "auc" if "auc" in env.gates.min_metrics else "accuracy"
    for model in env.models:
        (alarm,) = [
            a
            for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
            if a["alarm_name"] == names.quality_alarm(model)
        ]
        assert (alarm["namespace"], alarm["metric_name"]) == (QUALITY_NAMESPACE, GATED_METRICS[gated])
        assert alarm["dimensions"] == {"Environment": env.name, "Model": model}
        assert alarm["threshold"] == env.gates.min_metrics[gated]  # type: ignore[index]
        assert alarm["comparison_operator"] == "LessThanThreshold"
        (rule,) = resources(stack, "aws_cloudwatch_event_rule").values()
        pattern = decoded(rule["event_pattern"])
        if env.drift.retrain_account_id:
            quality_address = next(
                address
                for address, a in resources(stack, "aws_cloudwatch_metric_alarm").items()
                if a["alarm_name"] == names.quality_alarm(model)
            )
            assert f"${{aws_cloudwatch_metric_alarm.{quality_address}.arn}}" in pattern["resources"]
        else:
            assert {"prefix": names.quality_alarm_prefix(model)} in pattern["detail"]["alarmName"]
        quality = dashboard_of(env, stack, model)
        assert widget(quality, "Model quality of labelled answers")["properties"]["metrics"] == [
            [QUALITY_NAMESPACE, metric, "Environment", env.name, "Model", model]
            for metric in GATED_METRICS.values()
        ]


def test_the_stacks_name_the_metrics_as_the_checks_publish_them() -> None:
    """The stacks keep their own copies of the metric names (no drift engine at synth)."""
    from mlops_kit.drift import publication
    from mlops_kit.quality.publication import GATED_METRICS
    from stacks import dashboards, monitoring

    assert monitoring.DATASET_DRIFT_METRIC == publication.DATASET_DRIFT_METRIC
    assert monitoring.PREDICTION_DRIFT_METRIC == publication.PREDICTION_DRIFT_METRIC
    assert dashboards.DRIFTED_SHARE_METRIC == publication.DRIFTED_SHARE_METRIC
    assert dashboards.FEATURE_DRIFT_METRIC == publication.FEATURE_DRIFT_METRIC
    assert monitoring.QUALITY_METRICS == GATED_METRICS
