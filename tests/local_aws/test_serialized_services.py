"""The emulator serves EC2 requests one at a time (moto's EC2 backend races under concurrency)
and every other service's requests concurrently."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from local_aws.serve import serialize_services


def signed(service: str) -> dict[str, Any]:
    scope = f"testing/20261202/us-east-1/{service}/aws4_request"
    return {"HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}


def most_at_once(service: str, requests: int = 4) -> int:
    running, peak, guard = 0, 0, threading.Lock()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with guard:
            running -= 1
        start_response("200 OK", [])
        return [b"{}"]

    served = serialize_services(app)
    threads = [
        threading.Thread(target=lambda: list(served(signed(service), lambda *_: None)))
        for _ in range(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return peak


def test_ec2_requests_are_served_one_at_a_time() -> None:
    assert most_at_once("ec2") == 1


def test_other_services_are_served_side_by_side() -> None:
    assert most_at_once("s3") > 1
