"""The LoginID HTTP client: timeouts, one retry on connection errors only, error shapes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cognito_passkey.lambdas.backends.http import ApiError, HttpError, request_json


class Counter:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}


@pytest.fixture
def server() -> Iterator[tuple[str, Counter]]:
    counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            counter.hits[self.path] = counter.hits.get(self.path, 0) + 1
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path == "/drop-first" and counter.hits[self.path] == 1:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.path == "/slow":
                time.sleep(1.0)
            status, payload, kind = {
                "/ok": (200, json.dumps({"echo": json.loads(body)}), "application/json"),
                "/drop-first": (200, '{"ok": true}', "application/json"),
                "/slow": (200, "{}", "application/json"),
                "/empty": (204, "", ""),
                "/camel": (
                    400,
                    '{"errorCode": "bad_thing", "message": "nope"}',
                    "application/json",
                ),
                "/snake": (404, '{"error_code": "missing", "msg": "gone"}', "application/json"),
                "/html": (500, "<html>oops</html>", "text/html"),
                "/notjson": (200, "hello", "text/plain"),
                "/redirect": (302, "", ""),
            }[self.path]
            data = payload.encode()
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if self.path == "/redirect":
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", counter
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_json_round_trip(server: tuple[str, Counter]) -> None:
    base, _ = server
    assert request_json("POST", base + "/ok", body={"a": [1, "b"]}) == {"echo": {"a": [1, "b"]}}
    assert request_json("POST", base + "/empty", body={}) is None


def test_a_dropped_connection_is_retried_once(server: tuple[str, Counter]) -> None:
    base, counter = server
    assert request_json("POST", base + "/drop-first", body={}) == {"ok": True}
    assert counter.hits["/drop-first"] == 2


def test_an_answered_error_is_not_retried(server: tuple[str, Counter]) -> None:
    base, counter = server
    with pytest.raises(ApiError) as caught:
        request_json("POST", base + "/camel", body={})
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "bad_thing",
        "nope",
    )
    assert counter.hits["/camel"] == 1
    with pytest.raises(ApiError) as caught:
        request_json("POST", base + "/snake", body={})
    assert (caught.value.code, caught.value.message) == ("missing", "gone")
    with pytest.raises(ApiError) as caught:
        request_json("POST", base + "/html", body={})
    assert (caught.value.status, caught.value.code) == (500, "http_error")


def test_a_timeout_is_not_retried(server: tuple[str, Counter]) -> None:
    base, counter = server
    with pytest.raises(HttpError):
        request_json("POST", base + "/slow", body={}, timeout=0.2)
    assert counter.hits["/slow"] == 1


def test_redirects_are_not_followed(server: tuple[str, Counter]) -> None:
    base, _ = server
    with pytest.raises(ApiError) as caught:
        request_json("POST", base + "/redirect", body={})
    assert caught.value.status == 302


def test_a_body_that_is_not_json_is_an_error(server: tuple[str, Counter]) -> None:
    base, _ = server
    with pytest.raises(HttpError):
        request_json("POST", base + "/notjson", body={})


def test_a_refused_connection_is_tried_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_passkey.lambdas.backends import http

    attempts = []
    real_open = http._opener.open

    def counting_open(request: Any, timeout: float) -> Any:
        attempts.append(request.full_url)
        return real_open(request, timeout=timeout)

    monkeypatch.setattr(http._opener, "open", counting_open)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here once closed
    with pytest.raises(HttpError):
        request_json("POST", f"http://127.0.0.1:{port}/x", body={})
    assert len(attempts) == 2
