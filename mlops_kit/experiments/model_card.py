"""Model cards: what a reviewer reads about a version before it reaches prod.

One card per registered version, kept as a SageMaker Model Card (`CreateModelCard`, versioned by
`UpdateModelCard`) named `<prefix>-<env>-<model>-v<version>`: intended use and owner, training data
and its version, hyperparameters, metrics, the gates it passed, lineage (commit, images, artifact and
its sha256, MLflow run) and approvals. Its content is JSON in the sections of SageMaker's model card
schema; its sha256 (of the canonical JSON) is what an audit record cites.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws import AwsClients, clients_for
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import NotFound
from mlops_kit.promotion.catalog import VersionDetails, show_model_version
from mlops_kit.promotion.gates import GateResult


@dataclass(frozen=True)
class ModelCard:
    name: str
    arn: str
    card_version: int
    content: dict[str, Any]

    @property
    def sha256(self) -> str:
        return card_sha256(self.content)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "card_version": self.card_version,
            "sha256": self.sha256,
            "content": self.content,
        }


def card_name(env: Environment, model: str, version: int) -> str:
    return f"{ResourceNames(env).base}-{model}-v{version}"


def card_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def card_content(env: Environment, details: VersionDetails) -> dict[str, Any]:
    """The card of one version (pure): SageMaker model card sections, filled from the registry."""
    version = details.version
    lineage = version.lineage
    spec = next((m for m in env.registry.models if m.name == version.model), None)
    approvals = [
        {"by": e.actor, "at": str(e.at), "outcome": e.outcome, "comment": e.comment or e.detail}
        for e in details.history
        if e.kind in ("approval", "promotion")
    ]
    return {
        "model_overview": {
            "model_name": version.model,
            "model_description": spec.description if spec else "",
            "model_owner": env.tags.get("team", ""),
            "model_version": version.version,
            "model_artifact": [version.artifact_uri],
            "inference_environment": {"container_image": [version.image]},
        },
        "intended_uses": {
            "purpose_of_model": spec.description if spec else "",
            "intended_uses": f"{version.model} in {env.name}; decisions are reviewed by a person",
        },
        "training_details": {
            "training_job_details": {
                "training_datasets": [lineage.data_uri],
                "hyper_parameters": [
                    {"name": k, "value": v} for k, v in sorted(lineage.hyperparameters.items())
                ],
                "training_environment": {"container_image": sorted(set(lineage.image_uris.values()))},
            }
        },
        "evaluation_details": [
            {
                "name": "test split",
                "metric_groups": [
                    {
                        "name": METRICS_GROUP,
                        "metric_data": [
                            {"name": k, "type": "number", "value": v}
                            for k, v in sorted(lineage.metrics.items())
                        ],
                    },
                    *_explanation_groups(lineage.feature_importance, lineage.fairness),
                ],
            }
        ],
        "additional_information": {
            "custom_details": {
                "environment": env.name,
                "status": version.status,
                "data_sha256": lineage.data_sha256,
                "data_version_id": lineage.extra.get("data_version_id", ""),
                "git_commit": lineage.git_commit,
                "artifact_sha256": lineage.artifact_sha256,
                "execution_arn": lineage.execution_arn,
                "mlflow_run_id": lineage.extra.get("mlflow_run_id", ""),
                "mlflow_run_url": lineage.extra.get("mlflow_run_url", ""),
                "source_version_arn": lineage.source_version_arn,
                "gates": json.dumps([g.as_dict() for g in details.gates], sort_keys=True, default=str),
                "approvals": json.dumps(approvals, sort_keys=True),
            }
        },
    }


METRICS_GROUP = "binary classification"
IMPORTANCE_GROUP = "permutation feature importance"
FAIRNESS_GROUP = "fairness"


def _explanation_groups(
    importance: dict[str, float], fairness: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The card's metric groups beside the model's metrics: feature importance (most important
    first) and, when the model measures it, fairness over its sensitive attribute."""
    groups = [
        {
            "name": IMPORTANCE_GROUP,
            "notes": "drop of the model's first metric on the test split when one feature is shuffled "
            "(5 repeats, fixed random state; all features in the evaluation report)",
            "metric_data": [{"name": k, "type": "number", "value": v} for k, v in importance.items()],
        }
    ]
    if fairness is not None:
        groups.append(
            {
                "name": FAIRNESS_GROUP,
                "notes": f"groups of {fairness.get('sensitive_attribute', '')}, favorable class "
                f"{fairness.get('favorable_class', '')}; largest gap between two groups",
                "metric_data": [
                    {"name": k, "type": "number", "value": fairness[k]}
                    for k in ("demographic_parity_difference", "equal_opportunity_difference")
                    if fairness.get(k) is not None
                ],
            }
        )
    return groups


