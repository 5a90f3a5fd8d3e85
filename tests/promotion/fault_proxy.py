"""A TCP-level stand-in for the emulator going away or answering with an error, for fault injection.

Clients talk to the proxy, the proxy to the emulator. Armed with a request matcher, the first
matching request either finds the emulator "stopped" (the proxy closes its port and refuses every
connection until resumed) or gets an API error *after* the emulator applied it (the change happened;
the caller does not know), the harder case for idempotency.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    operation: str  # X-Amz-Target (JSON APIs), Action (query APIs), or "s3:<METHOD>"
    body: bytes


Matcher = Callable[[Request], bool]
JSON_FAULT = b'{"__type": "InjectedFault", "message": "fault injected by the test"}'
XML_FAULT = (
    b"<ErrorResponse><Error><Code>InjectedFault</Code><Message>injected</Message></Error></ErrorResponse>"
)


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target", "")
    if target:
        return target.split(".", 1)[-1]
    if body.startswith(b"Action=") or b"&Action=" in body:
        for part in body.decode(errors="replace").split("&"):
            if part.startswith("Action="):
                return unquote_plus(part[7:])
    return f"s3:{method}"


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.matcher: Matcher | None = None
        self.mode = ""
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._stopping: threading.Thread | None = None
        server = self._serve(0)
        self.port = server.server_address[1]
        self._server: ThreadingHTTPServer | None = server

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, matcher: Matcher, mode: str) -> None:
        assert mode in ("stop", "error")
        self.fired.clear()
        self.matcher, self.mode = matcher, mode

    def resume(self) -> None:
        """The emulator is back: listen again on the same port, forward everything."""
        self.matcher = None
        # A "stop" fault closes the port from a background thread; wait for it, or the close could
        # land after this resume and leave the proxy dead for the rest of the test.
        with self._lock:
            stopping, self._stopping = self._stopping, None
        if stopping is not None:
            stopping.join()
        if self._server is None:
            self._server = self._serve(self.port)

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def _serve(self, port: int) -> ThreadingHTTPServer:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(
                    self.command, self.path, operation_of(self.command, self.path, headers, body), body
                )
                fault = ""
                with proxy._lock:
                    if proxy.matcher is not None and proxy.matcher(request):
                        fault, proxy.matcher = proxy.mode, None
                        proxy.fired.set()
                if fault == "stop":
                    self.close_connection = True
                    with proxy._lock:
                        proxy._stopping = threading.Thread(target=proxy.close, daemon=True)
                        proxy._stopping.start()
                    return
                status, reply_headers, reply = proxy._forward(self.command, self.path, headers, body)
                if fault == "error":
                    json_api = "x-amz-target" in headers
                    status, reply = 400, JSON_FAULT if json_api else XML_FAULT
                    reply_headers = {"content-type": "application/x-amz-json-1.1" if json_api else "text/xml"}
                self.send_response(status)
                for key, value in reply_headers.items():
                    if key not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply)
                self.close_connection = True

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            skip = ("connection", "expect", "transfer-encoding", "content-length")
            forwarded = {k: v for k, v in headers.items() if k not in skip}
            forwarded["content-length"] = str(len(body))
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            reply = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, reply
        finally:
            connection.close()
