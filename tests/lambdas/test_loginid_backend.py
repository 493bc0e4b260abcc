"""The LoginID backend against the LoginID-compatible test server (real HTTP, real WebAuthn)."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.lambdas import container
from cognito_passkey.lambdas.backends.service_token import normalize_pem
from lambdas_support import (
    FAST,
    GET,
    ORIGIN,
    RP_ID,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    attestation_answer,
    create_metadata,
    enroll,
    forge_assertion,
    forge_attestation,
    put_secret,
    rejections,
    start_registration,
)
from loginid_server import LoginIdServer


def register(authenticator: SoftAuthenticator, mint: TokenMint, username: str) -> CognitoLoop:
    loop = CognitoLoop(username)
    options = start_registration(loop)
    credential = authenticator.create(options, origin=ORIGIN, rp_id=RP_ID)
    loop.respond(
        attestation_answer(credential, options, mint.id_token(username)), create_metadata()
    )
    return loop


def sign_in(authenticator: SoftAuthenticator, username: str) -> CognitoLoop:
    loop = CognitoLoop(username)
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    loop.respond(
        assertion_answer(authenticator.get(options, origin=ORIGIN, rp_id=RP_ID), options), GET
    )
    return loop


def test_register_and_sign_in_both_dialects(loginid: LoginIdServer, mint: TokenMint) -> None:
    authenticator = SoftAuthenticator()
    assert register(authenticator, mint, "alice").outcome == "tokens"
    assert "alice" in loginid.users and len(loginid.users["alice"].passkeys) == 1
    assert sign_in(authenticator, "alice").outcome == "tokens"

    loop = CognitoLoop("alice")
    first = loop.start()
    assert first is not None and set(first) == {"challenge", "public_key"}
    options = json.loads(first["public_key"])
    loop.respond(
        assertion_answer(authenticator.get(options, origin=ORIGIN, rp_id=RP_ID), options), FAST
    )
    assert loop.outcome == "tokens" and len(loop.session) == 1


def test_the_service_token_is_es256_short_lived_and_reused(
    loginid: LoginIdServer, mint: TokenMint
) -> None:
    register(SoftAuthenticator(), mint, "alice")
    bearer = [a.split(" ", 1)[1] for a in loginid.authorizations if a.startswith("Bearer ey")]
    service = [t for t in bearer if jwt.get_unverified_header(t).get("typ") == "JWT"]
    assert service
    header = jwt.get_unverified_header(service[0])
    assert header == {"alg": "ES256", "typ": "JWT"}
    claims = jwt.decode(
        service[0],
        loginid.tenant_key.public_key(),
        algorithms=["ES256"],
        audience="127.0.0.1",
        issuer="loginid.io",
    )
    assert 0 < claims["exp"] - claims["iat"] <= 300 and len(claims["nonce"]) >= 16
    assert len(set(service)) == 1  # cached across calls in a warm container


def test_the_user_is_created_only_after_the_id_token_is_verified(
    loginid: LoginIdServer, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("mallory-target")
    options = start_registration(loop)
    credential = forge_attestation(options, ForgedCredential())
    loop.respond(
        attestation_answer(credential, options, mint.id_token("mallory")), create_metadata()
    )
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "token_user"
    assert loginid.users == {}
    assert ("POST", "/fido2/v2/reg/complete") not in loginid.requests


def test_a_wrong_passkey_is_refused_by_loginid(
    loginid: LoginIdServer, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    register(SoftAuthenticator(), mint, "alice")
    loop = CognitoLoop("alice")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    capsys.readouterr()
    loop.respond(assertion_answer(forge_assertion(options, ForgedCredential()), options), GET)
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "backend_rejected"


def test_a_counter_regression_is_refused_by_loginid(
    loginid: LoginIdServer, mint: TokenMint
) -> None:
    credential = enroll(mint, "alice")
    outcomes = []
    for counter in (7, 7):
        loop = CognitoLoop("alice")
        loop.start()
        options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
        loop.respond(
            assertion_answer(forge_assertion(options, credential, counter=counter), options), GET
        )
        outcomes.append(loop.outcome)
    assert outcomes == ["tokens", "failed"]


def test_decoys_look_like_loginid_options(loginid: LoginIdServer, mint: TokenMint) -> None:
    register(SoftAuthenticator(), mint, "alice")
    real = json.loads((CognitoLoop("alice").start() or {})["public_key"])
    fakes = [json.loads((CognitoLoop("nobody").start() or {})["public_key"]) for _ in range(2)]
    ghost = json.loads((CognitoLoop("ghost", user_not_found=True).start() or {})["public_key"])
    for fake in (*fakes, ghost):
        assert list(fake) == list(real)
        assert {k: v for k, v in fake.items() if k not in ("challenge", "allowCredentials")} == {
            k: v for k, v in real.items() if k not in ("challenge", "allowCredentials")
        }
        assert fake["allowCredentials"]
    assert fakes[0]["allowCredentials"] == fakes[1]["allowCredentials"]
    assert fakes[0]["challenge"] != fakes[1]["challenge"]


def test_a_cold_container_decoy_has_the_fido2_shape(loginid: LoginIdServer) -> None:
    fake = json.loads((CognitoLoop("nobody").start() or {})["public_key"])
    assert set(fake) == {"challenge", "allowCredentials", "userVerification"}


def test_an_unknown_user_fails_even_if_loginid_knows_the_name(
    loginid: LoginIdServer, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "deleted-from-cognito")
    loop = CognitoLoop("deleted-from-cognito", user_not_found=True)
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    capsys.readouterr()
    loop.respond(assertion_answer(forge_assertion(options, credential), options), GET)
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "decoy_challenge"


def test_the_wrong_tenant_key_is_refused(
    loginid: LoginIdServer, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    authenticator = SoftAuthenticator()
    register(authenticator, mint, "alice")
    loginid.tenant_key = ec.generate_private_key(ec.SECP256R1())  # the tenant rotated its key
    capsys.readouterr()
    loop = CognitoLoop("alice")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    assert options["allowCredentials"]  # a decoy: the sign-in cannot succeed
    loop.respond(assertion_answer(forge_assertion(options, ForgedCredential()), options), GET)
    assert loop.outcome == "failed"
    assert "backend_rejected" in rejections(capsys.readouterr().out)


def test_the_api_key_form(lambda_env: pytest.MonkeyPatch, mint: TokenMint) -> None:
    with LoginIdServer(rp_id=RP_ID, origins=(ORIGIN,), api_key_id="key-id-123") as server:
        lambda_env.setenv("PASSKEY_BACKEND", "loginid")
        lambda_env.setenv("LOGINID_BASE_URL", server.base_url)
        lambda_env.setenv("LOGINID_API_KEY_ID", "key-id-123")
        container.reset()
        authenticator = SoftAuthenticator()
        assert register(authenticator, mint, "alice").outcome == "tokens"
        assert "Basic a2V5LWlkLTEyMzo" in server.authorizations
        assert sign_in(authenticator, "alice").outcome == "tokens"
        lambda_env.setenv("LOGINID_API_KEY_ID", "wrong-key")
        container.reset()
        loop = CognitoLoop("alice")
        loop.start()
        options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
        loop.respond(assertion_answer(forge_assertion(options, ForgedCredential()), options), GET)
        assert loop.outcome == "failed"
        assert server.authorizations[-1] == "Basic d3Jvbmcta2V5Og"


def test_snake_case_errors_are_understood(lambda_env: pytest.MonkeyPatch, ministack: str) -> None:
    from cognito_passkey.lambdas.errors import Rejected

    with LoginIdServer(rp_id=RP_ID, origins=(ORIGIN,), error_style="snake") as server:
        secret = put_secret(ministack, server.tenant_key_pem)  # real newlines work too
        for name, value in {
            "PASSKEY_BACKEND": "loginid",
            "LOGINID_BASE_URL": server.base_url,
            "LOGINID_SECRET_NAME": secret,
            "AWS_ENDPOINT_URL": ministack,
        }.items():
            lambda_env.setenv(name, value)
        container.reset()
        backend: Any = container.backend()
        with pytest.raises(Rejected) as caught:
            backend._call("POST", "/fido2/v2/auth/init", backend._user_body("nobody"))
        assert caught.value.reason == "backend_rejected"
        assert caught.value.detail.endswith("404 user_not_found")
        with pytest.raises(Rejected) as caught:
            backend.rename_passkey("nobody", "AAAA", "name")
        assert caught.value.reason == "unknown_credential"


def test_passkey_management_through_loginid(loginid: LoginIdServer, mint: TokenMint) -> None:
    register(SoftAuthenticator(), mint, "alice")
    backend = container.backend()
    passkeys = backend.list_passkeys("alice")
    assert len(passkeys) == 1
    renamed = backend.rename_passkey("alice", passkeys[0].id, "Work key")
    assert renamed.name == "Work key"
    from cognito_passkey.lambdas.errors import Rejected

    with pytest.raises(Rejected) as caught:
        backend.delete_passkey("bob", passkeys[0].id)
    assert caught.value.reason == "unknown_credential"
    backend.delete_passkey("alice", passkeys[0].id)
    assert backend.list_passkeys("alice") == []


def test_the_key_is_loaded_once_per_container(loginid: LoginIdServer) -> None:
    from cognito_passkey.lambdas.backends.loginid import LoginIdBackend

    calls = []

    def load(name: str) -> str:
        calls.append(name)
        return loginid.tenant_key_pem

    backend = LoginIdBackend(container.settings(), load_secret=load)
    for name in ("a", "b", "c"):
        backend.begin_authentication(name)
    assert len(calls) == 1


def test_the_secret_is_cached_by_powertools(loginid: LoginIdServer, ministack: str) -> None:
    import boto3

    backend: Any = container.backend()
    backend.begin_authentication("a")
    boto3.client(
        "secretsmanager",
        endpoint_url=ministack,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).delete_secret(
        SecretId=container.settings().loginid_secret_name, ForceDeleteWithoutRecovery=True
    )
    backend._tokens._token = ""  # force a fresh signature: the key comes from the cache
    backend.begin_authentication("b")
    assert backend._tokens._token


@pytest.mark.parametrize(
    "stored",
    [
        "-----BEGIN PRIVATE KEY-----\\nAAAA\\nBBBB\\n-----END PRIVATE KEY-----",
        '"-----BEGIN PRIVATE KEY-----\\nAAAA\\nBBBB\\n-----END PRIVATE KEY-----"',
        "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\n",
        "  -----BEGIN PRIVATE KEY-----\r\nAAAA\r\nBBBB\r\n-----END PRIVATE KEY-----  ",
    ],
)
def test_pem_newlines_may_be_escaped(stored: str) -> None:
    assert normalize_pem(stored).replace("\r", "") == (
        "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\n"
    )


def test_the_base_url_must_be_https_unless_loopback() -> None:
    from cognito_passkey.lambdas.config import load_settings
    from cognito_passkey.lambdas.errors import ConfigError

    env = {"PASSKEY_BACKEND": "loginid", "LOGINID_SECRET_NAME": "s"}
    settings = load_settings({**env, "LOGINID_BASE_URL": "https://tenant42.api.loginid.io/"})
    assert settings.loginid_app_id == "tenant42"
    assert settings.loginid_base_url == "https://tenant42.api.loginid.io"
    with pytest.raises(ConfigError):
        load_settings({**env, "LOGINID_BASE_URL": "http://tenant42.api.loginid.io"})
    with pytest.raises(ConfigError):
        load_settings({"PASSKEY_BACKEND": "loginid", "LOGINID_BASE_URL": "https://x.io"})
