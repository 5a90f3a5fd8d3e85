"""AWS's length limits on the names the kit derives, checked when an environment file is loaded.

A pure function of the inputs names derive from, so the config models can call it without the
names module (which derives from a loaded model).
"""

from __future__ import annotations

from mlops_kit.config.cluster_names import AUTOSCALER_ROLE, SUBMITTER_ROLE, TRAINING_POD_ROLE

# Endpoint configurations that promotion creates are named `<endpoint>-<suffix>` with a suffix of at
# most this many characters (e.g. `-v12-1a2b3c4d`).
ENDPOINT_CONFIG_SUFFIX_LENGTH = 14

# The roles the stacks name `<name_prefix>-<env>-<purpose>` (the promotion role is named apart).
ROLE_PURPOSES = (
    "sagemaker-execution",
    "pipeline",
    "eks-cluster",
    "eks-nodes",
    "scheduler",
    "flow-logs",
    SUBMITTER_ROLE,
    TRAINING_POD_ROLE,
    AUTOSCALER_ROLE,
    "mlflow-server",
    "experimenters",
)

# AWS name length limits for the resources named below.
_LIMITS = {
    "bucket": 63,
    "access_log_bucket": 63,
    "model_package_group": 63,
    "endpoint": 63,
    "pipeline": 82,  # SageMaker allows 256, but execution ARNs and display names get cramped
    "eks_cluster": 100,
    "iam_role": 64,
    "dynamodb_table": 255,
    "schedule": 64,
    "node_group": 63,
}


def name_limit_violations(
    *, prefix: str, env: str, account_id: str, models: list[str], pools: list[str]
) -> list[str]:
    """Derived names over AWS's length limits (a pure function of the inputs the names derive from)."""
    base = f"{prefix}-{env}"
    # (kind, name, characters reserved for a suffix the kit appends later)
    checks: list[tuple[str, str, int]] = [
        ("bucket", f"{base}-artifacts-{account_id}", 0),
        ("access_log_bucket", f"{base}-access-logs-{account_id}", 0),
        ("eks_cluster", f"{base}-training", 0),
        ("dynamodb_table", f"{base}-promotion-locks", 0),
    ]
    for purpose in (*ROLE_PURPOSES, "promotion"):
        checks.append(("iam_role", f"{base}-{purpose}", 0))
    checks += [("node_group", f"{base}-{pool}", 0) for pool in [*pools, "system"]]
    for model in models:
        checks += [
            ("model_package_group", f"{base}-{model}", 0),
            # Promotion names endpoint configurations `<endpoint>-<suffix>`.
            ("endpoint", f"{base}-{model}", ENDPOINT_CONFIG_SUFFIX_LENGTH),
            ("pipeline", f"{base}-{model}-training", 0),
            ("schedule", f"{base}-{model}-drift", 0),
            ("schedule", f"{base}-{model}-quality", 0),
        ]
    problems = []
    for kind, name, reserved in checks:
        if len(name) + reserved > _LIMITS[kind]:
            reserve_note = f" plus {reserved} for the suffix promotion adds" if reserved else ""
            problems.append(
                f"derived {kind.replace('_', ' ')} name '{name}' is too long ({len(name)}{reserve_note}, "
                f"limit {_LIMITS[kind]}): shorten name_prefix or the model name"
            )
    return problems
