"""Process entry of the emulator: apply the kit's extensions to moto, then serve on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from local_aws.extensions import install_extensions

HEALTH_PATH = "/mlops-kit/health"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def with_health_route(app: WsgiApp) -> WsgiApp:
    """Answer the kit's health check before moto's dispatcher (which routes by AWS service)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps({"healthy": True}).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return app(environ, start_response)

    return wrapped


# moto's EC2 backend is not safe under concurrent requests: three stacks creating security groups in
# one account at once occasionally lose a group's default egress rule between its creation and the
# AWS provider's revocation of it (InvalidPermission.NotFound). EC2 requests are few and quick, so
# the emulator serves them one at a time.
SERIALIZED_SERVICES = frozenset({"ec2"})


def _service_of(environ: dict[str, Any]) -> str:
    """The service a SigV4-signed request names in its credential scope ("" when unsigned)."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    _, _, credential = authorization.partition("Credential=")
    scope = credential.split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else ""


def serialize_services(app: WsgiApp, services: frozenset[str] = SERIALIZED_SERVICES) -> WsgiApp:
    """Serve the requests of `services` one at a time (the others stay concurrent)."""
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _service_of(environ) not in services:
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return wrapped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local_aws.serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-iam", action="store_true", help="serve without evaluating IAM (debugging only)")
    args = parser.parse_args(argv)
    install_extensions()
    if not args.no_iam:
        from local_aws.iam import install

        install()
    from moto.moto_server.threaded_moto_server import MotoRequestHandler  # type: ignore[attr-defined]
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        args.port,
        with_health_route(serialize_services(app)),
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
