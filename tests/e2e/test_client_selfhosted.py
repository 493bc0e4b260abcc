"""The client library against the deployed self-hosted stack: a software authenticator,
real Cognito flows, the trigger Lambdas verifying with python-fido2, the management API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client.errors import AuthenticationError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from e2e_support import PASSWORD, new_user, passkey_client, unique_username

pytestmark = pytest.mark.e2e
REFUSED = (AuthenticationError, NoCredentialsError)
"""Cognito refuses, or the authenticator already sees that no offered credential is its own."""


def offered_credentials(idp: Any, deployment: Deployment, username: str) -> list[str]:
    reply = idp.initiate_auth(
        ClientId=deployment.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    options = json.loads(reply["ChallengeParameters"]["public_key"])
    return [c["id"] for c in options.get("allowCredentials", [])]


def test_add_passkey_then_sign_in_with_it(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "alice-")
    client = passkey_client(selfhosted)
    password_tokens = client.sign_in_password(username, PASSWORD)
    added = client.add_passkey(username, password_tokens.id_token)
    assert client.verify_token(added.id_token)["cognito:username"] == username

    tokens = client.sign_in_passkey(username)
    claims = client.verify_token(tokens.id_token)
    assert claims["cognito:username"] == username
    assert claims["aud"] == selfhosted.client_id
    access = client.verify_token(tokens.access_token, token_use="access")
    assert access["client_id"] == selfhosted.client_id
    assert tokens.refresh_token

    refreshed = client.refresh(tokens.refresh_token, username=username)
    assert client.verify_token(refreshed.id_token)["cognito:username"] == username


def test_manage_passkeys_through_the_function_url(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "manage-")
    client = passkey_client(selfhosted)
    tokens = client.add_passkey(username, client.sign_in_password(username, PASSWORD).id_token)
    tokens = client.sign_in_passkey(username)

    manager = PasskeyManager(selfhosted.management_url, tokens.access_token)
    (passkey,) = manager.list()
    assert passkey.id
    renamed = manager.rename(passkey.id, "laptop key")
    assert renamed.name == "laptop key"
    assert [p.name for p in manager.list()] == ["laptop key"]

    assert offered_credentials(idp, selfhosted, username) == [passkey.id]
    manager.delete(passkey.id)
    assert manager.list() == []
    assert passkey.id not in offered_credentials(idp, selfhosted, username)
    with pytest.raises(REFUSED):
        client.sign_in_passkey(username)


def test_a_different_authenticator_cannot_sign_in(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "bob-")
    owner = passkey_client(selfhosted)
    owner.add_passkey(username, owner.sign_in_password(username, PASSWORD).id_token)

    stranger = passkey_client(selfhosted, SoftAuthenticator())
    with pytest.raises(REFUSED):
        stranger.sign_in_passkey(username)
    assert owner.sign_in_passkey(username).id_token  # the owner still can


def test_user_without_a_passkey_cannot_sign_in(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "nopasskey-")
    with pytest.raises(REFUSED):
        passkey_client(selfhosted).sign_in_passkey(username)


def test_unknown_user_cannot_sign_in(selfhosted: Deployment) -> None:
    with pytest.raises(REFUSED):
        passkey_client(selfhosted).sign_in_passkey(unique_username("ghost-"))


def test_sign_up_with_a_passkey(selfhosted: Deployment) -> None:
    username = unique_username("carol-")
    client = passkey_client(selfhosted)
    tokens = client.sign_up_with_passkey(
        username, {"email": f"{username}@example.com"}, confirm="admin"
    )
    assert client.verify_token(tokens.id_token)["cognito:username"] == username
    assert client.verify_token(client.sign_in_passkey(username).id_token)
