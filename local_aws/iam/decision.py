"""AWS's combination of identity-based and resource-based policies into one decision.

Rules implemented (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation
logic", and the KMS Developer Guide, "Key policies"):
- an explicit Deny in any applicable policy wins;
- the account root may do anything in its own account (identity side), other callers need an Allow
  in their identity-based policies;
- same account: an Allow in either the identity-based or the resource-based policy suffices, except
  when the resource policy names the caller only through its account (`arn:aws:iam::ACCOUNT:root`):
  that delegates to the identity policies, which must then allow;
- cross account: both the caller's identity policies and the resource policy must allow;
- KMS key policies and role trust policies are *required*: without an Allow in them (directly, or by
  the account root together with an identity Allow), nothing else grants access, not even to root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from local_aws.iam.conditions import Context
from local_aws.iam.policy import Caller, Match, Outcome, evaluate


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # AWS's wording after "because" / "with", empty when allowed


@dataclass(frozen=True)
class ResourcePolicy:
    documents: Sequence[str]
    account: str
    required: bool  # KMS key policies and role trust policies


def decide(
    caller: Caller,
    identity_policies: Sequence[str] | None,
    action: str,
    resource: str,
    context: Context,
    resource_policy: ResourcePolicy | None,
) -> Decision:
    """identity_policies None means the caller has no identity policies to consult (root, a service,
    a web identity or an anonymous caller); root's identity side allows everything."""
    if identity_policies is None:
        identity = Outcome(denied=False, allowed=Match.DIRECT if caller.kind == "root" else Match.NONE)
    else:
        identity = evaluate(identity_policies, action, resource, context)
    if identity.denied:
        return Decision(False, "with an explicit deny in an identity-based policy")
    identity_allows = identity.allowed is Match.DIRECT

    if resource_policy is None:
        if identity_allows:
            return Decision(True)
        return Decision(False, f"because no identity-based policy allows the {action} action")

    granted = evaluate(resource_policy.documents, action, resource, context, caller)
    if granted.denied:
        return Decision(False, "with an explicit deny in a resource-based policy")
    same_account = caller.account == resource_policy.account
    resource_direct = granted.allowed is Match.DIRECT
    resource_any = granted.allowed is not Match.NONE
    if resource_policy.required or not same_account:
        if resource_direct and (same_account or identity_allows or caller.kind in ("service", "anonymous")):
            return Decision(True)
        if resource_any and identity_allows:
            return Decision(True)
        if not resource_any:
            return Decision(False, f"because no resource-based policy allows the {action} action")
        return Decision(False, f"because no identity-based policy allows the {action} action")
    if identity_allows or resource_direct:
        return Decision(True)
    return Decision(False, f"because no identity-based policy allows the {action} action")
