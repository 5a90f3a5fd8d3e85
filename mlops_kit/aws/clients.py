"""The one place the kit creates AWS clients (botocore; boto3's resource layer is not needed).

Every client gets standard retries and timeouts; an environment's clients assume its promotion role
when the caller is in another account (the normal case for staging and prod). Local mode needs no
code here: botocore honours `AWS_ENDPOINT_URL`, like the Terraform provider does.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mlops_kit.aws.errors import map_client_error
from mlops_kit.config import Environment, ResourceNames

T = TypeVar("T")

RETRY_CONFIG = Config(
    retries={"max_attempts": 4, "mode": "standard"},
    connect_timeout=5,
    read_timeout=60,
)

# botocore sessions are not thread-safe while creating clients (the clients themselves are), and
# a client is expensive enough to create only once: one creation at a time.
_creating_clients = threading.RLock()


@contextmanager
def client_error(action: str) -> Iterator[None]:
    """Turn any botocore error inside the block into the kit's error for `action`."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise map_client_error(exc, action) from None


def _new_client(session: Any, service: str) -> Any:
    # The kit's sessions are botocore's; callers may bring a boto3 session (it has `client` instead).
    create = getattr(session, "create_client", None) or session.client
    with _creating_clients:
        return create(service, config=RETRY_CONFIG)


@dataclass
class AwsClients:
    """Clients for one environment, created lazily and cached; safe to use from several threads."""

    env: Environment | None
    session: Any  # botocore.session.Session (or a boto3 Session)
    # Who is acting: the caller's own identity (before any assume-role), for audit and approvals.
    principal_arn: str = ""
    _cache: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        cached = self._cache.get(service)
        if cached is None:
            with _creating_clients:
                cached = self._cache.get(service)
                if cached is None:
                    cached = self._cache[service] = _new_client(self.session, service)
        return cached

    def call(self, action: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """`fn(**kwargs)` with botocore errors mapped to the kit's errors."""
        with client_error(action):
            return fn(**kwargs)

    @property
    def account_id(self) -> str:
        identity = self.call("identify the caller", self.client("sts").get_caller_identity)
        return str(identity["Account"])

    @property
    def caller_arn(self) -> str:
        identity = self.call("identify the caller", self.client("sts").get_caller_identity)
        return str(identity["Arn"])


@dataclass(frozen=True)
class Caller:
    """The identity the kit runs as (before any assume-role), and its STS client."""

    session: Any
    sts: Any
    arn: str
    account_id: str
    profile: str | None = None  # named explicitly (else botocore's own resolution applies)


class _PlainJsonFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's file loader, parsing JSON objects into dicts instead of OrderedDicts (a habit
    from before dicts kept their order, which botocore's models build themselves): SageMaker's
    service model and endpoints.json parse about twice as fast."""

    def _load_file(self, full_path: str, open_method: Callable[..., Any]) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read())


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    # One loader for every session of the process: parsing botocore's service models (SageMaker's
    # alone is megabytes of JSON) once instead of once per session halves a promotion's run time.
    loader = botocore.loaders.create_loader()
    loader.file_loader = _PlainJsonFileLoader()
    return loader


def _session(region: str, profile: str | None = None) -> botocore.session.Session:
    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", _shared_loader())
    session.set_config_variable("region", region)
    return session


def identify_caller(region: str, *, profile: str | None = None) -> Caller:
    """Who the kit runs as (the named profile, else AWS_PROFILE's or the default chain's): one STS
    call. Pass the result to several `clients_for` calls so the caller is identified once, not once
    per environment."""
    # AWS_PROFILE is botocore's to read, so that keys in the environment win over it, as in every
    # AWS tool; only a profile named here is passed explicitly.
    session = _session(region, profile)
    sts = _new_client(session, "sts")
    with client_error("identify the caller"):
        identity = sts.get_caller_identity()
    return Caller(
        session=session,
        sts=sts,
        arn=str(identity["Arn"]),
        account_id=str(identity["Account"]),
        profile=profile,
    )


def acting_as(clients: AwsClients) -> Caller:
    """The identity `clients` act as (e.g. an assumed promotion role), as a caller that can assume
    further roles (role chaining)."""
    sts = clients.client("sts")
    with client_error("identify the caller"):
        identity = sts.get_caller_identity()
    return Caller(
        session=clients.session, sts=sts, arn=str(identity["Arn"]), account_id=str(identity["Account"])
    )


def _is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether `caller_arn` is a session of the role `role_arn`."""
    _, _, account_and_role = role_arn.partition(":iam::")
    account, _, role_name = account_and_role.partition(":role/")
    return caller_arn.startswith(f"arn:aws:sts::{account}:assumed-role/{role_name.rsplit('/', 1)[-1]}/")


def clients_for(
    env: Environment,
    *,
    role: str = "auto",
    session_name: str = "mlops-kit",
    caller: Caller | None = None,
) -> AwsClients:
    """Clients acting in `env`'s account.

    `role`: "auto" acts as the caller when already in that account, else as the environment's
    promotion role; "promotion", "deploy" or "reviewer" always act as that role of the environment
    (assumed unless the caller is a session of it): what changes an environment goes through its
    role even where several environments share one account."""
    names = ResourceNames(env)
    role_arns = {
        "auto": names.promotion_role_arn,
        "promotion": names.promotion_role_arn,
        "deploy": names.deploy_role_arn,
        "reviewer": names.reviewer_role_arn,
    }
    if role not in role_arns:
        raise ValueError(f"unknown role {role!r}")
    caller = caller or identify_caller(env.region)
    role_arn = role_arns[role]
    if (role == "auto" and caller.account_id == env.account_id) or _is_session_of(caller.arn, role_arn):
        session = caller.session
        if session.get_config_variable("region") != env.region:
            session = _session(env.region, caller.profile)
        return AwsClients(env=env, session=session, principal_arn=caller.arn)
    with client_error(f"assume {role_arn}"):
        credentials = caller.sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])[
            "Credentials"
        ]
    session = _session(env.region)
    session.set_credentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    return AwsClients(env=env, session=session, principal_arn=caller.arn)
