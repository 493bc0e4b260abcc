"""Fixtures for the Lambda tests: a real DynamoDB/Secrets Manager (the session's shared
ministack), a JWKS endpoint for Cognito-shaped tokens, and an environment per backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from cognito_passkey.local import LocalAws
from lambdas_support import (
    ORIGIN,
    RP_ID,
    TokenMint,
    jwks_server,
    make_table,
    put_secret,
)


@pytest.fixture(scope="session")
def ministack(local_aws: LocalAws) -> str:
    """The endpoint of the session's shared local AWS (``stack_fixtures``).

    These tests only add resources of their own (tables and secrets with random names) and
    never reset the server, so the stacks other suites deployed there are left alone.
    """
    return local_aws.endpoint


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
def jwks_endpoint(mint: TokenMint) -> Iterator[str]:
    with jwks_server(mint) as endpoint:
        yield endpoint


def _reset_caches() -> None:
    from aws_lambda_powertools.utilities import parameters
    from cognito_passkey.lambdas import container

    container.reset()
    parameters.clear_caches()


def _configure(lambda_env: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """Set the Lambda's environment variables and drop what the handlers cached from the last."""
    for name, value in values.items():
        lambda_env.setenv(name, value)
    _reset_caches()


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, jwks_endpoint: str) -> Iterator[pytest.MonkeyPatch]:
    """A clean Lambda-like environment: no AWS credentials but dummies, JWKS on loopback."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "PASSKEY_", "LOGINID_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", jwks_endpoint)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "cognito-passkey-test")
    _reset_caches()
    yield monkeypatch
    _reset_caches()


@pytest.fixture
def selfhosted(lambda_env: pytest.MonkeyPatch, ministack: str) -> Iterator[dict[str, Any]]:
    """The self-hosted backend's environment on a fresh table; yields the settings used."""
    table = make_table(ministack)
    values = {
        "PASSKEY_BACKEND": "selfhosted",
        "PASSKEY_TABLE_NAME": table,
        "PASSKEY_RP_ID": RP_ID,
        "PASSKEY_RP_NAME": "Example App",
        "PASSKEY_ALLOWED_ORIGINS": f"{ORIGIN},android:apk-key-hash:Zm9vYmFyYmF6cXV4",
        "PASSKEY_USER_VERIFICATION": "preferred",
        "AWS_ENDPOINT_URL": ministack,
        "PASSKEY_USER_POOL_ID": "us-east-1_TestPool1",
        "PASSKEY_CLIENT_IDS": "3n4b5urk1ft4fl3mg5e62d9ado",
    }
    _configure(lambda_env, values)
    yield values


@pytest.fixture
def loginid(lambda_env: pytest.MonkeyPatch, ministack: str) -> Iterator[Any]:
    """A LoginID-compatible server, its tenant key in Secrets Manager stored the way the
    LoginID guide says (newlines as the two characters backslash-n), and the Lambda env."""
    from loginid_server import LoginIdServer

    with LoginIdServer(rp_id=RP_ID, origins=(ORIGIN,)) as server:
        secret = put_secret(ministack, server.tenant_key_pem.strip().replace("\n", "\\n"))
        values = {
            "PASSKEY_BACKEND": "loginid",
            "LOGINID_BASE_URL": server.base_url,
            "LOGINID_SECRET_NAME": secret,
            "AWS_ENDPOINT_URL": ministack,
            "PASSKEY_USER_POOL_ID": "us-east-1_TestPool1",
            "PASSKEY_CLIENT_IDS": "3n4b5urk1ft4fl3mg5e62d9ado",
        }
        _configure(lambda_env, values)
        yield server
