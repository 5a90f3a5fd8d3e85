"""IAM policy evaluation gap: conditions on keys a request does not carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap


def _policy_conditions_scope_statements() -> None:
    """moto applies a statement whose condition key is absent from the request.

    In IAM a condition on a key the request does not carry does not hold (except for the
    `...IfExists` and `Null` operators), so the statement does not apply. moto instead ignores such
    conditions, and a TLS-only bucket policy (`Deny ... Bool aws:SecureTransport=false`) then refuses
    every request. (The emulator listens on loopback only.)
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def absent_key(statement: dict[str, Any], incoming: dict[str, str] | None) -> bool:
        for operator, keys in (statement.get("Condition") or {}).items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in (incoming or {}) for key in keys):
                return True
        return False

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def is_action_permitted(
            self: Any,
            action: str,
            resource: str = "*",
            principal: str | None = None,
            incoming_condition_values: dict[str, str] | None = None,
        ) -> Any:
            if absent_key(self._statement, incoming_condition_values):
                return PermissionResult.NEUTRAL
            return original(self, action, resource, principal, incoming_condition_values)

        return is_action_permitted

    _wrap(IAMPolicyStatement, "is_action_permitted", make)


def install() -> None:
    """Apply this module's patches."""
    _policy_conditions_scope_statements()
