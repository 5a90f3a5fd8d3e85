"""HTTP(S) subscriptions: delivered to loopback endpoints only, off the publishing request.

moto 5.2.5 posts each message to an HTTP(S) subscriber inside `Publish`, without a timeout, and a
failed post fails the publish. In the twin the publisher is often an alarm changing state (an
environment file's `alerts.https`, e.g. a chat webhook): the emulator must neither reach the internet
nor stall or fail the request that changed the alarm. So a message to a loopback endpoint
(127.0.0.1, localhost, ::1) is posted from a thread of its own with a short timeout, a failure is
logged (SNS retries and then gives up, never failing the publisher), and any other endpoint is
logged as not delivered.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from local_aws.patching import wrap

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
POST_TIMEOUT_SECONDS = 5.0


def is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in LOOPBACK_HOSTS


def _post(url: str, body: dict[str, Any]) -> None:
    import requests

    try:
        requests.post(
            url,
            json=body,
            headers={"Content-Type": "text/plain; charset=UTF-8"},
            timeout=POST_TIMEOUT_SECONDS,
        )
    except Exception:  # SNS gives up on a subscriber after its retries; the publisher never knows
        log.exception("SNS delivery to %s failed", url)


def install() -> None:
    """Apply this module's patch."""
    from moto.sns.models import Subscription

    def make_publish(original: Callable[..., Any]) -> Callable[..., Any]:
        def publish(
            self: Any, message: str, message_id: str, subject: str | None = None, **kwargs: Any
        ) -> None:
            if self.protocol not in ("http", "https"):
                original(self, message, message_id, subject, **kwargs)
                return
            if not is_loopback(self.endpoint):
                log.warning(
                    "SNS message %s to %s not delivered: the emulator stays on this machine",
                    message_id,
                    self.endpoint,
                )
                return
            body = self.get_post_data(message, message_id, subject)
            threading.Thread(target=_post, args=(self.endpoint, body), daemon=True).start()

        return publish

    wrap(Subscription, "publish", make_publish)
