"""Helpers of the end-to-end tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

import itertools
import os
from typing import Any

from cognito_passkey.client.local.deploy import Deployment

PASSWORD = "Correct-Horse-9-Battery"
_names = itertools.count()


def unique_username(prefix: str = "user") -> str:
    """A user name no other test of the session uses."""
    return f"{prefix}{next(_names)}-{os.getpid()}"


def create_user(idp: Any, deployment: Deployment, username: str, password: str) -> None:
    idp.admin_create_user(
        UserPoolId=deployment.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=deployment.user_pool_id, Username=username, Password=password, Permanent=True
    )


def passkey_client(deployment: Deployment, authenticator: Any = None) -> Any:
    """The project's client for ``deployment``, with a fresh in-memory software key."""
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.client import PasskeyClient
    from cognito_passkey.client.local.deploy import session

    return PasskeyClient(
        user_pool_id=deployment.user_pool_id,
        client_id=deployment.client_id,
        endpoint_url=deployment.endpoint,
        rp_id=deployment.rp_id,
        origin=deployment.origin,
        authenticator=authenticator if authenticator is not None else SoftAuthenticator(),
        boto_session=session(),
    )
