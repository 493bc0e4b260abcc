"""open_authenticator specs, SoftAuthenticator, and a light package import."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import (
    Authenticator,
    ClientAuthenticator,
    SoftAuthenticator,
    errors,
    open_authenticator,
)


def test_usb_spec_builds_without_touching_devices() -> None:
    auth = open_authenticator("usb", interactive=False)
    assert isinstance(auth, ClientAuthenticator)
    assert isinstance(auth, Authenticator)
    assert open_authenticator().__class__ is ClientAuthenticator


def test_unknown_spec() -> None:
    with pytest.raises(errors.AuthenticatorError, match="'usb' or 'soft:PATH'"):
        open_authenticator("nfc")


def test_soft_spec_persists_and_encrypts(
    tmp_path: Path, rp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys" / "soft.json"
    monkeypatch.setenv("COGNITO_PASSKEY_SOFT_PASSPHRASE", "correct horse")
    auth = open_authenticator(f"soft:{path}", create=True)  # a new store: created explicitly
    assert isinstance(auth, SoftAuthenticator)
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id="example.com"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"example.com" not in path.read_bytes()  # encrypted at rest

    again = open_authenticator(f"soft:{path}")  # a new process would do the same
    options, state = rp.request_options(user_verification="required")
    rp.authenticate(state, again.get(options, rp_id="example.com"))

    monkeypatch.setenv("COGNITO_PASSKEY_SOFT_PASSPHRASE", "wrong")
    with pytest.raises(errors.StoreLockedError):
        open_authenticator(f"soft:{path}")


def test_soft_spec_expands_the_home_directory(
    tmp_path: Path, rp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    auth = open_authenticator("soft:~/qa-key.json", create=True)
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id="example.com"))
    assert (tmp_path / "qa-key.json").is_file()
    assert not Path("~").exists()


def test_soft_in_memory_with_a_pin(rp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGNITO_PASSKEY_PIN", raising=False)
    from cognito_passkey.authenticator.soft import AuthenticatorConfig, MemoryCredentialStore
    from fido2.ctap2.base import Ctap2
    from fido2.ctap2.pin import ClientPin

    store = MemoryCredentialStore()
    first = SoftAuthenticator(store, device_options={"config": AuthenticatorConfig.pin_only()})
    ClientPin(Ctap2(first.device)).set_pin("2468")
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        first.create(options, rp_id="example.com")

    auth = SoftAuthenticator(
        store, pin="2468", device_options={"config": AuthenticatorConfig.pin_only()}
    )
    options, state = rp.registration_options(user_verification="required")
    response = auth.create(options, rp_id="example.com")
    rp.register(state, response)
    assert len(auth.store.list_credentials("example.com")) == 1
    json.dumps(response)


def test_soft_default_is_headless_and_quiet(rp: Any, capsys: pytest.CaptureFixture[str]) -> None:
    auth = SoftAuthenticator()
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id="example.com"))
    assert capsys.readouterr().err == ""


def test_import_stays_light() -> None:
    code = (
        "import sys, cognito_passkey.authenticator as a; "
        "assert not [m for m in sys.modules if m.startswith('fido2')], 'fido2 imported'; "
        "a.PinRequiredError; a.Authenticator; "
        "assert not [m for m in sys.modules if m.startswith('fido2')], 'fido2 imported'; "
        "a.open_authenticator; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
