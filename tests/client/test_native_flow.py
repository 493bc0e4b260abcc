"""The native-passkey client against a Cognito-compatible pool on loopback (boto3's real
HTTP stack; tests/native_server.py): add, sign in both ways, list, delete, and each failure's
clear error and exit code."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.errors import (
    ConfigurationError,
    ManagementError,
    NotAuthorizedError,
    PasskeyNotFoundError,
    SessionExpiredError,
    UnexpectedChallengeError,
    UserNotFoundError,
)
from cognito_passkey.client.native import NativePasskeyManager
from cognito_passkey.client.token_source import obtain_tokens
from fido2.utils import websafe_decode, websafe_encode
from native_server import SESSION_TTL, NativePool, native_server

from .native_support import PASSWORD, client, new_user


@pytest.fixture
def pool() -> Iterator[NativePool]:
    with native_server() as server:
        yield server


class Recording:
    """An authenticator that keeps what it returned, and may change its answer."""

    def __init__(self, inner: Any, change: Any = None) -> None:
        self.inner, self.change, self.seen = inner, change, []

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> Any:
        return self.inner.create(options, origin=origin, rp_id=rp_id)

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> Any:
        answer = self.inner.get(options, origin=origin, rp_id=rp_id)
        self.seen.append(answer)
        return self.change(answer) if self.change else answer


def test_add_sign_in_list_delete(pool: NativePool) -> None:
    alice = new_user(pool)
    before = pool.calls.count("RespondToAuthChallenge")
    tokens = alice.client.sign_in_passkey("alice")
    claims = alice.client.verify_token(tokens.id_token)  # RS256 against the pool's JWKS
    assert claims["cognito:username"] == "alice"
    assert alice.client.verify_token(tokens.access_token, token_use="access")["username"] == "alice"
    assert (
        pool.calls.count("RespondToAuthChallenge") - before == 1
    )  # PREFERRED_CHALLENGE: one answer
    manager = alice.client.passkeys(tokens.access_token)
    [passkey] = manager.list()
    assert passkey.id == pool.users["alice"].credentials[0].id
    assert passkey.name and passkey.created_at
    manager.delete(passkey.id)
    assert manager.list() == []
    with pytest.raises(UnexpectedChallengeError, match=r"no passkey sign-in.*add-passkey"):
        alice.client.sign_in_passkey("alice")


def test_select_challenge_path() -> None:
    with native_server(honour_preferred=False) as pool:
        alice = new_user(pool)
        before = pool.calls.count("RespondToAuthChallenge")
        tokens = alice.client.sign_in_passkey("alice")
        assert alice.client.verify_token(tokens.id_token)["cognito:username"] == "alice"
        assert pool.calls.count("RespondToAuthChallenge") - before == 2  # SELECT, then WEB_AUTHN


def test_refresh_and_the_token_cache(pool: NativePool, tmp_path: Any) -> None:
    alice = new_user(pool)
    cache, key = TokenCache(tmp_path / "cache"), CacheKey("p", pool.user_pool_id, pool.client_id)
    first = obtain_tokens(alice.client, cache, key, "alice")
    assert first.source == "passkey"
    assert obtain_tokens(alice.client, cache, key, "alice").source == "cache"
    refreshed = alice.client.refresh(first.tokens.refresh_token or "", username="alice")
    assert alice.client.verify_token(refreshed.id_token)["cognito:username"] == "alice"


def test_secret_hash_with_a_client_secret() -> None:
    with native_server(client_secret="s3cret-of-the-app-client") as pool:
        alice = new_user(pool)
        tokens = alice.client.sign_in_passkey("alice")
        assert alice.client.refresh(tokens.refresh_token or "", username="alice").id_token
        no_secret = client(pool)
        no_secret.api._client_secret = None
        with pytest.raises(ConfigurationError, match="secret") as caught:
            no_secret.sign_in_passkey("alice")
        assert caught.value.exit_code == exit_codes.CONFIG


def test_listing_pages_through_next_token(pool: NativePool) -> None:
    alice = new_user(pool)
    for _ in range(4):  # a key each: a key holding a passkey is excluded from registering again
        other = client(pool, SoftAuthenticator())
        other.add_passkey("alice", alice.first.id_token, access_token=alice.first.access_token)
    manager = NativePasskeyManager(alice.client.api, alice.first.access_token, page_size=2)
    before = pool.calls.count("ListWebAuthnCredentials")
    ids = [p.id for p in manager.list()]
    assert ids == [c.id for c in pool.users["alice"].credentials] and len(ids) == 5
    assert pool.calls.count("ListWebAuthnCredentials") - before == 3
    with pytest.raises(PasskeyNotFoundError):
        manager.delete(websafe_encode(b"not-a-credential"))
    with pytest.raises(ManagementError, match="native pools cannot rename passkeys"):
        manager.rename(ids[0], "laptop")


def test_wrong_passkey(pool: NativePool) -> None:
    alice = new_user(pool)

    def forge(answer: Any) -> Any:
        forged = json.loads(json.dumps(dict(answer)))
        signature = bytearray(websafe_decode(forged["response"]["signature"]))
        signature[-1] ^= 1
        forged["response"]["signature"] = websafe_encode(bytes(signature))
        return forged

    alice.client._authenticator = Recording(alice.client.authenticator, forge)
    with pytest.raises(NotAuthorizedError, match="Incorrect passkey") as caught:
        alice.client.sign_in_passkey("alice")
    assert caught.value.exit_code == exit_codes.AUTH_FAILED
    stranger = client(pool)  # a key without any passkey of alice's
    with pytest.raises(NoCredentialsError):
        stranger.sign_in_passkey("alice")


def test_replayed_credential(pool: NativePool) -> None:
    alice = new_user(pool)
    recording = Recording(alice.client.authenticator)
    alice.client._authenticator = recording
    alice.client.sign_in_passkey("alice")
    recording.change = lambda _answer: recording.seen[0]  # the first sign-in's assertion again
    with pytest.raises(NotAuthorizedError, match="Incorrect passkey"):
        alice.client.sign_in_passkey("alice")


def test_unknown_user(pool: NativePool) -> None:
    with pytest.raises(UserNotFoundError) as caught:
        client(pool).sign_in_passkey("nobody")
    assert caught.value.exit_code == exit_codes.AUTH_FAILED


def test_expired_session(pool: NativePool) -> None:
    alice = new_user(pool)

    def late(answer: Any) -> Any:
        pool.skew += SESSION_TTL + 1  # the person took longer than the session lasts
        return answer

    alice.client._authenticator = Recording(alice.client.authenticator, late)
    with pytest.raises(SessionExpiredError, match="expired") as caught:
        alice.client.sign_in_passkey("alice")
    assert caught.value.exit_code == exit_codes.AUTH_FAILED


def test_a_pool_without_web_authn() -> None:
    with native_server(first_factors=("PASSWORD",)) as pool:
        alice = new_user(pool, passkey=False)
        with pytest.raises(UnexpectedChallengeError, match="WEB_AUTHN is not an allowed first"):
            alice.client.sign_in_passkey("alice")
        with pytest.raises(ConfigurationError, match="WebAuthnNotEnabledException") as caught:
            alice.client.add_passkey(
                "alice", alice.first.id_token, access_token=alice.first.access_token
            )
        assert caught.value.exit_code == exit_codes.CONFIG


def test_an_app_client_without_user_auth() -> None:
    with native_server(explicit_auth_flows=("ALLOW_REFRESH_TOKEN_AUTH",)) as pool:
        new = client(pool)
        with pytest.raises(ConfigurationError, match="does not allow this flow") as caught:
            new.sign_in_passkey("alice")
        assert any("flow = custom" in note for note in caught.value.__notes__)


def test_a_registration_completes_once(pool: NativePool) -> None:
    alice = new_user(pool, passkey=False)
    access = alice.first.access_token
    options = alice.client.native.call("start_web_authn_registration", AccessToken=access)
    credential = alice.client._make_credential(options["CredentialCreationOptions"])
    alice.client.native.call(
        "complete_web_authn_registration", AccessToken=access, Credential=dict(credential)
    )
    with pytest.raises(SessionExpiredError, match="registration expired or was already"):
        alice.client.native.call(
            "complete_web_authn_registration", AccessToken=access, Credential=dict(credential)
        )


def test_an_origin_the_pool_does_not_allow(pool: NativePool) -> None:
    alice = new_user(pool, passkey=False)
    alice.client.origin = "https://other.app.example.com"
    with pytest.raises(ConfigurationError, match="WebAuthnOriginNotAllowedException"):
        alice.client.add_passkey(
            "alice", alice.first.id_token, access_token=alice.first.access_token
        )


def test_user_verification_required_is_met_by_the_soft_key() -> None:
    with native_server(user_verification="required") as pool:
        alice = new_user(pool)
        assert alice.client.sign_in_passkey("alice").id_token


def test_password_sign_in_is_refused_with_a_wrong_password(pool: NativePool) -> None:
    new_user(pool, passkey=False)
    with pytest.raises(NotAuthorizedError):
        client(pool).sign_in_password("alice", PASSWORD + "x")


def test_a_session_is_single_use_and_rotates(pool: NativePool) -> None:
    new_user(pool)
    api = client(pool).native
    first = api.call(
        "initiate_auth",
        AuthFlow="USER_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": "alice"},
    )
    assert first["ChallengeName"] == "SELECT_CHALLENGE"
    assert first["AvailableChallenges"] == ["PASSWORD", "WEB_AUTHN"]
    answer = {
        "ClientId": pool.client_id,
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": first["Session"],
        "ChallengeResponses": {"USERNAME": "alice", "ANSWER": "WEB_AUTHN"},
    }
    second = api.call("respond_to_auth_challenge", **answer)
    assert second["ChallengeName"] == "WEB_AUTHN" and second["Session"] != first["Session"]
    with pytest.raises(SessionExpiredError, match="Invalid session"):
        api.call("respond_to_auth_challenge", **answer)


def test_the_server_validates_requests_against_the_service_model(pool: NativePool) -> None:
    request = urllib.request.Request(  # noqa: S310 - the loopback server
        pool.url,
        data=json.dumps({"AuthFlow": "USER_AUTH"}).encode(),  # no ClientId
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    body = json.loads(caught.value.read())
    caught.value.close()
    assert body["__type"] == "InvalidParameterException"
    assert "ClientId" in body["message"]
