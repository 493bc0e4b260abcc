"""Small steps the client tests repeat on the real local user pools."""

from __future__ import annotations

from typing import Any

from cognito_passkey.client import PasskeyClient, Tokens
from cognito_passkey.client.local.deploy import Deployment
from stack_fixtures import PASSWORD, create_user, unique_username


def enrol(
    client: PasskeyClient, idp: Any, deployment: Deployment, prefix: str = "user-"
) -> tuple[str, Tokens]:
    """A new user who signs in with a password once and adds a passkey; (name, tokens)."""
    username = unique_username(prefix)
    create_user(idp, deployment, username, PASSWORD)
    first = client.sign_in_password(username, PASSWORD)
    return username, client.add_passkey(username, first.id_token)


def user_exists(idp: Any, deployment: Deployment, username: str) -> bool:
    try:
        idp.admin_get_user(UserPoolId=deployment.user_pool_id, Username=username)
    except idp.exceptions.UserNotFoundException:
        return False
    return True
