"""The client signs only for the RP it is configured for, whatever the server names.

A Cognito endpoint is only a URL in a profile: a fake one (here on loopback, answering
Cognito's JSON protocol) can name any RP in its challenge. The local AWS cannot play
that part (its triggers name the deployment's own RP), so these tests run against a
fake endpoint of their own; the normal flows through ``local up``'s profile are in
tests/e2e/test_security_client.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.fido2_authenticator import ClientAuthenticator
from cognito_passkey.authenticator.interaction import TerminalInteraction
from cognito_passkey.authenticator.soft import MemoryCredentialStore, SoftCtapDevice
from cognito_passkey.authenticator.soft.credential import StoredCredential
from cognito_passkey.client import PasskeyClient, config
from cognito_passkey.client.cli import cli
from cognito_passkey.client.errors import ConfigurationError, ProtocolError
from cognito_passkey.protocol.dialect import AUTH_PARAMS, CUSTOM_CHALLENGE
from fido2.cose import ES256

from .conftest import CLIENT_ID, POOL_ID, REGION
from .loopback import AMZ_JSON, Loopback, QuietHandler

OUR_RP = "localhost"
VICTIM_RP = "victim.example"
RESULT = {
    "IdToken": "a.b.c",
    "AccessToken": "d.e.f",
    "RefreshToken": "r",
    "ExpiresIn": 3600,
    "TokenType": "Bearer",
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class FakeCognito:
    """Answers InitiateAuth with assertion options for ``rp_id``, and any answer with tokens."""

    rp_id: str
    credential_ids: list[bytes] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    url: str = ""

    def options(self) -> dict[str, Any]:
        return {
            "challenge": _b64(os.urandom(32)),
            "rpId": self.rp_id,
            "userVerification": "discouraged",
            "allowCredentials": [
                {"type": "public-key", "id": _b64(raw)} for raw in self.credential_ids
            ],
        }

    def answer(self, operation: str) -> dict[str, Any]:
        if operation == "InitiateAuth":
            return {
                "ChallengeName": CUSTOM_CHALLENGE,
                "Session": "fake-session-" + "x" * 32,
                "ChallengeParameters": {
                    "challenge": AUTH_PARAMS,
                    "public_key": json.dumps(self.options()),
                },
            }
        return {"AuthenticationResult": RESULT, "ChallengeParameters": {}}


@pytest.fixture
def fake_cognito() -> Iterator[FakeCognito]:
    state = FakeCognito(VICTIM_RP)

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            state.operations.append(operation)
            body = json.dumps(state.answer(operation)).encode()
            self.send_body(200, body, AMZ_JSON)

    running = Loopback(Handler)
    state.url = running.url
    try:
        yield state
    finally:
        running.stop()


def _passkey(store: Any, rp_id: str) -> bytes:
    """A discoverable passkey for ``rp_id`` in ``store``; returns its credential id."""
    credential = StoredCredential.generate(
        rp_id=rp_id,
        user_id=b"alice",
        algorithm=ES256.ALGORITHM,
        discoverable=True,
        user_name="alice",
    )
    store.add_credential(credential)
    return bytes(credential.credential_id)


def _sign_counts(store: Any) -> dict[str, int]:
    return {cred.rp_id: cred.sign_count for cred in store.list_credentials(None)}


def _client(fake: FakeCognito, authenticator: Any, **options: Any) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        endpoint_url=fake.url,
        authenticator=authenticator,
        boto_session=boto3.session.Session(region_name=REGION),
        **options,
    )


@pytest.fixture
def key_with_victims_passkey(fake_cognito: FakeCognito) -> SoftAuthenticator:
    """The user's key, holding a passkey for our RP and one for the victim's site."""
    key = SoftAuthenticator()
    _passkey(key.store, OUR_RP)
    fake_cognito.credential_ids.append(_passkey(key.store, VICTIM_RP))
    return key


def test_options_naming_another_rp_get_no_assertion(
    fake_cognito: FakeCognito, key_with_victims_passkey: SoftAuthenticator
) -> None:
    key = key_with_victims_passkey
    before = _sign_counts(key.store)
    client = _client(fake_cognito, key, rp_id=OUR_RP)
    with pytest.raises(ProtocolError) as caught:
        client.sign_in_passkey("alice")
    assert VICTIM_RP in str(caught.value) and OUR_RP in str(caught.value)
    assert _sign_counts(key.store) == before  # the authenticator was never asked
    assert fake_cognito.operations == ["InitiateAuth"]  # nothing was answered


def test_a_configured_web_origin_pins_the_rp_too(
    fake_cognito: FakeCognito, key_with_victims_passkey: SoftAuthenticator
) -> None:
    key = key_with_victims_passkey
    before = _sign_counts(key.store)
    client = _client(fake_cognito, key, origin=f"https://{OUR_RP}")
    with pytest.raises(ProtocolError) as caught:
        client.sign_in_passkey("alice")
    assert VICTIM_RP in str(caught.value) and OUR_RP in str(caught.value)
    assert _sign_counts(key.store) == before
    assert fake_cognito.operations == ["InitiateAuth"]


def test_a_client_without_rp_id_refuses_to_sign_at_all(
    fake_cognito: FakeCognito, key_with_victims_passkey: SoftAuthenticator
) -> None:
    key = key_with_victims_passkey
    before = _sign_counts(key.store)
    client = _client(fake_cognito, key)
    with pytest.raises(ConfigurationError, match="no RP ID is configured") as caught:
        client.sign_in_passkey("alice")
    assert "rp_id" in str(caught.value) and "--rp-id" in str(caught.value)
    assert _sign_counts(key.store) == before
    assert fake_cognito.operations == ["InitiateAuth"]


def test_a_client_without_rp_id_registers_nothing(fake_cognito: FakeCognito) -> None:
    key = SoftAuthenticator()
    client = _client(fake_cognito, key)
    options = {
        "challenge": _b64(os.urandom(32)),
        "rp": {"id": VICTIM_RP, "name": "Victim"},
        "user": {"id": _b64(b"alice"), "name": "alice", "displayName": "alice"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    }
    with pytest.raises(ConfigurationError, match="no RP ID is configured"):
        client._make_credential(options)
    with pytest.raises(ProtocolError, match=VICTIM_RP):
        _client(fake_cognito, key, rp_id=OUR_RP)._make_credential(options)
    assert key.store.list_credentials(None) == []


def _cli_profile(fake: FakeCognito, key_path: str, **changes: str) -> None:
    values = {
        "user_pool_id": POOL_ID,
        "client_id": CLIENT_ID,
        "endpoint_url": fake.url,
        "authenticator": f"soft:{key_path}",
    }
    config.write_profile("default", {**values, **changes})


@pytest.mark.parametrize(
    ("profile", "exit_code", "names"),
    [
        ({}, 5, ("--rp-id", "COGNITO_PASSKEY_RP_ID", "config set rp_id=")),
        ({"rp_id": OUR_RP}, 1, (OUR_RP, VICTIM_RP)),
    ],
    ids=["no-rp-id", "rp-id"],
)
def test_cli_signs_nothing_for_another_rp(
    fake_cognito: FakeCognito,
    tmp_path: Any,
    profile: dict[str, str],
    exit_code: int,
    names: tuple[str, ...],
) -> None:
    from cognito_passkey.authenticator.soft import FileCredentialStore

    store = FileCredentialStore(tmp_path / "key.json")
    _passkey(store, OUR_RP)
    fake_cognito.credential_ids.append(_passkey(store, VICTIM_RP))
    before = _sign_counts(store)
    _cli_profile(fake_cognito, str(tmp_path / "key.json"), **profile)

    result = CliRunner().invoke(cli, ["sign-in", "alice", "-o", "json"])

    assert result.exit_code == exit_code, result.stderr
    silent = result.stdout == ""
    assert silent, "no tokens on stdout"
    for name in names:
        assert name in result.stderr
    assert _sign_counts(FileCredentialStore(tmp_path / "key.json")) == before
    assert fake_cognito.operations == ["InitiateAuth"]


def test_touch_prompt_names_the_rp(fake_cognito: FakeCognito) -> None:
    """A USB-path sign-in (a software key behind ClientAuthenticator's real threads)."""
    device = SoftCtapDevice(MemoryCredentialStore())
    fake_cognito.rp_id = OUR_RP
    fake_cognito.credential_ids.append(_passkey(device.store, OUR_RP))
    stderr = io.StringIO()
    interaction = TerminalInteraction(interactive=True, stream=stderr, environ={})
    key = ClientAuthenticator(interaction=interaction, device_source=lambda: [device])

    tokens = _client(fake_cognito, key, rp_id=OUR_RP).sign_in_passkey("alice")

    assert tokens.access_token == "d.e.f"
    assert f"Touch your security key to sign in to {OUR_RP}." in stderr.getvalue()
    assert fake_cognito.operations == ["InitiateAuth", "RespondToAuthChallenge"]


def test_touch_prompt_names_the_rp_of_a_registration() -> None:
    out = io.StringIO()
    ui = TerminalInteraction(interactive=True, stream=out, environ={})
    ui.begin_operation(device_count=2, rp_id="example.com", operation="create")
    ui.prompt_up()
    assert out.getvalue() == (
        "Touch your security key to create a passkey for example.com "
        "(the one you want to use, of 2).\n"
    )
