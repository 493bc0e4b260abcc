"""Token verification: real tokens against the local user pool's own JWKS, and forged
tokens (expired, wrong claims, bad signatures, rotated keys) against a JWKS served on
127.0.0.1 with a test key of our own."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client.errors import NetworkError, TokenError, TokenExpiredError
from cognito_passkey.client.verify import TokenVerifier
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, SecretClient, new_user, passkey_client

from .conftest import CLIENT_ID, ISSUER, POOL_ID, JwksServer, SigningKey, closed_url, mint


def verifier(server: JwksServer) -> TokenVerifier:
    return TokenVerifier(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=server.url)


def pool_verifier(deployment: Deployment, client_id: str | None = None) -> TokenVerifier:
    return TokenVerifier(
        user_pool_id=deployment.user_pool_id,
        client_id=client_id or deployment.client_id,
        endpoint_url=deployment.endpoint,
    )


def count_fetches(check: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry per JWKS download (the local pool's endpoint keeps no count of its own)."""
    fetches: list[None] = []
    jwks = check.verifier.jwks
    fetch = jwks.fetch_data

    def counted() -> Any:
        fetches.append(None)
        return fetch()

    monkeypatch.setattr(jwks, "fetch_data", counted)
    return fetches


def test_real_tokens_verify_against_the_pool_jwks(
    selfhosted: Deployment, password_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = passkey_client(selfhosted).sign_in_password(password_user, PASSWORD)
    check = pool_verifier(selfhosted)
    fetches = count_fetches(check, monkeypatch)
    claims = check.verify(tokens.id_token, token_use="id")
    assert claims["cognito:username"] == password_user
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{selfhosted.user_pool_id}"
    access = check.verify(tokens.access_token, token_use="access")
    assert access["client_id"] == selfhosted.client_id
    for _ in range(3):
        check.verify(tokens.id_token)
    assert len(fetches) == 1
    with pytest.raises(TokenError, match="expected 'access'"):
        check.verify(tokens.id_token, token_use="access")


def test_real_token_tampered_or_for_another_client_is_refused(
    selfhosted_secret_client: SecretClient, password_user: str
) -> None:
    deployment = selfhosted_secret_client.deployment
    tokens = passkey_client(deployment).sign_in_password(password_user, PASSWORD)
    header, payload, signature = tokens.id_token.split(".")
    other = passkey_client(
        deployment,
        client_id=selfhosted_secret_client.client_id,
        client_secret=selfhosted_secret_client.client_secret,
    ).sign_in_password(password_user, PASSWORD)
    swapped = f"{header}.{other.id_token.split('.')[1]}.{signature}"
    check = pool_verifier(deployment)
    with pytest.raises(TokenError, match="signature"):
        check.verify(swapped)
    with pytest.raises(TokenError, match="aud"):
        check.verify(other.id_token)
    with pytest.raises(TokenError, match="client_id"):
        check.verify(other.access_token, token_use="access")
    assert pool_verifier(deployment, selfhosted_secret_client.client_id).verify(other.id_token)
    assert payload != other.id_token.split(".")[1]


def test_token_of_another_pool_is_refused(
    selfhosted: Deployment, selfhosted_three_call: Deployment, idp: Any
) -> None:

    username = new_user(idp, selfhosted_three_call, "elsewhere-")
    foreign = passkey_client(selfhosted_three_call).sign_in_password(username, PASSWORD)
    with pytest.raises(TokenError):
        pool_verifier(selfhosted).verify(foreign.id_token)


def test_passkey_client_verify_token(selfhosted: Deployment, password_user: str) -> None:
    tokens = passkey_client(selfhosted).sign_in_password(password_user, PASSWORD)
    client = PasskeyClient(
        user_pool_id=selfhosted.user_pool_id,
        client_id=selfhosted.client_id,
        endpoint_url=selfhosted.endpoint,
    )
    assert client.verify_token(tokens.id_token)["cognito:username"] == password_user
    client.verify_token(tokens.access_token, token_use="access")


def test_endpoint_from_the_aws_environment(
    monkeypatch: pytest.MonkeyPatch, selfhosted: Deployment, password_user: str
) -> None:
    tokens = passkey_client(selfhosted).sign_in_password(password_user, PASSWORD)
    monkeypatch.setenv("AWS_ENDPOINT_URL", selfhosted.endpoint)
    client = PasskeyClient(user_pool_id=selfhosted.user_pool_id, client_id=selfhosted.client_id)
    assert client.endpoint_url == selfhosted.endpoint
    assert client.verify_token(tokens.id_token)["cognito:username"] == password_user
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:1")
    assert PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID).endpoint_url.endswith(":1")


