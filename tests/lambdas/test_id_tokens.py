"""Adding a passkey needs a valid ID token of that very user, checked before the backend."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from cognito_passkey.lambdas import container
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.tokens import verifier_for
from cognito_passkey.protocol import pools
from cryptography.hazmat.primitives.asymmetric import rsa
from lambdas_support import (
    CLIENT_ID,
    POOL_ID,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    attestation_answer,
    create_metadata,
    forge_attestation,
    rejections,
    start_registration,
)

OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def bad_tokens(mint: TokenMint) -> list[tuple[str, str, str]]:
    now = int(time.time())
    return [
        (
            "wrong pool",
            mint.id_token(
                "alice", iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
            ),
            "token_issuer",
        ),
        ("wrong client", mint.id_token("alice", aud="another-client-id"), "token_audience"),
        ("expired", mint.id_token("alice", exp=now - 60, iat=now - 3700), "token_expired"),
        ("other user", mint.id_token("bob"), "token_user"),
        ("access token", mint.access_token("alice"), "token_use"),
        ("bad signature", mint.id_token("alice", _key=OTHER_KEY), "token_signature"),
        ("unknown key", mint.id_token("alice", _kid="not-a-pool-key"), "token_signature"),
        ("no token_use", mint.id_token("alice", token_use=None), "token_use"),
        ("no expiry", mint.id_token("alice", exp=None), "token_malformed"),
        ("garbage", "not.a.jwt", "token_malformed"),
        ("empty", "", "token_missing"),
    ]


def test_every_bad_id_token_is_refused_before_the_backend(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    for label, token, reason in bad_tokens(mint):
        loop = CognitoLoop("alice")
        options = start_registration(loop)
        capsys.readouterr()
        answer = attestation_answer(forge_attestation(options, ForgedCredential()), options, token)
        loop.respond(answer, create_metadata())
        assert loop.outcome == "failed", label
        assert rejections(capsys.readouterr().out)[0] == reason, label
        # the challenge was not consumed, nothing was stored: the backend was never called
        assert container.backend().list_passkeys("alice") == [], label


def test_a_token_may_not_ride_along_in_the_log(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    token = mint.id_token("bob")
    loop = CognitoLoop("alice")
    options = start_registration(loop)
    credential = forge_attestation(options, ForgedCredential())
    loop.respond(attestation_answer(credential, options, token), create_metadata())
    output = capsys.readouterr().out
    assert token not in output and token.split(".")[2] not in output
    assert credential["response"]["attestationObject"] not in output


def test_an_early_id_token_in_client_metadata_is_checked_before_any_backend_call(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("alice")
    loop.start()
    metadata = {**create_metadata(), "id_token": mint.id_token("bob")}
    second = loop.respond("AUTH_PARAMS", metadata)
    assert second is not None
    assert "token_user" in rejections(capsys.readouterr().out)
    options = json.loads(second["public_key"])
    assert set(options) >= {"rp", "user", "challenge", "pubKeyCredParams"}  # looks real
    good = mint.id_token("alice")
    answer = attestation_answer(forge_attestation(options, ForgedCredential()), options, good)
    loop.respond(answer, metadata)
    assert loop.outcome == "failed"
    assert container.backend().list_passkeys("alice") == []


def test_a_good_early_id_token_lets_registration_through(selfhosted: Any, mint: TokenMint) -> None:
    loop = CognitoLoop("alice")
    loop.start()
    metadata = {**create_metadata(), "id_token": mint.id_token("alice")}
    options = json.loads((loop.respond("AUTH_PARAMS", metadata) or {})["public_key"])
    answer = attestation_answer(
        forge_attestation(options, ForgedCredential()), options, mint.id_token("alice")
    )
    loop.respond(answer, metadata)
    assert loop.outcome == "tokens"
    assert len(container.backend().list_passkeys("alice")) == 1


def test_the_jwks_is_fetched_once_per_container(
    lambda_env: pytest.MonkeyPatch, mint: TokenMint
) -> None:
    verifier = verifier_for(POOL_ID)
    before = mint.jwks_requests
    for _ in range(5):
        claims = verifier.verify_id_token(
            mint.id_token("alice"), client_id=CLIENT_ID, username="alice"
        )
        assert claims["cognito:username"] == "alice"
    assert mint.jwks_requests == before + 1
    assert verifier_for(POOL_ID) is verifier


def test_an_unreachable_jwks_is_its_own_reason(
    lambda_env: pytest.MonkeyPatch, mint: TokenMint
) -> None:
    lambda_env.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:9")
    with pytest.raises(Rejected) as caught:
        verifier_for(POOL_ID).verify_id_token(mint.id_token("a"), client_id=CLIENT_ID, username="a")
    assert caught.value.reason == "jwks_unavailable"


def test_access_tokens_for_the_management_api(
    lambda_env: pytest.MonkeyPatch, mint: TokenMint
) -> None:
    verifier = verifier_for(POOL_ID)
    claims = verifier.verify_access_token(mint.access_token("alice"), client_ids={CLIENT_ID})
    assert claims["username"] == "alice"
    cases = [
        (mint.id_token("alice"), "token_use"),
        (mint.access_token("alice", client_id="other"), "token_audience"),
        (mint.access_token("alice", exp=int(time.time()) - 30), "token_expired"),
        (mint.access_token("alice", _key=OTHER_KEY), "token_signature"),
    ]
    for token, reason in cases:
        with pytest.raises(Rejected) as caught:
            verifier.verify_access_token(token, client_ids={CLIENT_ID})
        assert caught.value.reason == reason


def test_the_jwks_url_follows_the_local_endpoint_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_passkey.lambdas.config import jwks_url

    assert jwks_url("eu-west-1_abc", {}) == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
    )
    assert jwks_url("eu-west-1_abc", {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"}) == (
        "http://127.0.0.1:4566/eu-west-1_abc/.well-known/jwks.json"
    )
    both = {
        "AWS_ENDPOINT_URL": "http://a:1",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "http://b:2",
    }
    assert jwks_url("eu-west-1_abc", both) == "http://b:2/eu-west-1_abc/.well-known/jwks.json"


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
        {pools.COGNITO_ENDPOINT_ENV: "http://127.0.0.1:4567"},
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", pools.COGNITO_ENDPOINT_ENV: "http://b:2"},
    ],
)
def test_the_jwks_is_read_where_botocore_sends_the_cognito_calls(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    """The trigger's Cognito client and its JWKS follow the same variable (botocore's)."""
    from botocore.session import get_session
    from cognito_passkey.lambdas.config import jwks_url

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    cognito = get_session().create_client(
        "cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    assert (
        jwks_url("eu-west-1_abc")
        == f"{cognito.meta.endpoint_url}/eu-west-1_abc/.well-known/jwks.json"
    )
