"""The passkey management client against an API on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from cognito_passkey.client import errors as e
from cognito_passkey.client.management import PasskeyManager

from .conftest import closed_url
from .management_fake import sample_passkey


def test_list_rename_delete(make_management: Any) -> None:
    api = make_management("access-1")
    api.passkeys = {"k/1": sample_passkey("k/1", "YubiKey"), "k2": sample_passkey("k2", "Soft")}
    manager = PasskeyManager(api.url + "/", "access-1")
    listed = manager.list()
    assert [(p.id, p.name, p.sign_count, p.transports) for p in listed] == [
        ("k/1", "YubiKey", 3, ("usb",)),
        ("k2", "Soft", 3, ("usb",)),
    ]
    renamed = manager.rename("k/1", "Blue key")
    assert renamed.name == "Blue key" and api.passkeys["k/1"]["name"] == "Blue key"
    manager.delete("k2")
    assert list(api.passkeys) == ["k/1"]
    assert {auth for _m, _p, auth in api.requests} == {"Bearer access-1"}
    assert ("PATCH", "/passkeys/k%2F1") in {(m, p) for m, p, _a in api.requests}


def test_errors(make_management: Any) -> None:
    api = make_management("good")
    with pytest.raises(e.ManagementAuthError, match="sign in again"):
        PasskeyManager(api.url, "bad").list()
    manager = PasskeyManager(api.url, "good")
    with pytest.raises(e.PasskeyNotFoundError):
        manager.delete("missing")
    api.passkeys = {"a": sample_passkey("a", "x")}
    with pytest.raises(e.ManagementError, match="400") as caught:
        manager.rename("a", "n" * 65)
    assert caught.value.status == 400 and caught.value.code == "bad_request"
    with pytest.raises(e.ManagementError, match="empty"):
        manager.rename("a", "  ")


def test_not_configured_and_unreachable() -> None:
    with pytest.raises(e.ManagementNotConfiguredError, match="management URL"):
        PasskeyManager(None, "t")
    with pytest.raises(e.ManagementNotConfiguredError):
        PasskeyManager("localhost:1234", "t")
    with pytest.raises(e.NetworkError):
        PasskeyManager(closed_url(), "t").list()
