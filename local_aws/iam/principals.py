"""Who holds an access key, and the identity-based policies that apply to them (read from moto)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local_aws.iam.policy import Caller

DEFAULT_ACCOUNT = "123456789012"
# The account root's keys: `testing` (what `kit local up` hands out) is the root of the default
# account; an access key that is a 12-digit account id is the root of that account. Both sign with
# the secret ROOT_SECRET.
DEFAULT_ROOT_KEY = "testing"
ROOT_SECRET = "testing"
# The emulator's own extensions act as an AWS service with the key `service.<service principal>`
# (e.g. `service.sagemaker.amazonaws.com`), secret ROOT_SECRET, in the account named by moto's
# `x-moto-account-id` header (the default account otherwise); see the package docstring.
SERVICE_KEY_PREFIX = "service."
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Credential:
    caller: Caller
    secret: str
    session_token: str | None = None


def root_account(access_key: str) -> str | None:
    """The account whose root this key is, or None."""
    if access_key == DEFAULT_ROOT_KEY:
        return DEFAULT_ACCOUNT
    if _ACCOUNT_KEY.match(access_key):
        return access_key
    return None


def _iam(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def _session(account: str, access_key: str) -> Any:
    from moto.sts.models import sts_backends

    for assumed in sts_backends[account]["aws"].assumed_roles:
        if assumed.access_key_id == access_key:
            return assumed
    return None


_sessions: dict[str, Credential] = {}


def credential_for(access_key: str, account: str) -> Credential | None:
    """The caller and secret of an access key, or None when no such key exists."""
    root = root_account(access_key)
    if root is not None:
        return Credential(Caller(arn=f"arn:aws:iam::{root}:root", account=root, kind="root"), ROOT_SECRET)
    if access_key.startswith(SERVICE_KEY_PREFIX):
        service = access_key[len(SERVICE_KEY_PREFIX) :]
        return Credential(Caller(arn=service, account=account, kind="service", service=service), ROOT_SECRET)
    key = _iam(account).access_keys.get(access_key)
    if key is None or key.status != "Active":
        return None  # also after moto's reset, which forgets every key
    if access_key in _sessions:
        return _sessions[access_key]
    if key.role_arn:
        assumed = _session(account, access_key)
        if assumed is None:
            return None
        role_name = key.role_arn.split("/")[-1]
        caller = Caller(
            arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{assumed.session_name}",
            account=account,
            kind="role-session",
            role_arn=key.role_arn,
        )
        # Sessions never change once issued, so their look-up (a scan of moto's list) is kept.
        credential = Credential(caller, key.secret_access_key, assumed.session_token)
        _sessions[access_key] = credential
        return credential
    user = _iam(account).users.get(key.user_name)
    if user is None:
        return None
    return Credential(Caller(arn=user.arn, account=account, kind="user"), key.secret_access_key)


def _default_document(policy: Any) -> str:
    for version in policy.versions:
        if version.is_default:
            return str(version.document)
    return '{"Statement": []}'


def identity_policies(caller: Caller) -> list[str] | None:
    """Policy documents of a user (inline, attached, and its groups') or a role session's role
    (inline and attached). None for callers without identity policies (root, services, ...).
    A role that no longer exists leaves its sessions with no policy at all."""
    backend = _iam(caller.account)
    if caller.kind == "user":
        name = caller.arn.rsplit("/", 1)[-1]
        user = backend.users.get(name)
        if user is None:
            return []
        documents = [*user.policies.values(), *map(_default_document, user.managed_policies.values())]
        for group in backend.groups.values():
            if user in group.users:
                documents += [
                    *group.policies.values(),
                    *map(_default_document, group.managed_policies.values()),
                ]
        return documents
    if caller.kind == "role-session" and caller.role_arn:
        role = find_role(caller.role_arn)
        if role is None:
            return []
        return [*role.policies.values(), *map(_default_document, role.managed_policies.values())]
    return None


def find_role(role_arn: str) -> Any:
    """The moto role with this ARN, or None (AWS: a role that does not exist)."""
    parts = role_arn.split(":")
    if len(parts) != 6 or not parts[4].isdigit():
        return None
    for role in _iam(parts[4]).roles.values():
        if role.arn == role_arn:
            return role
    return None


def role_arn_for_name(account: str, name: str) -> str:
    for role in _iam(account).roles.values():
        if role.name == name:
            return str(role.arn)
    return f"arn:aws:iam::{account}:role/{name}"


def oidc_provider(account: str, issuer_host_path: str) -> Any:
    arn = f"arn:aws:iam::{account}:oidc-provider/{issuer_host_path}"
    return _iam(account).open_id_providers.get(arn)
