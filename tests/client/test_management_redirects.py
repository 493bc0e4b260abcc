"""The management client never follows a redirect carrying the user's access token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cognito_passkey.client.errors import ManagementError
from cognito_passkey.client.management import PasskeyManager

ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ.access-token-secret"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str | None]
    location: str = ""

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        if self.location:
            self.send_response(302)
            self.send_header("Location", self.location + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"passkeys": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(handler: type[_Recorder]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def servers() -> Iterator[tuple[str, list[str | None]]]:
    """A management URL that redirects to another origin, and what that origin received."""
    elsewhere = type("Elsewhere", (_Recorder,), {"seen": [], "location": ""})
    other, other_url = _serve(elsewhere)
    redirecting = type("Redirecting", (_Recorder,), {"seen": [], "location": other_url})
    first, first_url = _serve(redirecting)
    try:
        yield first_url, elsewhere.seen
    finally:
        for server in (first, other):
            server.shutdown()
            server.server_close()


def test_a_redirect_is_an_error_and_the_token_stays_home(
    servers: tuple[str, list[str | None]],
) -> None:
    url, seen_elsewhere = servers
    with pytest.raises(ManagementError) as caught:
        PasskeyManager(url, ACCESS_TOKEN, timeout=5).list()
    assert caught.value.status == 302
    assert seen_elsewhere == []
    assert ACCESS_TOKEN not in str(caught.value)
