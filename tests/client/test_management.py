"""The passkey management client against the real management Lambda behind its function
URL on the local AWS (access tokens the pool issued, passkeys the triggers stored)."""

from __future__ import annotations

from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client import errors as e
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from fido2.utils import websafe_encode
from stack_fixtures import passkey_client

from .conftest import closed_url
from .pools import enrol


def test_list_rename_delete(selfhosted: Deployment, idp: Any) -> None:
    first_key, second_key = SoftAuthenticator(), SoftAuthenticator()
    username, tokens = enrol(passkey_client(selfhosted, first_key), idp, selfhosted)
    second = passkey_client(selfhosted, second_key)
    tokens = second.add_passkey(username, tokens.id_token)
    manager = PasskeyManager(selfhosted.management_url + "/", tokens.access_token)

    listed = manager.list()
    assert len(listed) == 2 and len({p.id for p in listed}) == 2
    for passkey in listed:
        assert passkey.id and passkey.created_at
        assert isinstance(passkey.sign_count, int)
    (mine,) = [websafe_encode(c.credential_id) for c in second_key.store.list_credentials()]
    assert mine in {p.id for p in listed}
    other = next(p.id for p in listed if p.id != mine)

    renamed = manager.rename(mine, "Blue key")
    assert renamed.id == mine and renamed.name == "Blue key"
    assert {p.id: p.name for p in manager.list()}[mine] == "Blue key"
    manager.delete(other)
    assert [p.id for p in manager.list()] == [mine]
    with pytest.raises((e.AuthenticationError, NoCredentialsError)):
        passkey_client(selfhosted, first_key).sign_in_passkey(username)
    assert second.sign_in_passkey(username).id_token


def test_errors(selfhosted: Deployment, idp: Any) -> None:
    _username, tokens = enrol(passkey_client(selfhosted), idp, selfhosted)
    with pytest.raises(e.ManagementAuthError, match="sign in again") as refused:
        PasskeyManager(selfhosted.management_url, tokens.id_token).list()  # not an access token
    assert refused.value.status == 401
    manager = PasskeyManager(selfhosted.management_url, tokens.access_token)
    with pytest.raises(e.PasskeyNotFoundError):
        manager.delete("bWlzc2luZw")
    (passkey,) = manager.list()
    with pytest.raises(e.ManagementError, match="400") as caught:
        manager.rename(passkey.id, "n" * 65)
    assert caught.value.status == 400 and caught.value.code == "bad_request"
    with pytest.raises(e.ManagementError, match="empty"):
        manager.rename(passkey.id, "  ")
    assert manager.list()[0].name == passkey.name


def test_nobody_touches_another_users_passkeys(selfhosted: Deployment, idp: Any) -> None:
    _owner, owner_tokens = enrol(passkey_client(selfhosted), idp, selfhosted)
    _other, other_tokens = enrol(passkey_client(selfhosted), idp, selfhosted)
    (owned,) = PasskeyManager(selfhosted.management_url, owner_tokens.access_token).list()
    intruder = PasskeyManager(selfhosted.management_url, other_tokens.access_token)
    assert owned.id not in {p.id for p in intruder.list()}
    with pytest.raises(e.PasskeyNotFoundError):
        intruder.rename(owned.id, "mine now")
    with pytest.raises(e.PasskeyNotFoundError):
        intruder.delete(owned.id)
    (still,) = PasskeyManager(selfhosted.management_url, owner_tokens.access_token).list()
    assert still == owned


def test_not_configured_and_unreachable() -> None:
    with pytest.raises(e.ManagementNotConfiguredError, match="management URL"):
        PasskeyManager(None, "t")
    with pytest.raises(e.ManagementNotConfiguredError):
        PasskeyManager("localhost:1234", "t")
    with pytest.raises(e.NetworkError):
        PasskeyManager(closed_url(), "t").list()
