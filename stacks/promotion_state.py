"""The table promotion needs in each environment: the promotion lock (the audit log: audit_log.py)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.encryption import EnvironmentKey


class PromotionState(Construct):
    """`lock_table`: one item per model, conditional writes."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment, key: EnvironmentKey) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        common = {
            "billing_mode": "PAY_PER_REQUEST",
            "server_side_encryption": {"enabled": True, "kms_key_arn": key.key.arn},
            "point_in_time_recovery": {"enabled": True},
            "deletion_protection_enabled": env.name == "prod",
        }
        self.lock_table = DynamodbTable(
            self,
            "lock-table",
            name=names.promotion_lock_table,
            hash_key="lock_id",
            attribute=[DynamodbTableAttribute(name="lock_id", type="S")],
            **common,  # type: ignore[arg-type]
        )
