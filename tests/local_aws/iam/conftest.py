"""A moto server with IAM evaluation installed, on a free 127.0.0.1 port in this process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from werkzeug.serving import make_server

from local_aws.iam import install
from tests.conftest import free_port
from tests.local_aws.iam.world import Client, World, build_world


@pytest.fixture(scope="session")
def iam_endpoint() -> Iterator[str]:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    install()
    port = free_port()
    server = make_server("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def client_as(iam_endpoint: str) -> Client:
    """`client_as(service, key, secret, token=None)`: a boto3 client signing as those credentials."""

    def make(service: str, key: str, secret: str = "testing", token: str | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=iam_endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )

    return make


@pytest.fixture(scope="session")
def world(client_as: Client, iam_endpoint: str) -> World:
    """Roles, policies, buckets, keys and an OIDC provider in the session's server."""
    return build_world(client_as, iam_endpoint)
