"""Token verification against a JWKS served on 127.0.0.1 with our own RS256 key."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client.errors import NetworkError, TokenError, TokenExpiredError
from cognito_passkey.client.verify import TokenVerifier, jwks_url

from .conftest import CLIENT_ID, ISSUER, POOL_ID, REGION, JwksServer, SigningKey, closed_url, mint


def verifier(server: JwksServer) -> TokenVerifier:
    return TokenVerifier(
        user_pool_id=POOL_ID, client_id=CLIENT_ID, region=REGION, endpoint_url=server.url
    )


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
    assert check.jwks.fetch_count == 1
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


def test_rotated_key_is_fetched_again(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    check = verifier(jwks_server)
    check.verify(mint(signing_key))
    rotated = SigningKey(signing_key.private, "kid-2")
    jwks_server.document = {"keys": [signing_key.jwk(), rotated.jwk()]}
    check.jwks._fetched_at -= 120  # the refetch interval has passed
    assert check.verify(mint(rotated))["token_use"] == "id"
    assert jwks_server.fetches == 2


def test_unreachable_jwks_is_a_network_error(signing_key: SigningKey) -> None:
    check = TokenVerifier(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        region=REGION,
        endpoint_url=closed_url(),
    )
    with pytest.raises(NetworkError, match="JWKS"):
        check.verify(mint(signing_key))


def test_jwks_url_forms() -> None:
    assert jwks_url(REGION, POOL_ID) == f"{ISSUER}/.well-known/jwks.json"
    assert (
        jwks_url(REGION, POOL_ID, "http://127.0.0.1:4566/")
        == f"http://127.0.0.1:4566/{POOL_ID}/.well-known/jwks.json"
    )


def test_passkey_client_verify_token(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    client = PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=jwks_server.url)
    assert client.verify_token(mint(signing_key, username="bob"))["cognito:username"] == "bob"
    client.verify_token(mint(signing_key, token_use="access"), token_use="access")
    assert jwks_server.fetches == 1


def test_endpoint_from_the_aws_environment(
    monkeypatch: pytest.MonkeyPatch, jwks_server: JwksServer, signing_key: SigningKey
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", jwks_server.url)
    client = PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID)
    assert client.endpoint_url == jwks_server.url
    assert client.verify_token(mint(signing_key))["iss"] == ISSUER
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDP", "http://127.0.0.1:1")
    assert PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID).endpoint_url.endswith(":1")
