"""The custom-auth exchange over real HTTP against a fake pool that verifies with fido2.server.

Both dialects, add-passkey, RP ID absent from the options, SECRET_HASH, and what
goes over the wire (PROTOCOL.md section 1 shapes).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client import PasskeyClient, Tokens
from cognito_passkey.client.errors import (
    ConfigurationError,
    NotAuthorizedError,
    SessionExpiredError,
    TriggerError,
    UserNotFoundError,
)
from fido2.webauthn import AuthenticationResponse, RegistrationResponse

from .conftest import CLIENT_ID, POOL_ID
from .fake_cognito import ORIGIN, RP_ID, FakeCognito


def client_for(fake: FakeCognito, auth: SoftAuthenticator, **kwargs: Any) -> PasskeyClient:
    options: dict[str, Any] = {
        "origin": ORIGIN,
        "rp_id": RP_ID,
        "client_secret": fake.client_secret,
        "endpoint_url": fake.url,
    }
    options.update(kwargs)
    return PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID, authenticator=auth, **options)


def enrol(fake: FakeCognito, client: PasskeyClient, username: str = "alice") -> Tokens:
    """Register a passkey with an ID token the pool issued (as after a password sign-in)."""
    user = fake.users.get(username) or fake.add_user(username)
    bootstrap = fake.issue(user)
    return client.add_passkey(username, bootstrap["IdToken"])


def responds(fake: FakeCognito) -> list[dict[str, Any]]:
    return [params for op, params in fake.calls if op == "RespondToAuthChallenge"]


@pytest.mark.parametrize("fast", [True, False], ids=["2-call", "3-call"])
def test_add_passkey_then_sign_in(make_cognito: Any, fast: bool) -> None:
    fake = make_cognito(fast_signin=fast)
    auth = SoftAuthenticator()
    client = client_for(fake, auth)
    added = enrol(fake, client)
    assert len(fake.users["alice"].credentials) == 1
    assert client.verify_token(added.id_token)["cognito:username"] == "alice"

    fake.calls.clear()
    tokens = client.sign_in_passkey("alice")
    claims = client.verify_token(tokens.id_token)
    assert claims["cognito:username"] == "alice"
    assert tokens.refresh_token
    sent = responds(fake)
    if fast:
        assert len(sent) == 1
        assert sent[0]["ClientMetadata"] == {
            "authentication_type": "FIDO2_GET",
            "fast_signin": "true",
        }
        answer = json.loads(sent[0]["ChallengeResponses"]["ANSWER"])
    else:
        assert len(sent) == 2
        assert sent[0]["ChallengeResponses"]["ANSWER"] == "AUTH_PARAMS"
        assert sent[0]["ClientMetadata"] == {"authentication_type": "FIDO2_GET"}
        assert sent[1]["ClientMetadata"] == {"authentication_type": "FIDO2_GET"}
        answer = json.loads(sent[1]["ChallengeResponses"]["ANSWER"])
    body = answer["assertion_response"]
    assert set(body) >= {"challenge", "id", "type", "response"}
    assert set(body["response"]) >= {"clientDataJSON", "authenticatorData", "signature"}
    assert "userHandle" in body["response"]
    assert body["type"] == "public-key"
    parsed = AuthenticationResponse.from_dict(body)
    assert parsed.response.client_data.challenge is not None


def test_add_passkey_wire_shape(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=True)
    client = client_for(fake, SoftAuthenticator())
    user = fake.add_user("bob")
    id_token = fake.issue(user)["IdToken"]
    client.add_passkey("bob", id_token, timeout_s=90, require_usernameless=True)
    first, second = responds(fake)
    # A 2-call pool offers request options in round 1; add-passkey still answers AUTH_PARAMS.
    assert first["ChallengeResponses"]["ANSWER"] == "AUTH_PARAMS"
    meta = first["ClientMetadata"]
    assert meta["authentication_type"] == "FIDO2_CREATE"
    assert json.loads(meta["attestation_options"]) == {
        "override_timeout_s": 90,
        "require_usernameless": True,
    }
    assert "fast_signin" not in meta
    assert meta["id_token"] == id_token
    assert second["ClientMetadata"] == meta
    answer = json.loads(second["ChallengeResponses"]["ANSWER"])
    assert answer["id_token"] == id_token
    body = answer["attestation_response"]
    assert set(body["response"]) >= {"attestationObject", "clientDataJSON"}
    RegistrationResponse.from_dict(body)


def test_rp_id_missing_from_options_uses_the_configured_one(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=False, include_rp_id=False)
    client = client_for(fake, SoftAuthenticator())
    enrol(fake, client)
    assert client.sign_in_passkey("alice").id_token


def test_rp_id_missing_everywhere_is_a_configuration_error(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=False, include_rp_id=False)
    client = client_for(fake, SoftAuthenticator(), origin=None, rp_id=None)
    fake.add_user("alice")
    with pytest.raises(ConfigurationError, match="RP ID"):
        client.sign_in_passkey("alice")


def test_origin_alone_gives_the_rp_id(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=True, include_rp_id=False)
    client = client_for(fake, SoftAuthenticator(), rp_id=None)
    enrol(fake, client)
    assert client.sign_in_passkey("alice").access_token


def test_secret_hash_is_sent_on_every_call(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=False, client_secret="s3cr3t-value")
    client = client_for(fake, SoftAuthenticator())
    enrol(fake, client)
    tokens = client.sign_in_passkey("alice")
    assert all("SECRET_HASH" in p["ChallengeResponses"] for p in responds(fake))
    refreshed = client.refresh(tokens.refresh_token or "", username="alice")
    assert refreshed.refresh_token == tokens.refresh_token
    with pytest.raises(ConfigurationError, match="username"):
        client.refresh(tokens.refresh_token or "")
    wrong = client_for(fake, SoftAuthenticator(), client_secret="wrong")
    with pytest.raises(ConfigurationError, match="secret"):
        wrong.sign_in_passkey("alice")


def test_wrong_passkey_is_not_authorized(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=True)
    enrol(fake, client_for(fake, SoftAuthenticator()))
    stranger = client_for(fake, SoftAuthenticator())
    with pytest.raises(NoCredentialsError):
        stranger.sign_in_passkey("alice")


def test_forged_assertion_is_not_authorized(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=True)
    auth = SoftAuthenticator()
    client = client_for(fake, auth)
    enrol(fake, client)

    class Tamper:
        def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            return auth.create(options, origin=origin, rp_id=rp_id)

        def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            answer = auth.get(options, origin=origin, rp_id=rp_id)
            signature = answer["response"]["signature"]
            answer["response"]["signature"] = signature[:-4] + (
                "AAAA" if signature[-4:] != "AAAA" else "BBBB"
            )
            return answer

    with pytest.raises(NotAuthorizedError):
        client_for(fake, Tamper()).sign_in_passkey("alice")  # type: ignore[arg-type]


def test_unknown_user(make_cognito: Any) -> None:
    fake = make_cognito()
    with pytest.raises(UserNotFoundError):
        client_for(fake, SoftAuthenticator()).sign_in_passkey("nobody")


def test_trigger_error_is_a_failed_sign_in(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=False)
    client = client_for(fake, SoftAuthenticator())
    fake.add_user("carol")
    fake.fail_add_passkey = True
    with pytest.raises(TriggerError, match="UserLambdaValidationException"):
        client.add_passkey("carol", fake.issue(fake.users["carol"])["IdToken"])


def test_expired_session(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=False)
    auth = SoftAuthenticator()
    client = client_for(fake, auth)
    enrol(fake, client)

    class ForgetSessions:
        def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            raise AssertionError("not used")

        def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            fake.sessions.clear()  # the session expires while the person finds the key
            return auth.get(options, origin=origin, rp_id=rp_id)

    with pytest.raises(SessionExpiredError):
        client_for(fake, ForgetSessions()).sign_in_passkey("alice")  # type: ignore[arg-type]
