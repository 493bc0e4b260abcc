"""Counting what the deployed functions ask of DynamoDB: a loopback relay in front of the
local AWS, and the functions pointed at it for a while.

By hand, because it only relays bytes: whoever counts must see every request the functions
make, which no client-side hook of ours could (they run in the emulator's processes).
"""

from __future__ import annotations

import collections
import http.client
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class CountingProxy:
    """Forwards DynamoDB's JSON-over-POST to ``target``, counting each ``X-Amz-Target``."""

    def __init__(self, target: str) -> None:
        upstream = urlsplit(target)
        counts: collections.Counter[str] = collections.Counter()
        lock = threading.Lock()

        class Relay(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # DynamoDB's JSON protocol is POST only
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = (self.headers.get("X-Amz-Target") or "?").rsplit(".", 1)[-1]
                with lock:
                    counts[operation] += 1
                connection = http.client.HTTPConnection(
                    upstream.hostname or "127.0.0.1", upstream.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request("POST", self.path, body=body, headers=headers)
                reply = connection.getresponse()
                payload = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                connection.close()

            def log_message(self, *args: Any) -> None:
                pass

        self._counts, self._lock = counts, lock
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> collections.Counter[str]:
        """The requests counted so far, by operation."""
        with self._lock:
            return collections.Counter(self._counts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def dynamodb_counted(endpoint: str, functions: Iterable[str]) -> Iterator[CountingProxy]:
    """``functions`` (names on the local AWS at ``endpoint``) talk to DynamoDB through a
    :class:`CountingProxy` until the block ends; then their environment is put back."""
    from cognito_passkey.local.deploy import client

    lambdas = client(endpoint, "lambda")
    proxy = CountingProxy(endpoint)
    saved: dict[str, dict[str, str]] = {}
    try:
        for name in functions:
            config = lambdas.get_function_configuration(FunctionName=name)
            saved[name] = dict(config.get("Environment", {}).get("Variables", {}))
            lambdas.update_function_configuration(
                FunctionName=name,
                Environment={"Variables": {**saved[name], "AWS_ENDPOINT_URL_DYNAMODB": proxy.url}},
            )
        yield proxy
    finally:
        for name, variables in saved.items():
            lambdas.update_function_configuration(
                FunctionName=name, Environment={"Variables": variables}
            )
        proxy.close()