def publish_model_card(
    env: Environment, model: str, version: int, *, clients: AwsClients | None = None
) -> ModelCard:
    """Create the version's card, or update it when its content changed; the card as stored."""
    clients = clients or clients_for(env)
    details = show_model_version(env, model, version, clients=clients)
    content = card_content(env, details)
    name = card_name(env, model, version)
    sagemaker = clients.client("sagemaker")
    body = json.dumps(content, sort_keys=True)
    try:
        current = read_model_card(env, model, version, clients=clients)
    except NotFound:
        clients.call(
            f"create model card {name}",
            sagemaker.create_model_card,
            ModelCardName=name,
            Content=body,
            ModelCardStatus="Draft",
        )
        return read_model_card(env, model, version, clients=clients)
    if current.sha256 == card_sha256(content):
        return current
    clients.call(f"update model card {name}", sagemaker.update_model_card, ModelCardName=name, Content=body)
    return read_model_card(env, model, version, clients=clients)


def read_model_card(
    env: Environment, model: str, version: int, *, clients: AwsClients | None = None
) -> ModelCard:
    """The version's stored card; NotFound when it has none."""
    clients = clients or clients_for(env, session_name="mlops-kit-read")
    name = card_name(env, model, version)
    sagemaker = clients.client("sagemaker")
    listed = clients.call("list model cards", sagemaker.list_model_cards, NameContains=name)
    if not any(c["ModelCardName"] == name for c in listed.get("ModelCardSummaries", [])):
        raise NotFound(
            f"{model} v{version} in {env.name} has no model card",
            hint=f"kit models card {model} {version} --env {env.name}",
        )
    described = clients.call(f"read model card {name}", sagemaker.describe_model_card, ModelCardName=name)
    return ModelCard(
        name=name,
        arn=str(described["ModelCardArn"]),
        card_version=int(described.get("ModelCardVersion", 1)),
        content=json.loads(described["Content"]),
    )


def find_model_card(clients: AwsClients, env: Environment, model: str, version: int) -> ModelCard | None:
    """The version's stored card, or None when it has none."""
    try:
        return read_model_card(env, model, version, clients=clients)
    except NotFound:
        return None


def card_gate(card: ModelCard | None, env: Environment, model: str, version: int) -> GateResult:
    """Passed when the version has a model card (pure); the detail cites its sha256, or how to
    create the missing card."""
    if card is None:
        return GateResult(
            "model card",
            False,
            f"{model} v{version} in {env.name} has no model card; create it and have it reviewed: "
            f"kit models card {model} {version} --env {env.name}",
        )
    return GateResult("model card", True, f"{card.name} sha256 {card.sha256}")


def model_card_gate(clients: AwsClients, env: Environment, model: str, version: int) -> GateResult:
    """Passed when the version has a model card; its sha256 goes into the gate's detail."""
    return card_gate(find_model_card(clients, env, model, version), env, model, version)


