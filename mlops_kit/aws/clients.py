"""The one place the kit creates boto3 clients.

Every client gets standard retries and timeouts; an environment's clients assume its promotion role
when the caller is in another account (the normal case for staging and prod). Local mode needs no
code here: boto3 honours `AWS_ENDPOINT_URL`, like the Terraform provider does.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
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


@contextmanager
def client_error(action: str) -> Iterator[None]:
    """Turn any botocore error inside the block into the kit's error for `action`."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise map_client_error(exc, action) from None


@dataclass
class AwsClients:
    """Clients for one environment, created lazily and cached."""

    env: Environment | None
    session: boto3.session.Session
    # Who is acting: the caller's own identity (before any assume-role), for audit and approvals.
    principal_arn: str = ""
    _cache: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._cache:
            # cast: boto3-stubs types each service name separately; the kit passes names through.
            session: Any = self.session
            self._cache[service] = session.client(service, config=RETRY_CONFIG)
        return self._cache[service]

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


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    # One loader for every session of the process: parsing botocore's service models (SageMaker's
    # alone is megabytes of JSON) once instead of once per session halves a promotion's run time.
    return botocore.loaders.create_loader()


def _core_session(profile: str | None = None) -> botocore.session.Session:
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _shared_loader())
    return core


def _base_session(region: str, profile: str | None = None) -> boto3.session.Session:
    profile = profile or os.environ.get("AWS_PROFILE") or None
    return boto3.session.Session(botocore_session=_core_session(profile), region_name=region)


def clients_for(env: Environment, *, role: str = "promotion", session_name: str = "mlops-kit") -> AwsClients:
    """Clients acting in `env`'s account: the caller's own credentials when already in that account,
    else credentials from assuming the environment's `role` (promotion by default)."""
    base = _base_session(env.region)
    sts = base.client("sts", config=RETRY_CONFIG)
    with client_error(f"identify the caller for {env.name}"):
        caller = sts.get_caller_identity()
    if caller["Account"] == env.account_id:
        return AwsClients(env=env, session=base, principal_arn=str(caller["Arn"]))
    names = ResourceNames(env)
    role_arn = names.promotion_role_arn if role == "promotion" else names.deploy_role_arn
    with client_error(f"assume {role_arn}"):
        credentials = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=session_name[:64]
        )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=env.region,
        botocore_session=_core_session(),
    )
    return AwsClients(env=env, session=session, principal_arn=str(caller["Arn"]))
