"""The custom-auth exchange against the real local user pools and trigger Lambdas.

Both dialects (a pool with fast sign-in, and one deployed with ``FastSignIn=false``),
add-passkey, SECRET_HASH with an app client secret, refusals, and what goes over the
wire (docs/protocol.md, "The custom-auth dialects"), read from the HTTP requests the
client sends.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client.errors import (
    AuthenticationError,
    ConfigurationError,
    NotAuthorizedError,
)
from cognito_passkey.local.deploy import Deployment
from fido2.webauthn import AuthenticationResponse, RegistrationResponse
from stack_fixtures import PASSWORD, SecretClient, new_user, passkey_client, unique_username

from .pools import enrol, user_exists
from .wire import Wire


@pytest.mark.parametrize(
    ("stack", "fast"),
    [("selfhosted", True), ("selfhosted_three_call", False)],
    ids=["2-call", "3-call"],
)
def test_add_passkey_then_sign_in(
    request: pytest.FixtureRequest, idp: Any, stack: str, fast: bool
) -> None:
    deployment: Deployment = request.getfixturevalue(stack)
    client = passkey_client(deployment)
    username, added = enrol(client, idp, deployment)
    assert client.verify_token(added.id_token)["cognito:username"] == username

    wire = Wire(client.api.client)
    tokens = client.sign_in_passkey(username)
    claims = client.verify_token(tokens.id_token)
    assert claims["cognito:username"] == username
    assert claims["aud"] == deployment.client_id
    assert tokens.refresh_token
    first = wire.calls[0]
    assert first.operation == "InitiateAuth"
    assert first.request["AuthFlow"] == "CUSTOM_AUTH"
    assert first.response["ChallengeParameters"]["challenge"] == "AUTH_PARAMS"
    assert ("public_key" in first.response["ChallengeParameters"]) is fast
    sent = wire.requests("RespondToAuthChallenge")
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


def test_a_client_without_fast_signin_takes_three_calls(selfhosted: Deployment, idp: Any) -> None:
    auth = SoftAuthenticator()
    username, _ = enrol(passkey_client(selfhosted, auth), idp, selfhosted)
    slow = passkey_client(selfhosted, auth, fast_signin=False)
    wire = Wire(slow.api.client)
    assert slow.verify_token(slow.sign_in_passkey(username).id_token)
    sent = wire.requests("RespondToAuthChallenge")
    assert [r["ChallengeResponses"]["ANSWER"] == "AUTH_PARAMS" for r in sent] == [True, False]
    assert all("fast_signin" not in r["ClientMetadata"] for r in sent)


def test_add_passkey_wire_shape(selfhosted: Deployment, idp: Any, password_user: str) -> None:
    client = passkey_client(selfhosted)
    id_token = client.sign_in_password(password_user, PASSWORD).id_token
    wire = Wire(client.api.client)
    client.add_passkey(password_user, id_token, timeout_s=90, require_usernameless=True)
    first, second = wire.requests("RespondToAuthChallenge")
    # A 2-call pool offers request options in round 1; add-passkey still answers AUTH_PARAMS.
    assert "public_key" in wire.calls[0].response["ChallengeParameters"]
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
    options = json.loads(wire.calls[1].response["ChallengeParameters"]["public_key"])
    assert options["authenticatorSelection"]["residentKey"] == "required"


def test_secret_hash_is_sent_on_every_call(
    selfhosted_secret_client: SecretClient, idp: Any
) -> None:
    app = selfhosted_secret_client
    client = passkey_client(
        app.deployment, client_id=app.client_id, client_secret=app.client_secret
    )
    username, _ = enrol(client, idp, app.deployment)
    wire = Wire(client.api.client)
    tokens = client.sign_in_passkey(username)
    assert client.verify_token(tokens.id_token)["aud"] == app.client_id
    sent = [call.request for call in wire.calls]
    assert sent[0]["AuthParameters"]["SECRET_HASH"]
    assert all(r["ChallengeResponses"]["SECRET_HASH"] for r in sent[1:])
    refreshed = client.refresh(tokens.refresh_token or "", username=username)
    assert refreshed.refresh_token == tokens.refresh_token
    assert client.verify_token(refreshed.id_token)["cognito:username"] == username
    with pytest.raises(ConfigurationError, match="username"):
        client.refresh(tokens.refresh_token or "")
    assert app.client_secret not in wire.text()


def test_wrong_passkey_is_not_offered(selfhosted: Deployment, idp: Any) -> None:
    username, _ = enrol(passkey_client(selfhosted), idp, selfhosted)
    stranger = passkey_client(selfhosted, SoftAuthenticator())
    with pytest.raises(NoCredentialsError):
        stranger.sign_in_passkey(username)


def test_forged_assertion_is_not_authorized(selfhosted: Deployment, idp: Any) -> None:
    auth = SoftAuthenticator()
    username, _ = enrol(passkey_client(selfhosted, auth), idp, selfhosted)

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
        passkey_client(selfhosted, Tamper()).sign_in_passkey(username)
    assert passkey_client(selfhosted, auth).sign_in_passkey(username).id_token


def test_rejected_attestation_is_not_authorized(
    selfhosted: Deployment, idp: Any, password_user: str
) -> None:
    auth = SoftAuthenticator()

    class WrongChallenge:
        def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            return auth.create(
                {**options, "challenge": "AAAAAAAAAAAAAAAAAAAAAA"}, origin=origin, rp_id=rp_id
            )

        def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            raise AssertionError("not used")

    client = passkey_client(selfhosted, WrongChallenge())
    id_token = client.sign_in_password(password_user, PASSWORD).id_token
    with pytest.raises(NotAuthorizedError):
        client.add_passkey(password_user, id_token)
    with pytest.raises(NoCredentialsError):  # the pool kept nothing: no passkey is offered
        passkey_client(selfhosted, auth).sign_in_passkey(password_user)


def test_unknown_user_is_refused(selfhosted: Deployment) -> None:
    # The local AWS answers UserNotFoundException; AWS, with PreventUserExistenceErrors, runs
    # the triggers' decoy and then refuses. Either way it is a failed sign-in.
    with pytest.raises(AuthenticationError):
        passkey_client(selfhosted).sign_in_passkey(unique_username("ghost-"))


def test_a_new_user_without_a_passkey_is_refused(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "nokey-")
    with pytest.raises((AuthenticationError, NoCredentialsError)):
        passkey_client(selfhosted).sign_in_passkey(username)
    assert user_exists(idp, selfhosted, username)


@pytest.mark.parametrize("with_secret", [False, True], ids=["public", "secret"])
def test_sign_out_revokes_the_refresh_token(
    selfhosted_secret_client: SecretClient, idp: Any, with_secret: bool
) -> None:
    app = selfhosted_secret_client
    options = app.options(with_secret)
    client = passkey_client(app.deployment, **options)
    username = new_user(idp, app.deployment, "out-")
    tokens = client.sign_in_password(username, PASSWORD)
    assert tokens.refresh_token
    assert client.refresh(tokens.refresh_token, username=username).id_token
    wire = Wire(client.api.client)
    client.sign_out(tokens.access_token, refresh_token=tokens.refresh_token)
    assert wire.ops() == ["GlobalSignOut", "RevokeToken"]
    revoke = wire.calls[1].request
    assert revoke["ClientId"] == options.get("client_id", app.deployment.client_id)
    assert ("ClientSecret" in revoke) is with_secret
    with pytest.raises(NotAuthorizedError, match="refresh token"):
        client.refresh(tokens.refresh_token, username=username)