def card_explanations(content: dict[str, Any]) -> dict[str, str]:
    """One line each for the card's feature importance (its three most important features) and
    fairness (the differences and the attribute, or why there are none)."""
    groups = {
        g.get("name", ""): g
        for e in content.get("evaluation_details", [])
        for g in e.get("metric_groups", [])
    }
    importance = groups.get(IMPORTANCE_GROUP, {}).get("metric_data", [])
    fairness = groups.get(FAIRNESS_GROUP)
    return {
        "feature importance": ", ".join(f"{m['name']} {float(m['value']):.4f}" for m in importance[:3])
        or "not measured (trained before the kit measured it)",
        "fairness": (
            ", ".join(f"{m['name']} {float(m['value']):.4f}" for m in fairness.get("metric_data", []))
            + f" ({fairness.get('notes', '')})"
            if fairness
            else "not measured: the model's contract names no sensitive attribute"
        ),
    }


def card_html(card: ModelCard) -> str:
    """The card as one self-contained HTML page."""
    content = card.content
    overview = content.get("model_overview", {})
    uses = content.get("intended_uses", {})
    training = content.get("training_details", {}).get("training_job_details", {})
    custom = content.get("additional_information", {}).get("custom_details", {})
    groups = {
        g.get("name", ""): g
        for e in content.get("evaluation_details", [])
        for g in e.get("metric_groups", [])
    }

    def group_rows(name: str) -> list[tuple[str, Any]]:
        group = groups.get(name, {})
        pairs: list[tuple[str, Any]] = [
            (m["name"], f"{float(m['value']):.4f}") for m in group.get("metric_data", [])
        ]
        return [("how", group["notes"]), *pairs] if pairs and group.get("notes") else pairs

    def rows(pairs: list[tuple[str, Any]]) -> str:
        return "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in pairs
        )

    title = f"{overview.get('model_name', '')} v{overview.get('model_version', '')}"
    sections = [
        (
            "Overview",
            [
                ("description", overview.get("model_description", "")),
                ("owner", overview.get("model_owner", "")),
                ("artifact", ", ".join(overview.get("model_artifact", []))),
            ],
        ),
        (
            "Intended use",
            [("purpose", uses.get("purpose_of_model", "")), ("intended uses", uses.get("intended_uses", ""))],
        ),
        (
            "Training data",
            [
                ("datasets", ", ".join(training.get("training_datasets", []))),
                ("sha256", custom.get("data_sha256", "")),
                ("S3 version", custom.get("data_version_id", "")),
            ],
        ),
        ("Hyperparameters", [(h["name"], h["value"]) for h in training.get("hyper_parameters", [])]),
        ("Metrics", group_rows(METRICS_GROUP)),
        ("Feature importance", group_rows(IMPORTANCE_GROUP)),
        (
            "Fairness",
            group_rows(FAIRNESS_GROUP)
            or [("measured", "no: the model's contract names no sensitive attribute")],
        ),
        (
            "Lineage",
            [
                (k, custom.get(k, ""))
                for k in (
                    "git_commit",
                    "artifact_sha256",
                    "execution_arn",
                    "mlflow_run_id",
                    "mlflow_run_url",
                    "source_version_arn",
                )
            ],
        ),
        (
            "Gates",
            [
                (g.get("name", g.get("gate", "")), f"{g.get('passed', '')} {g.get('detail', '')}")
                for g in json.loads(custom.get("gates", "[]"))
            ],
        ),
        (
            "Approvals",
            [
                (a["by"], f"{a['outcome']} {a['at']} {a['comment']}")
                for a in json.loads(custom.get("approvals", "[]"))
            ],
        ),
    ]
    body = "".join(
        f"<h2>{html.escape(name)}</h2><table>{rows(pairs) or '<tr><td>none</td></tr>'}</table>"
        for name, pairs in sections
    )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "th{text-align:left;padding-right:1em;vertical-align:top}td{word-break:break-all}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Model card: {html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>Model card: {html.escape(title)}</h1>"
        f"<p>{html.escape(card.name)} (card version {card.card_version}, sha256 {card.sha256})</p>"
        f"{body}</body></html>"
    )
