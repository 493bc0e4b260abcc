"""Errors that used to mislead, each said once and by its cause: Cognito's password wording
for a refused passkey, an unknown profile, repeated or empty messages, a wrong pool id only
found at --verify, and one exit code for an unknown id (``soft delete`` and ``passkeys``).

Servers are real loopback HTTP servers; boto3 and urllib make real requests to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import PasskeyClient, config, exit_codes
from cognito_passkey.client import errors as e
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.client.tokens import Tokens
from cognito_passkey.client.verify import TokenVerifier

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import CLIENT_ID, POOL_ID, REGION, SigningKey, mint
from .loopback import Loopback, QuietHandler

KNOWN_ID = "a25vd24tcGFzc2tleQ"
UNKNOWN_ID = "bm8tc3VjaC1wYXNza2V5"


class Replies(QuietHandler):
    """404 with an empty body for anything but the management API's known routes; the
    management routes answer as the self-hosted backend does (protocol.management)."""

    deleted: list[str] = []  # noqa: RUF012 - one server per test, reset by the fixture

    def _send(self, status: int, body: bytes = b"") -> None:
        self.send_body(status, body)

    def _item(self) -> str | None:
        prefix = "/api/passkeys/"
        return self.path[len(prefix) :] if self.path.startswith(prefix) else None

    def do_GET(self) -> None:
        if self.path == "/api/passkeys":
            item = {"id": KNOWN_ID, "name": "Work laptop", "created_at": "2026-01-01T00:00:00Z"}
            listed = [] if KNOWN_ID in self.deleted else [item]
            self._send(200, json.dumps({"passkeys": listed}).encode())
            return
        self._send(404)

    def do_POST(self) -> None:  # boto3's Cognito calls
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(404)

    def do_PATCH(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._item() is not None:
            body = {"error": "not_found", "message": "no such passkey"}
            self._send(404, json.dumps(body).encode())
            return
        self._send(404)

    def do_DELETE(self) -> None:
        item = self._item()
        if item == KNOWN_ID:
            self.deleted.append(item)
            self._send(204)
            return
        self._send(404, b'{"error": "not_found", "message": "no such passkey"}')


@pytest.fixture
def server() -> Iterator[str]:
    Replies.deleted = []
    running = Loopback(Replies)
    try:
        yield running.url
    finally:
        running.stop()


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


# -- messages said once, by their cause ----------------------------------------------------


def test_an_empty_404_from_the_cognito_endpoint_is_a_configuration_error(server: str) -> None:
    client = PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=server)
    with pytest.raises(e.ConfigurationError) as caught:
        client.sign_in_passkey("alice")
    message = str(caught.value)
    assert "404: 404" not in message
    assert f"no Cognito API at {server}" in message and "endpoint_url" in message


def test_the_management_api_says_which_passkey_is_missing(server: str) -> None:
    manager = PasskeyManager(server + "/api", "access-token")
    with pytest.raises(e.PasskeyNotFoundError) as caught:
        manager.rename(UNKNOWN_ID, "New name")
    assert str(caught.value) == (
        f"no such passkey {UNKNOWN_ID} for this user (see `passkeys list`)"
    )
    assert caught.value.exit_code == exit_codes.FAILURE


def test_a_management_url_without_the_api_is_a_configuration_error(server: str) -> None:
    manager = PasskeyManager(server + "/elsewhere", "access-token")
    with pytest.raises(e.ConfigurationError, match="check management_url") as caught:
        manager.list()
    assert "no such passkey" not in str(caught.value)
    assert caught.value.exit_code == exit_codes.CONFIG


def test_a_missing_jwks_is_no_such_pool_not_a_network_error(
    server: str, signing_key: SigningKey
) -> None:
    verifier = TokenVerifier(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=server)
    with pytest.raises(e.ConfigurationError) as caught:
        verifier.verify(mint(signing_key))
    assert f"no such user pool {POOL_ID} at {server}" in str(caught.value)
    assert caught.value.exit_code == exit_codes.CONFIG


# -- tokens of another pool are never taken -------------------------------------------------


def tokens_of(signing_key: SigningKey, **claims: Any) -> Tokens:
    return Tokens(
        id_token=mint(signing_key, **claims),
        access_token=mint(signing_key, token_use="access"),
        refresh_token="r",
        expires_at=2**31,
    )


def test_tokens_of_another_pool_or_app_client_are_refused(signing_key: SigningKey) -> None:
    client = PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID)
    good = tokens_of(signing_key)
    assert client.issued_here(good) is good
    other_pool = f"{REGION}_OtherPool9"
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{other_pool}"
    with pytest.raises(e.ConfigurationError) as caught:
        client.issued_here(tokens_of(signing_key, issuer=issuer))
    assert f"issued by user pool {other_pool!r}" in str(caught.value)
    assert f"user_pool_id {POOL_ID!r}" in str(caught.value)
    with pytest.raises(e.ConfigurationError, match="app client 'other-client'"):
        client.issued_here(tokens_of(signing_key, client_id="other-client"))


def test_a_wrong_pool_id_signs_in_to_nothing_and_caches_nothing(offline: Offline) -> None:
    offline.enrol()
    offline.cognito.challenge()
    offline.cognito.signed_in(offline.tokens())
    wrong_pool = f"{REGION}_WrongPool1"
    result = offline.run("sign-in", offline.username, "--user-pool-id", wrong_pool)
    assert result.exit_code == exit_codes.CONFIG, result.output
    assert "issued by user pool 'eu-west-1_TestPool1'" in result.stderr
    assert f"not the configured user_pool_id {wrong_pool!r}" in result.stderr
    assert result.stdout == ""
    assert offline.cached() is None


# -- profiles -------------------------------------------------------------------------------


def test_a_named_profile_that_does_not_exist_is_said_so(offline: Offline) -> None:
    config.write_profile("work", {"client_id": "abc"})
    path = config.config_path()
    for args, env in (
        (["sign-in", "alice", "--profile", "nosuch"], None),
        (["sign-in", "alice"], {"COGNITO_PASSKEY_PROFILE": "nosuch"}),
    ):
        result = offline.run(*args, env=env)
        assert result.exit_code == exit_codes.CONFIG, result.output
        assert result.stderr.strip() == (
            f"error: no such profile 'nosuch' in {path} (profiles: default, work)"
        )


def test_the_implicit_default_profile_keeps_the_missing_settings_message(
    offline: Offline,
) -> None:
    config.write_profile("default", {"client_id": "abc"})
    result = offline.run("sign-in", "alice")
    assert result.exit_code == exit_codes.CONFIG, result.output
    assert "missing user_pool_id for profile 'default'" in result.stderr
    assert "no such profile" not in result.stderr


# -- an unknown id: one exit code, asked about before nothing --------------------------------


def test_an_unknown_id_fails_alike_in_soft_delete_and_passkeys(
    offline: Offline, server: str
) -> None:
    offline.enrol()
    offline.signed_in()
    url = server + "/api"
    soft = offline.run("soft", "delete", str(offline.store), UNKNOWN_ID, "--yes")
    rename = offline.run(
        "passkeys", "rename", UNKNOWN_ID, "x", "--management-url", url, "--user", "carol"
    )
    delete = offline.run(
        "passkeys", "delete", UNKNOWN_ID, "--management-url", url, "--user", "carol", input="y\n"
    )
    for result in (soft, rename, delete):
        assert result.exit_code == exit_codes.FAILURE, result.output
    assert f"no credential {UNKNOWN_ID}" in soft.output
    assert f"no such passkey {UNKNOWN_ID} for this user" in rename.stderr
    # The delete looked the id up first: nothing was asked, nothing deleted.
    assert f"no such passkey {UNKNOWN_ID} for this user" in delete.stderr
    assert "Delete passkey" not in delete.stderr
    assert Replies.deleted == []
    assert "no such passkey: no such passkey" not in rename.stderr + delete.stderr


def test_passkeys_delete_asks_with_the_name(offline: Offline, server: str) -> None:
    offline.enrol()
    offline.signed_in()
    url = server + "/api"
    declined = offline.run(
        "passkeys", "delete", KNOWN_ID, "--management-url", url, "--user", "carol", input="n\n"
    )
    assert f"Delete passkey 'Work laptop' ({KNOWN_ID})?" in declined.stderr
    assert Replies.deleted == []
    done = offline.run(
        "passkeys", "delete", KNOWN_ID, "--management-url", url, "--user", "carol", input="y\n"
    )
    assert done.exit_code == 0, done.output
    assert Replies.deleted == [KNOWN_ID]
    assert f"Deleted passkey 'Work laptop' ({KNOWN_ID})." in done.stderr


def test_add_passkey_name_needs_a_management_url_before_any_sign_in(offline: Offline) -> None:
    offline.signed_in()
    result = offline.run("add-passkey", offline.username, "--name", "Laptop")
    assert result.exit_code == exit_codes.CONFIG, result.output
    assert "management_url" in result.stderr and "--name" in result.stderr
    empty = offline.run("add-passkey", offline.username, "--name", " ")
    assert empty.exit_code == exit_codes.USAGE
