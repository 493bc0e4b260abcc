"""Small steps the client tests repeat on the real local user pools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cognito_passkey.client import PasskeyClient, Tokens, config
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, new_user


def enrol(
    client: PasskeyClient, idp: Any, deployment: Deployment, prefix: str = "user-"
) -> tuple[str, Tokens]:
    """A new user who signs in with a password once and adds a passkey; (name, tokens)."""
    username = new_user(idp, deployment, prefix)
    first = client.sign_in_password(username, PASSWORD)
    return username, client.add_passkey(username, first.id_token)


def user_exists(idp: Any, deployment: Deployment, username: str) -> bool:
    try:
        idp.admin_get_user(UserPoolId=deployment.user_pool_id, Username=username)
    except idp.exceptions.UserNotFoundException:
        return False
    return True


def write_soft_profile(deployment: Deployment, store: Path) -> None:
    """The default profile for ``deployment`` with the software key in ``store`` (the keys a
    user writes by hand: no region, no management URL)."""
    config.write_profile(
        "default",
        {
            "user_pool_id": deployment.user_pool_id,
            "client_id": deployment.client_id,
            "endpoint_url": deployment.endpoint,
            "authenticator": f"soft:{store}",
            "origin": deployment.origin,
            "rp_id": deployment.rp_id,
        },
    )
