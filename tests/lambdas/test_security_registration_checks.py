"""Adding a passkey at handler level: what the local AWS cannot show end to end.

ministack 1.5.33 answers GetUser for a revoked or signed-out access token (its revocation
check runs only with ``AUTH=true``), so Cognito's refusal is stubbed here; so are a Cognito
that cannot be reached and an SNS topic that refuses the audit event. The passkey table is
real (the shared local AWS). The end-to-end tests are tests/e2e/test_security_registration.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from cognito_passkey.lambdas import audit, container
from cognito_passkey.lambdas import tokens as lambda_tokens
from cognito_passkey.lambdas.config import load_settings
from cognito_passkey.lambdas.errors import ConfigError
from cognito_passkey.protocol import dialect
from lambdas_support import (
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    attestation_answer,
    create_metadata,
    forge_attestation,
    log_lines,
    rejections,
    start_registration,
)


class StubCognito:
    """GetUser as Cognito answers it: the user, or the given error."""

    def __init__(self, error: Exception | None = None, username: str | None = None) -> None:
        self.error = error
        self.username = username
        self.calls = 0

    def get_user(self, *, AccessToken: str) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return {"Username": self.username, "UserAttributes": []}


class StubSns:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        if self.error is not None:
            raise self.error
        self.published.append(kwargs)
        return {"MessageId": "1"}


def revoked() -> ClientError:
    return ClientError(
        {"Error": {"Code": "NotAuthorizedException", "Message": "Access Token has been revoked"}},
        "GetUser",
    )


def register(
    mint: TokenMint, username: str, *, access_token: str | None, **id_claims: Any
) -> CognitoLoop:
    """One registration through Define, Create and Verify, the access token (if any) in the
    final ClientMetadata as the project's client sends it."""
    loop = CognitoLoop(username)
    options = start_registration(loop)
    answer = attestation_answer(
        forge_attestation(options, ForgedCredential()),
        options,
        mint.id_token(username, **id_claims),
    )
    metadata = create_metadata()
    if access_token is not None:
        metadata[dialect.META_ACCESS_TOKEN] = access_token
    loop.respond(answer, metadata)
    return loop


def stored(username: str) -> int:
    return len(container.backend().list_passkeys(username))


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> StubCognito:
    stub = StubCognito(username="alice")
    monkeypatch.setattr(lambda_tokens, "_cognito_client", lambda region: stub)
    return stub


def require_proof(lambda_env: pytest.MonkeyPatch) -> None:
    lambda_env.setenv("PASSKEY_REQUIRE_ACCESS_TOKEN", "true")
    container.reset()


def test_a_revoked_access_token_adds_nothing(
    selfhosted: dict[str, Any],
    lambda_env: pytest.MonkeyPatch,
    mint: TokenMint,
    cognito: StubCognito,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After GlobalSignOut Cognito refuses the access token; the signature alone still holds."""
    require_proof(lambda_env)
    cognito.error = revoked()
    loop = register(mint, "alice", access_token=mint.access_token("alice"))
    assert loop.outcome == "failed"
    assert cognito.calls == 1
    assert "access_token_refused" in rejections(capsys.readouterr().out)
    assert stored("alice") == 0


def test_a_live_access_token_of_the_user_adds_the_passkey(
    selfhosted: dict[str, Any],
    lambda_env: pytest.MonkeyPatch,
    mint: TokenMint,
    cognito: StubCognito,
) -> None:
    require_proof(lambda_env)
    assert register(mint, "alice", access_token=mint.access_token("alice")).outcome == "tokens"
    assert cognito.calls == 1
    assert stored("alice") == 1


def test_cognito_naming_another_user_adds_nothing(
    selfhosted: dict[str, Any],
    mint: TokenMint,
    cognito: StubCognito,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cognito.username = "mallory"
    assert register(mint, "alice", access_token=mint.access_token("alice")).outcome == "failed"
    assert "access_token_refused" in rejections(capsys.readouterr().out)
    assert stored("alice") == 0


def test_an_unreachable_cognito_fails_closed(
    selfhosted: dict[str, Any],
    mint: TokenMint,
    cognito: StubCognito,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sent access token that cannot be confirmed is no proof (proof optional here)."""
    cognito.error = EndpointConnectionError(endpoint_url="https://cognito-idp.example")
    assert register(mint, "alice", access_token=mint.access_token("alice")).outcome == "failed"
    assert "backend_unavailable" in rejections(capsys.readouterr().out)
    assert stored("alice") == 0


def test_an_id_token_without_auth_time_is_too_old(
    selfhosted: dict[str, Any], mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    assert register(mint, "alice", access_token=None, auth_time=None).outcome == "failed"
    assert "token_too_old" in rejections(capsys.readouterr().out)


def test_an_old_auth_time_is_refused_even_with_fresh_iat(
    selfhosted: dict[str, Any], mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refreshed ID token is new (``iat``) but names its old sign-in (``auth_time``)."""
    import time

    old = int(time.time()) - 30 * 86400
    assert register(mint, "alice", access_token=None, auth_time=old).outcome == "failed"
    assert "token_too_old" in rejections(capsys.readouterr().out)
    assert stored("alice") == 0


def test_the_audit_event_is_published_and_a_failed_publish_only_logs(
    selfhosted: dict[str, Any],
    lambda_env: pytest.MonkeyPatch,
    mint: TokenMint,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:passkey-audit"
    lambda_env.setenv("PASSKEY_AUDIT_TOPIC_ARN", topic)
    container.reset()
    sns = StubSns()
    monkeypatch.setattr(audit, "_sns_client", lambda region: sns)
    assert register(mint, "alice", access_token=None).outcome == "tokens"
    (published,) = sns.published
    assert published["TopicArn"] == topic
    event = json.loads(published["Message"])
    assert event["event_type"] == "passkey_added"
    assert event["user"] == "alice"
    (line,) = [r for r in log_lines(capsys.readouterr().out) if r.get("message") == "audit"]
    assert line["credential_id"] == event["credential_id"]

    sns.error = RuntimeError("topic gone")
    assert register(mint, "alice", access_token=None).outcome == "tokens"  # already stored
    assert audit.PUBLISH_FAILED in rejections(capsys.readouterr().out)
    assert stored("alice") == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PASSKEY_ID_TOKEN_MAX_AGE_SECONDS", "0"),
        ("PASSKEY_ID_TOKEN_MAX_AGE_SECONDS", "ten"),
        ("PASSKEY_MAX_PASSKEYS", "0"),
        ("PASSKEY_MAX_PASSKEYS", "-1"),
        ("PASSKEY_REQUIRE_ACCESS_TOKEN", "maybe"),
        ("PASSKEY_AUDIT_TOPIC_ARN", "passkey-audit"),
    ],
)
def test_malformed_registration_settings_are_config_errors(name: str, value: str) -> None:
    env = {
        "PASSKEY_BACKEND": "selfhosted",
        "PASSKEY_TABLE_NAME": "t",
        "PASSKEY_RP_ID": "example.com",
        "PASSKEY_ALLOWED_ORIGINS": "https://example.com",
        name: value,
    }
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


def test_registration_defaults() -> None:
    settings = load_settings(
        {
            "PASSKEY_BACKEND": "loginid",
            "LOGINID_BASE_URL": "https://app.api.loginid.io",
            "LOGINID_API_KEY_SECRET_NAME": "key-id-secret",
        }
    )
    assert settings.id_token_max_age_seconds == 600
    assert settings.require_access_token is False
    assert settings.max_passkeys == 10
    assert settings.audit_topic_arn == ""
    assert settings.loginid_api_key_secret_name == "key-id-secret"
