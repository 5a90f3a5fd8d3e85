"""A CloudWatch dashboard per endpoint: traffic per variant, latency, 4xx/5xx errors, the alarms'
states, and the drift metrics the drift checks publish, input and prediction drift
(`mlops_kit.drift.publication`).

Per-variant graphs use SEARCH expressions, so the variants promotion creates and removes (`primary`,
a kit-driven `canary`, a shadow variant) appear without a deploy.
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.identity import DRIFT_NAMESPACE
from stacks.monitoring import DATASET_DRIFT_METRIC, PREDICTION_DRIFT_METRIC, QUALITY_METRICS
from stacks.policy import terraform_jsonencode

# The names `mlops_kit.drift.publication` publishes under (importing it would import the drift
# engine into every synth; tests/stacks check that the two agree).
DRIFTED_SHARE_METRIC = "DriftedShare"
FEATURE_DRIFT_METRIC = "FeatureDrift"

WIDTH, HEIGHT = 12, 6
PERIOD = 60
DRIFT_PERIOD = 3600


def _variant_search(endpoint: str, metric: str, statistic: str, expression_id: str) -> list[dict[str, Any]]:
    """One line per variant of `endpoint` for an AWS/SageMaker metric (no label: CloudWatch names
    each line by its dimension values, so the variant shows)."""
    query = f'{{AWS/SageMaker,EndpointName,VariantName}} EndpointName="{endpoint}" MetricName="{metric}"'
    return [
        {
            "expression": f"SEARCH('{query}', '{statistic}', {PERIOD})",
            "id": expression_id,
        }
    ]


def _metric_widget(title: str, region: str, metrics: list[Any], **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "metrics": metrics,
            **properties,
        },
    }


def quality_gated(env: Environment) -> bool:
    """Whether the environment gates a metric the quality alarm watches (stacks.monitoring)."""
    return any(metric in env.gates.min_metrics for metric in QUALITY_METRICS)


def dashboard_widgets(env: Environment, model: str) -> list[dict[str, Any]]:
    """The widgets of `model`'s endpoint dashboard, laid out two to a row."""
    names = ResourceNames(env)
    endpoint, region = names.endpoint(model), env.region
    alarm_arn = f"arn:aws:cloudwatch:{region}:{env.account_id}:alarm:{{}}"
    drift_dimensions = ["Environment", env.name, "Model", model]
    feature_query = (
        f"{{{DRIFT_NAMESPACE},Environment,Feature,Model}} "
        f'MetricName="{FEATURE_DRIFT_METRIC}" Environment="{env.name}" Model="{model}"'
    )
    widgets = [
        _metric_widget(
            "Invocations per variant",
            region,
            [_variant_search(endpoint, "Invocations", "Sum", "invocations")],
            stat="Sum",
            period=PERIOD,
        ),
        _metric_widget(
            "Model latency per variant (microseconds)",
            region,
            [
                _variant_search(endpoint, "ModelLatency", "p99", "p99"),
                _variant_search(endpoint, "ModelLatency", "Average", "mean"),
                _variant_search(endpoint, "OverheadLatency", "Average", "overhead"),
            ],
            period=PERIOD,
        ),
        _metric_widget(
            "Errors per variant (4xx, 5xx)",
            region,
            [
                _variant_search(endpoint, "Invocation4XXErrors", "Sum", "errors4xx"),
                _variant_search(endpoint, "Invocation5XXErrors", "Sum", "errors5xx"),
            ],
            stat="Sum",
            period=PERIOD,
        ),
        {
            "type": "alarm",
            "properties": {
                "title": "Alarms",
                "alarms": [
                    alarm_arn.format(name)
                    for name in (
                        *names.rollback_alarms(model).values(),
                        names.drift_alarm(model),
                        names.prediction_drift_alarm(model),
                        *([names.quality_alarm(model)] if quality_gated(env) else []),
                    )
                ],
            },
        },
        _metric_widget(
            "Dataset drift, prediction drift (1 = drifted), drifted share of features",
            region,
            [
                [DRIFT_NAMESPACE, DATASET_DRIFT_METRIC, *drift_dimensions],
                [DRIFT_NAMESPACE, PREDICTION_DRIFT_METRIC, *drift_dimensions],
                [DRIFT_NAMESPACE, DRIFTED_SHARE_METRIC, *drift_dimensions],
            ],
            stat="Maximum",
            period=DRIFT_PERIOD,
        ),
        _metric_widget(
            "Drifted features (1 = drifted)",
            region,
            [[{"expression": f"SEARCH('{feature_query}', 'Maximum', {DRIFT_PERIOD})", "id": "features"}]],
            stat="Maximum",
            period=DRIFT_PERIOD,
        ),
        _metric_widget(
            "Model quality of labelled answers",
            region,
            [[DRIFT_NAMESPACE, metric, *drift_dimensions] for metric in QUALITY_METRICS.values()],
            stat="Minimum",
            period=DRIFT_PERIOD,
        ),
    ]
    for index, widget in enumerate(widgets):
        widget.update(x=(index % 2) * WIDTH, y=(index // 2) * HEIGHT, width=WIDTH, height=HEIGHT)
    return widgets


class EndpointDashboards(Construct):
    """One dashboard per model's endpoint, named like the endpoint."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        self.dashboards = {
            model: CloudwatchDashboard(
                self,
                f"dashboard-{model}",
                dashboard_name=names.dashboard(model),
                dashboard_body=terraform_jsonencode({"widgets": dashboard_widgets(env, model)}),
            )
            for model in env.models
        }
