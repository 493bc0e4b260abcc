"""A client configured for one RP never signs for another RP the server names."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client.errors import ProtocolError

POOL_ID = "eu-west-1_RpCheck1"
CLIENT_ID = "rpcheckclient"
RESULT = {"IdToken": "a.b.c", "AccessToken": "d.e.f", "RefreshToken": "r", "ExpiresIn": 60}


class RecordingAuthenticator:
    """Remembers every request; answers with a well-formed (unverified) assertion."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        self.calls.append((origin, rp_id))
        return {
            "id": "Y3JlZA",
            "rawId": "Y3JlZA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
        }

    def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        raise AssertionError("not used")


def _client(authenticator: RecordingAuthenticator) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=authenticator,
        rp_id="example.com",  # no origin: the RP ID is all the client knows
        endpoint_url="http://127.0.0.1:9",
        boto_session=boto3.session.Session(region_name="eu-west-1"),
    )


def _offer(stubber: Stubber, rp_id: str) -> None:
    options = {"challenge": "Y2hhbGxlbmdl", "rpId": rp_id, "allowCredentials": []}
    stubber.add_response(
        "initiate_auth",
        {
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": "s" * 40,
            "ChallengeParameters": {"challenge": "AUTH_PARAMS", "public_key": json.dumps(options)},
        },
    )


def test_options_for_another_rp_are_refused_before_the_authenticator_runs() -> None:
    authenticator = RecordingAuthenticator()
    client = _client(authenticator)
    with Stubber(client.api.client) as stubber:
        _offer(stubber, "bank.example")
        with pytest.raises(ProtocolError, match=r"bank\.example"):
            client.sign_in_passkey("alice")
    assert authenticator.calls == []


def test_options_for_the_configured_rp_still_sign_in() -> None:
    authenticator = RecordingAuthenticator()
    client = _client(authenticator)
    with Stubber(client.api.client) as stubber:
        _offer(stubber, "Example.COM")
        stubber.add_response("respond_to_auth_challenge", {"AuthenticationResult": RESULT})
        assert client.sign_in_passkey("alice").access_token == "d.e.f"
    assert authenticator.calls == [("https://Example.COM", "Example.COM")]
