"""The local AWS shared by every suite that needs a real user pool (a pytest plugin).

One ministack per test session, started only when a test first asks for it, with stacks
deployed from the real templates: the self-hosted backend (fast sign-in on, and a second
stack with it off), and the LoginID backend against the LoginID-compatible test server.
Tests share the pools and keep apart by using user names of their own
(:func:`unique_username`) instead of resetting the server.

The main self-hosted stack runs with a short challenge TTL (:data:`CHALLENGE_TTL_SECONDS`),
so the expiry of challenges is tested on it without a stack of its own; the software
authenticator answers at once, well inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.local import DeploySpec, LocalAws
from cognito_passkey.local.deploy import Deployment, client

HERE = Path(__file__).resolve().parent
PASSWORD = "Correct-Horse-9-Battery"
LOGINID_RP_ID = "localhost"
LOGINID_ORIGIN = "https://localhost"
CHALLENGE_TTL_SECONDS = 10
"""The self-hosted stack's ``ChallengeTtlSeconds``: the templates' minimum (default 300)."""


def unique_username(prefix: str = "user") -> str:
    """A user name no other test (of this run or an earlier one on the same pool) uses."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def create_user(idp: Any, deployment: Deployment, username: str, password: str) -> None:
    """A confirmed user with ``password`` and an email address (admin calls)."""
    idp.admin_create_user(
        UserPoolId=deployment.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=deployment.user_pool_id, Username=username, Password=password, Permanent=True
    )


def new_user(idp: Any, deployment: Deployment, prefix: str) -> str:
    """A fresh confirmed user named ``prefix`` + a unique suffix, whose password is
    :data:`PASSWORD`."""
    username = unique_username(prefix)
    create_user(idp, deployment, username, PASSWORD)
    return username


def api_client(
    deployment: Deployment, authenticator: Any, *, fast: bool = True, **options: Any
) -> Any:
    """The project's client for ``deployment`` with exactly ``authenticator``: ``None`` gives
    a client with no key (raw Cognito calls, password sign-in, token checks only)."""
    return deployment.passkey_client(authenticator, **{"fast_signin": fast, **options})


def passkey_client(deployment: Deployment, authenticator: Any = None, **options: Any) -> Any:
    """The project's client for ``deployment``, with a fresh in-memory software key unless
    ``authenticator`` is given."""
    from cognito_passkey.authenticator import SoftAuthenticator

    key = authenticator if authenticator is not None else SoftAuthenticator()
    return api_client(deployment, key, **options)


def enrolled_user(idp: Any, deployment: Deployment, prefix: str, authenticator: Any) -> str:
    """A new user (:func:`new_user`) with one passkey on ``authenticator``."""
    username = new_user(idp, deployment, prefix)
    enroller = api_client(deployment, authenticator)
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)
    return username


@dataclass(frozen=True)
class SecretClient:
    """A second app client of a deployed pool, made with a client secret."""

    deployment: Deployment
    client_id: str
    client_secret: str = ""

    def __repr__(self) -> str:  # the secret stays out of test reports
        return f"SecretClient(client_id={self.client_id!r})"

    def options(self, with_secret: bool) -> dict[str, str]:
        """:func:`passkey_client` options: this app client and its secret, or with
        ``with_secret`` false none (the deployment's own client, without a secret)."""
        return (
            {"client_id": self.client_id, "client_secret": self.client_secret}
            if with_secret
            else {}
        )


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    """The session's ministack (dies with the test process even if pytest is killed)."""
    aws = LocalAws(tmp_path_factory.mktemp("local-aws"), stop_with_parent=True)
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()


@pytest.fixture(scope="session")
def selfhosted(local_aws: LocalAws) -> Deployment:
    """The self-hosted stack with fast (2-call) sign-in, the template's default, and a
    challenge TTL of :data:`CHALLENGE_TTL_SECONDS` (also the WebAuthn timeout it offers)."""
    return local_aws.deploy(
        DeploySpec(stack_name="passkey-selfhosted", challenge_ttl_seconds=CHALLENGE_TTL_SECONDS)
    )


@pytest.fixture(scope="session")
def selfhosted_identity_pool(local_aws: LocalAws) -> Deployment:
    """A self-hosted stack with the templates' optional Cognito identity pool
    (``CreateIdentityPool=true``): ID tokens exchanged for AWS credentials."""
    return local_aws.deploy(
        DeploySpec(stack_name="passkey-selfhosted-identity-pool", identity_pool=True)
    )


@pytest.fixture(scope="session")
def selfhosted_three_call(local_aws: LocalAws) -> Deployment:
    """A self-hosted stack with ``FastSignIn=false``: the original 3-call dialect only."""
    return local_aws.deploy(
        DeploySpec(stack_name="passkey-selfhosted-three-call", fast_signin=False)
    )


@pytest.fixture(scope="session")
def selfhosted_secret_client(selfhosted: Deployment, idp: Any) -> SecretClient:
    """An app client with a secret on the self-hosted pool (same triggers, same flows)."""
    made = idp.create_user_pool_client(
        UserPoolId=selfhosted.user_pool_id,
        ClientName="with-secret",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    return SecretClient(selfhosted, made["ClientId"], made["ClientSecret"])


@pytest.fixture(scope="session")
def loginid_service() -> Iterator[Any]:
    """The LoginID-compatible test server (tests/loginid_server.py) on 127.0.0.1."""
    if not (HERE / "loginid_server.py").is_file():
        pytest.skip("the LoginID-compatible test server (tests/loginid_server.py) is missing")
    from loginid_server import loginid_server

    with loginid_server(rp_id=LOGINID_RP_ID, origins=(LOGINID_ORIGIN,)) as server:
        yield server


@pytest.fixture(scope="session")
def loginid(local_aws: LocalAws, loginid_service: Any) -> Deployment:
    return local_aws.deploy(
        DeploySpec(
            backend="loginid",
            stack_name="passkey-loginid",
            rp_id=LOGINID_RP_ID,
            origins=(LOGINID_ORIGIN,),
            loginid_base_url=loginid_service.base_url,
            loginid_private_key=loginid_service.tenant_key_pem,
        )
    )


@pytest.fixture(scope="session")
def idp(local_aws: LocalAws) -> Any:
    """A cognito-idp client on the local AWS (dummy credentials, admin calls allowed)."""
    return client(local_aws.endpoint, "cognito-idp")


@pytest.fixture
def password_user(selfhosted: Deployment, idp: Any) -> str:
    """A fresh confirmed user of the self-hosted pool whose password is :data:`PASSWORD`."""
    return new_user(idp, selfhosted, "user-")
