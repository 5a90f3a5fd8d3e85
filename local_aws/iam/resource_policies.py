"""Resource-based policies held by moto: S3 bucket policies, KMS key policies, EventBridge bus
policies and role trust policies. DynamoDB resource policies are not read: the kit's stacks declare
none (a table with one is evaluated on identity policies alone)."""

from __future__ import annotations

from typing import Any

from local_aws.iam.decision import ResourcePolicy
from local_aws.iam.principals import find_role


def bucket_policy(resource: str) -> ResourcePolicy | None:
    """`arn:aws:s3:::bucket[/key]`: the bucket's policy and owner account (None: no such bucket)."""
    from moto.s3.models import s3_backends

    name = resource.split(":::", 1)[-1].split("/", 1)[0]
    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        return None
    partition, account = owner
    bucket = s3_backends[account][partition].buckets.get(name)
    if bucket is None:
        return None
    documents = [bucket.policy.decode()] if bucket.policy else []
    return ResourcePolicy(documents=documents, account=account, required=False)


def key_policy(resource: str) -> ResourcePolicy | None:
    """`arn:aws:kms:REGION:ACCOUNT:key/ID`: the key policy, which KMS always requires."""
    from moto.kms.models import kms_backends

    parts = resource.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("key/"):
        return None
    region, account, key_id = parts[3], parts[4], parts[5][len("key/") :]
    key = kms_backends[account][region].keys.get(key_id)
    if key is None:
        return None
    return ResourcePolicy(documents=[key.policy], account=account, required=True)


def bus_policy(resource: str) -> ResourcePolicy | None:
    """`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`: the bus's permissions as a policy."""
    from moto.events.models import events_backends

    parts = resource.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("event-bus/"):
        return None
    region, account, name = parts[3], parts[4], parts[5][len("event-bus/") :]
    bus = events_backends[account][region].event_buses.get(name)
    if bus is None:
        return None
    policy = bus.policy
    return ResourcePolicy(documents=[policy] if policy else [], account=account, required=False)


def trust_policy(role: Any) -> ResourcePolicy:
    return ResourcePolicy(
        documents=[role.assume_role_policy_document], account=role.account_id, required=True
    )


def resource_policy_for(service: str, resource: str) -> ResourcePolicy | None:
    if service == "s3" and resource.startswith("arn:aws:s3:::") and resource != "arn:aws:s3:::*":
        return bucket_policy(resource)
    if service == "kms":
        return key_policy(resource)
    if service == "events":
        return bus_policy(resource)
    if service == "sts" and ":role/" in resource:
        role = find_role(resource)
        return trust_policy(role) if role is not None else None
    return None


__all__ = ["bucket_policy", "bus_policy", "key_policy", "resource_policy_for", "trust_policy"]
