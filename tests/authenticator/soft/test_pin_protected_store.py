"""A PIN on a software store means the PIN: built-in verification, which approves at
once, stands in for it only when the store enables it explicitly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.authenticator import SoftAuthenticator, errors
from cognito_passkey.authenticator.soft import (
    AuthenticatorConfig,
    FileCredentialStore,
    MemoryCredentialStore,
    SoftCtapDevice,
)
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Ctap2
from fido2.ctap2.pin import PinProtocolV2

PIN = "4711-pin"
ERR = CtapError.ERR


@pytest.fixture(autouse=True)
def _no_pin_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGNITO_PASSKEY_PIN", raising=False)


def pin_store(tmp_path: Path, *, builtin_uv: bool = False) -> Path:
    """A store file with PIN :data:`PIN` (set as a platform does) and one passkey for the
    relying party, made with the PIN."""
    path = tmp_path / "soft.json"
    store = FileCredentialStore(path)
    SoftCtapDevice(store).set_pin(PIN)
    if builtin_uv:
        store.set_builtin_uv(True)
    return path


def enrol(rp: Any, path: Path, **options: Any) -> None:
    auth = SoftAuthenticator(path, **options)
    created, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(created, rp_id="example.com"))


def sign_in(rp: Any, auth: SoftAuthenticator) -> None:
    options, state = rp.request_options(user_verification="required")
    rp.authenticate(state, auth.get(options, rp_id="example.com"))  # checks the UV flag


def test_get_info_offers_builtin_uv_only_until_a_pin_is_set() -> None:
    store = MemoryCredentialStore()
    device = SoftCtapDevice(store)
    assert Ctap2(device).info.options.get("uv") is True
    device.set_pin(PIN)
    options = Ctap2(device).info.options
    assert "uv" not in options and options["clientPin"] is True
    store.set_builtin_uv(True)
    assert Ctap2(device).info.options.get("uv") is True


def test_a_set_pin_refuses_builtin_uv_at_the_ctap_level() -> None:
    """A platform that sends uv=true, or asks for a token by built-in UV, is refused."""
    cdh = b"\x01" * 32
    device = SoftCtapDevice(MemoryCredentialStore())
    device.set_pin(PIN)
    ctap = Ctap2(device)
    with pytest.raises(CtapError) as made:
        ctap.make_credential(
            cdh,
            {"id": "example.com"},
            {"id": b"u"},
            [{"type": "public-key", "alg": -7}],
            options={"rk": True, "uv": True},
        )
    assert made.value.code == ERR.INVALID_OPTION
    with pytest.raises(CtapError) as got:
        ctap.get_assertion("example.com", cdh, options={"uv": True})
    assert got.value.code == ERR.INVALID_OPTION
    with pytest.raises(CtapError) as token:
        ClientPin(ctap, PinProtocolV2()).get_uv_token(
            ClientPin.PERMISSION.GET_ASSERTION, "example.com"
        )
    assert token.value.code == ERR.NOT_ALLOWED


def test_uv_required_without_the_pin_is_refused(tmp_path: Path, rp: Any) -> None:
    path = pin_store(tmp_path)
    enrol(rp, path, pin=PIN)
    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        sign_in(rp, SoftAuthenticator(path))
    with pytest.raises(errors.PinInvalidError):
        sign_in(rp, SoftAuthenticator(path, pin="0000-wrong"))


def test_uv_required_with_the_pin_from_the_environment(
    tmp_path: Path, rp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pin_store(tmp_path)
    enrol(rp, path, pin=PIN)
    monkeypatch.setenv("COGNITO_PASSKEY_PIN", PIN)
    sign_in(rp, SoftAuthenticator(path))
    assert FileCredentialStore(path).device_state().pin_retries == 8


def test_builtin_uv_enabled_by_the_store_needs_no_pin(tmp_path: Path, rp: Any) -> None:
    path = pin_store(tmp_path, builtin_uv=True)
    enrol(rp, path)
    sign_in(rp, SoftAuthenticator(path))
    raw = json.loads(path.read_text())
    assert raw["data"]["device"]["builtin_uv"] is True


def test_a_store_without_a_pin_keeps_verifying_headless(tmp_path: Path, rp: Any) -> None:
    path = tmp_path / "soft.json"
    enrol(rp, path)
    sign_in(rp, SoftAuthenticator(path))
    assert "builtin_uv" not in json.loads(path.read_text())["data"]["device"]


def test_a_reset_turns_the_setting_off(make_device: Callable[..., SoftCtapDevice]) -> None:
    device = make_device(pin=PIN)
    device.store.set_builtin_uv(True)
    Ctap2(device).reset()
    assert device.store.device_state().builtin_uv is False


def test_a_bad_setting_in_the_file_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / "soft.json"
    FileCredentialStore(path).set_builtin_uv(True)
    document = json.loads(path.read_text())
    document["data"]["device"]["builtin_uv"] = "yes"
    path.write_text(json.dumps(document))
    with pytest.raises(errors.StoreCorruptedError, match="builtin_uv"):
        FileCredentialStore(path).device_state()


def test_soft_info_shows_and_changes_the_setting(tmp_path: Path, rp: Any) -> None:
    from cognito_passkey.client.cli import cli

    path = pin_store(tmp_path)
    runner = CliRunner()

    def info(*flags: str) -> dict[str, Any]:
        result = runner.invoke(cli, ["soft", "info", str(path), "-o", "json", *flags])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))

    shown = info()
    assert (shown["pin_set"], shown["builtin_uv"], shown["user_verification"]) == (
        True,
        False,
        "PIN",
    )
    assert PIN not in json.dumps(shown)
    assert info("--builtin-uv")["user_verification"] == "built-in"
    enrol(rp, path)
    sign_in(rp, SoftAuthenticator(path))
    assert info("--no-builtin-uv")["builtin_uv"] is False
    with pytest.raises(errors.PinRequiredError):
        sign_in(rp, SoftAuthenticator(path))

    created = tmp_path / "new.json"
    made = runner.invoke(cli, ["soft", "create", "--builtin-uv", str(created)])
    assert made.exit_code == 0, made.output
    table = runner.invoke(cli, ["soft", "info", str(created)]).stdout
    assert "builtin_uv\ttrue" in table and "pin_set\tfalse" in table


def test_pin_only_config_never_offers_builtin_uv(tmp_path: Path) -> None:
    store = MemoryCredentialStore()
    store.set_builtin_uv(True)
    device = SoftCtapDevice(store, config=AuthenticatorConfig.pin_only())
    assert "uv" not in Ctap2(device).info.options
