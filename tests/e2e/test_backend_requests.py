"""What a self-hosted sign-in asks of DynamoDB, counted end to end on the local AWS.

The deployed Create and Verify functions are pointed at a counting loopback proxy in front
of the emulator's DynamoDB for the length of a test (and pointed back after). A 2-call
sign-in makes one credential read (Create's Query, which builds ``allowCredentials`` and is
sealed into the private state) and one conditional write (Verify's transaction: counter and
"used" marker, both or neither); a 3-call one five. A passkey removed between the two
triggers is refused.
"""

from __future__ import annotations

import collections
import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import exchange
from cognito_passkey.client.errors import NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.protocol import dialect
from e2e_support import api_client, enrolled_user, respond, start
from test_failures import FAST_GET, Backend, VerifyLog

pytestmark = pytest.mark.e2e

TRIGGERS = ("CreateAuthArn", "VerifyAuthArn")


class CountingProxy:
    """Forwards DynamoDB's JSON-over-POST to ``target``, counting each ``X-Amz-Target``.

    By hand, because it only relays bytes: a test must see every request the functions make.
    """

    def __init__(self, target: str) -> None:
        upstream_url = urlsplit(target)
        counts: collections.Counter[str] = collections.Counter()
        lock = threading.Lock()

        class Relay(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    counts[(self.headers.get("X-Amz-Target") or "?").rsplit(".", 1)[-1]] += 1
                upstream = http.client.HTTPConnection(
                    upstream_url.hostname or "127.0.0.1", upstream_url.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request("POST", self.path, body=body, headers=headers)
                reply = upstream.getresponse()
                payload = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            def log_message(self, *args: Any) -> None:
                pass

        self._counts, self._lock = counts, lock
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._counts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counted(selfhosted: Deployment) -> Iterator[CountingProxy]:
    """The stack's Create and Verify functions talking to DynamoDB through the proxy."""
    functions = deploying.client(selfhosted.endpoint, "lambda")
    proxy = CountingProxy(selfhosted.endpoint)
    saved: dict[str, dict[str, str]] = {}
    try:
        for output in TRIGGERS:
            name = selfhosted.outputs[output]
            config = functions.get_function_configuration(FunctionName=name)
            saved[name] = dict(config.get("Environment", {}).get("Variables", {}))
            functions.update_function_configuration(
                FunctionName=name,
                Environment={"Variables": {**saved[name], "AWS_ENDPOINT_URL_DYNAMODB": proxy.url}},
            )
        yield proxy
    finally:
        for name, variables in saved.items():
            functions.update_function_configuration(
                FunctionName=name, Environment={"Variables": variables}
            )
        proxy.close()


def requests_of(proxy: CountingProxy, sign_in: Any) -> dict[str, int]:
    before = proxy.snapshot()
    sign_in()
    return dict(proxy.snapshot() - before)


def test_a_two_call_sign_in_reads_once_and_writes_once(
    selfhosted: Deployment, idp: Any, counted: CountingProxy
) -> None:
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-two-", key)
    client = api_client(selfhosted, key, fast=True)
    client.sign_in_passkey(username)  # warm: a fresh container reads the deployment key once
    seen = requests_of(counted, lambda: client.sign_in_passkey(username))
    assert seen == {"Query": 1, "TransactWriteItems": 1}


def test_a_three_call_sign_in_is_counted_too(
    selfhosted: Deployment, idp: Any, counted: CountingProxy
) -> None:
    """Round 1 reads (its options are offered to a 2-call client); round 2 reads and stores
    its challenge with the passkeys it offers; Verify consumes it by a conditional delete
    (which hands the passkeys back) and saves the counter by a conditional update."""
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-three-", key)
    client = api_client(selfhosted, key, fast=False)
    client.sign_in_passkey(username)
    seen = requests_of(counted, lambda: client.sign_in_passkey(username))
    assert seen == {"Query": 2, "PutItem": 1, "DeleteItem": 1, "UpdateItem": 1}


def test_a_passkey_removed_between_create_and_verify_is_refused(
    selfhosted: Deployment, idp: Any
) -> None:
    assert selfhosted.management_url is not None
    held = Backend(selfhosted)
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-removed-", key)
    (passkey_id,) = held.passkeys(username)
    access_token = api_client(selfhosted, key).sign_in_passkey(username).access_token
    raw = api_client(selfhosted, None)
    first = start(raw, username)  # Create sealed the passkey into the private state
    options = exchange.parse_options(first["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    signed = key.get(options, origin=selfhosted.origin, rp_id=selfhosted.rp_id)
    PasskeyManager(selfhosted.management_url, access_token).delete(passkey_id)
    with pytest.raises(NotAuthorizedError):
        respond(
            raw, first["Session"], username, exchange.assertion_answer(options, signed), FAST_GET
        )
    assert held.passkeys(username) == {}
    assert VerifyLog(selfhosted, username).reasons() == ["unknown_credential"]
