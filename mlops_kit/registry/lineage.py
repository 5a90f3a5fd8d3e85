"""What every registered model version carries, and how it is stored on a SageMaker model package.

The training pipeline's register step writes it; promotion copies it forward (adding where the version
came from); `kit models show` reads it. SageMaker keeps it in `CustomerMetadataProperties`, a flat
string-to-string map (keys up to 128, values up to 1024 characters), so structured values are JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

METRIC_NAMES = ("auc", "accuracy", "f1", "precision", "recall")


@dataclass(frozen=True)
class Lineage:
    """Where a model version came from and how good it is."""

    git_commit: str
    data_uri: str
    data_sha256: str
    hyperparameters: dict[str, str]
    image_uris: dict[str, str]
    metrics: dict[str, float]
    execution_arn: str = ""
    drift_baseline_uri: str = ""
    # Recorded by promotion for the copy it makes, so the next promotion can verify it.
    drift_baseline_sha256: str = ""
    artifact_sha256: str = ""
    # Set by promotion: the environment and version ARN this copy was promoted from.
    source_env: str = ""
    source_version_arn: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def fairness(self) -> dict[str, Any] | None:
        """The evaluate step's fairness summary (sensitive attribute, favorable class and the
        differences between its groups); None when the version's model measures none."""
        value = _json_or_none(self.extra.get("fairness", ""))
        return value if isinstance(value, dict) else None

    @property
    def feature_importance(self) -> dict[str, float]:
        """The most important features' permutation importances, most important first (the
        evaluation report has them all); empty for a version trained before the kit measured them."""
        value = _json_or_none(self.extra.get("feature_importance", ""))
        return {str(k): float(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def to_metadata(self) -> dict[str, str]:
        """The `CustomerMetadataProperties` map."""
        data = {
            "git_commit": self.git_commit,
            "data_uri": self.data_uri,
            "data_sha256": self.data_sha256,
            "hyperparameters": json.dumps(self.hyperparameters, sort_keys=True),
            "image_uris": json.dumps(self.image_uris, sort_keys=True),
            "metrics": json.dumps({k: round(v, 6) for k, v in sorted(self.metrics.items())}),
            "execution_arn": self.execution_arn,
            "drift_baseline_uri": self.drift_baseline_uri,
            "drift_baseline_sha256": self.drift_baseline_sha256,
            "artifact_sha256": self.artifact_sha256,
            "source_env": self.source_env,
            "source_version_arn": self.source_version_arn,
            **self.extra,
        }
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> Lineage:
        known = {
            "git_commit",
            "data_uri",
            "data_sha256",
            "hyperparameters",
            "image_uris",
            "metrics",
            "execution_arn",
            "drift_baseline_uri",
            "drift_baseline_sha256",
            "artifact_sha256",
            "source_env",
            "source_version_arn",
        }

        def loads(key: str) -> Any:
            try:
                return json.loads(metadata.get(key) or "{}")
            except json.JSONDecodeError:
                return {}

        return cls(
            git_commit=metadata.get("git_commit", ""),
            data_uri=metadata.get("data_uri", ""),
            data_sha256=metadata.get("data_sha256", ""),
            hyperparameters={str(k): str(v) for k, v in loads("hyperparameters").items()},
            image_uris={str(k): str(v) for k, v in loads("image_uris").items()},
            metrics={str(k): float(v) for k, v in loads("metrics").items()},
            execution_arn=metadata.get("execution_arn", ""),
            drift_baseline_uri=metadata.get("drift_baseline_uri", ""),
            drift_baseline_sha256=metadata.get("drift_baseline_sha256", ""),
            artifact_sha256=metadata.get("artifact_sha256", ""),
            source_env=metadata.get("source_env", ""),
            source_version_arn=metadata.get("source_version_arn", ""),
            extra={k: v for k, v in metadata.items() if k not in known},
        )


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