# -- forged tokens, on a JWKS of our own ------------------------------------------------------


def test_valid_id_and_access_tokens(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    check = verifier(jwks_server)
    claims = check.verify(mint(signing_key), token_use="id")
    assert claims["cognito:username"] == "alice"
    assert claims["iss"] == ISSUER
    access = check.verify(mint(signing_key, token_use="access"), token_use="access")
    assert access["client_id"] == CLIENT_ID


def test_jwks_is_fetched_once(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    check = verifier(jwks_server)
    for _ in range(3):
        check.verify(mint(signing_key))
    assert jwks_server.fetches == 1
    assert jwks_server.paths == [f"/{POOL_ID}/.well-known/jwks.json"]


def test_expired(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    with pytest.raises(TokenExpiredError):
        verifier(jwks_server).verify(mint(signing_key, lifetime=-10))


@pytest.mark.parametrize(
    ("kwargs", "use", "message"),
    [
        ({"issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"}, "id", "issued"),
        ({"issuer": "http://127.0.0.1/" + POOL_ID}, "id", "issued"),
        ({"client_id": "someoneelse"}, "id", "aud"),
        ({"client_id": "someoneelse", "token_use": "access"}, "access", "client_id"),
        ({"token_use": "access"}, "id", "expected 'id'"),
        ({"token_use": "id"}, "access", "expected 'access'"),
    ],
)
def test_wrong_claims_are_refused(
    jwks_server: JwksServer,
    signing_key: SigningKey,
    kwargs: dict[str, Any],
    use: Any,
    message: str,
) -> None:
    with pytest.raises(TokenError, match=message):
        verifier(jwks_server).verify(mint(signing_key, **kwargs), token_use=use)


def test_bad_signature(
    jwks_server: JwksServer, signing_key: SigningKey, other_key: SigningKey
) -> None:
    forged = mint(other_key)  # same kid, different key
    with pytest.raises(TokenError, match="signature"):
        verifier(jwks_server).verify(forged)


def test_tampered_payload(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    header, payload, signature = mint(signing_key).split(".")
    other_payload = mint(signing_key, username="mallory").split(".")[1]
    with pytest.raises(TokenError):
        verifier(jwks_server).verify(f"{header}.{other_payload}.{signature}")
    assert payload != other_payload


def test_unknown_kid_and_other_algorithms(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    check = verifier(jwks_server)
    stranger = SigningKey(signing_key.private, "kid-unknown")
    with pytest.raises(TokenError, match="kid-unknown"):
        check.verify(mint(stranger))
    hmac_token = jwt.encode({"token_use": "id"}, "k" * 32, algorithm="HS256", headers={"kid": "x"})
    with pytest.raises(TokenError, match="RS256"):
        check.verify(hmac_token)
    with pytest.raises(TokenError, match="not a JWT"):
        check.verify("garbage")


def test_rotated_key_is_fetched_again(
    jwks_server: JwksServer, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = verifier(jwks_server)
    check.verify(mint(signing_key))
    rotated = SigningKey(signing_key.private, "kid-2")
    jwks_server.document = {"keys": [signing_key.jwk(), rotated.jwk()]}
    later = time.monotonic() + 120  # the refetch cooldown has passed
    monkeypatch.setattr(jwt.jwks_client, "time", SimpleNamespace(monotonic=lambda: later))
    assert check.verify(mint(rotated))["token_use"] == "id"
    assert jwks_server.fetches == 2


def test_unreachable_jwks_is_a_network_error(signing_key: SigningKey) -> None:
    check = TokenVerifier(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=closed_url())
    with pytest.raises(NetworkError, match="JWKS"):
        check.verify(mint(signing_key))


def test_jwks_url_forms() -> None:
    def jwks_url(endpoint_url: str | None) -> str:
        check = TokenVerifier(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=endpoint_url)
        return check.verifier.jwks.uri

    assert jwks_url(None) == f"{ISSUER}/.well-known/jwks.json"
    assert (
        jwks_url("http://127.0.0.1:4566/")
        == f"http://127.0.0.1:4566/{POOL_ID}/.well-known/jwks.json"
    )


def test_jwks_that_is_not_a_key_set_is_a_token_error(
    jwks_server: JwksServer, signing_key: SigningKey
) -> None:
    jwks_server.raw = b"<html>a proxy's page</html>"
    with pytest.raises(TokenError, match="JWKS"):
        verifier(jwks_server).verify(mint(signing_key))
    jwks_server.raw = b'{"keys": "none"}'
    with pytest.raises(TokenError, match="JWKS"):
        verifier(jwks_server).verify(mint(signing_key))
