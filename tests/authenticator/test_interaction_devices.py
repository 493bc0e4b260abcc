"""TerminalInteraction on its own, and the USB discovery messages."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from cognito_passkey.authenticator import devices, errors
from cognito_passkey.authenticator.interaction import TerminalInteraction

FIDO_REPORT_DESCRIPTOR = bytes.fromhex(
    "06d0f10901a1010920150026ff007508954081020921150026ff00750895409102c0"
)


def test_touch_prompt_once_per_operation() -> None:
    out = io.StringIO()
    ui = TerminalInteraction(interactive=True, stream=out, environ={})
    ui.begin_operation(device_count=1)
    ui.prompt_up()
    ui.prompt_up()
    ui.begin_operation(device_count=2)
    ui.prompt_up()
    assert out.getvalue().splitlines() == [
        "Touch your security key.",
        "Touch your security key (the one you want to use, of 2).",
    ]


def test_no_terminal_no_touch_notice_and_no_questions() -> None:
    out = io.StringIO()  # not a TTY

    def reader(prompt: str) -> str:
        raise AssertionError("must not ask")

    ui = TerminalInteraction(interactive=False, stream=out, pin_reader=reader, environ={})
    ui.begin_operation(device_count=1)
    ui.prompt_up()
    assert out.getvalue() == ""
    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        ui.request_pin(0, "example.com")  # type: ignore[arg-type]
    assert not ui.can_retry_pin
    assert ui.choose_account(["a", "b"]) == 0


def test_pin_sources() -> None:
    env = TerminalInteraction(interactive=False, environ={"COGNITO_PASSKEY_PIN": "1357"})
    assert env.request_pin(0, None) == "1357"  # type: ignore[arg-type]
    fixed = TerminalInteraction(interactive=True, pin="2468", environ={})
    assert fixed.request_pin(0, None) == "2468"  # type: ignore[arg-type]
    assert not fixed.can_retry_pin
    auto = TerminalInteraction(environ={})  # pytest's stdin is not a terminal
    assert auto.interactive is False


def test_eof_at_the_pin_prompt_cancels() -> None:
    def reader(prompt: str) -> str:
        raise EOFError

    ui = TerminalInteraction(interactive=True, pin_reader=reader, stream=io.StringIO())
    with pytest.raises(errors.CancelledError):
        ui.request_pin(0, None)  # type: ignore[arg-type]


def test_wrong_pin_wording() -> None:
    out = io.StringIO()
    ui = TerminalInteraction(interactive=True, stream=out, environ={})
    ui.pin_invalid(1)
    ui.pin_invalid(None)
    assert "1 try left before the key locks its PIN" in out.getvalue()
    assert "Wrong PIN. Try again." in out.getvalue()


def test_messages_name_the_udev_fix() -> None:
    message = devices.permission_message(["/dev/hidraw3"])
    assert "/dev/hidraw3" in message and "permission denied" in message
    if sys.platform.startswith("linux"):
        for text in (message, devices.no_key_message()):
            assert "libu2f-udev" in text and "70-u2f.rules" in text
            assert 'TAG+="uaccess"' in text


def _fake_hidraw(root: Path, name: str, descriptor: bytes, mode: int) -> Path:
    sysfs = root / "sys" / name / "device"
    sysfs.mkdir(parents=True)
    (sysfs / "report_descriptor").write_bytes(descriptor)
    node = root / "dev" / name
    node.parent.mkdir(exist_ok=True)
    node.write_bytes(b"")
    node.chmod(mode)
    return node


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may open any device node"
)
def test_unopenable_fido_nodes_are_found(tmp_path: Path) -> None:
    locked = _fake_hidraw(tmp_path, "hidraw0", FIDO_REPORT_DESCRIPTOR, 0o000)
    _fake_hidraw(tmp_path, "hidraw1", FIDO_REPORT_DESCRIPTOR, 0o600)  # ours: openable
    _fake_hidraw(tmp_path, "hidraw2", bytes.fromhex("05010906a101c0"), 0o000)  # a keyboard
    found = devices.unopenable_fido_hidraw(str(tmp_path / "sys"), str(tmp_path / "dev"))
    assert found == [str(locked)]


def test_only_fido_descriptors_count(tmp_path: Path) -> None:
    key = _fake_hidraw(tmp_path, "hidraw0", FIDO_REPORT_DESCRIPTOR, 0o600)
    _fake_hidraw(tmp_path, "hidraw2", bytes.fromhex("05010906a101c0"), 0o600)  # a keyboard
    (tmp_path / "sys" / "hidraw5" / "device").mkdir(parents=True)  # no descriptor: skipped
    found = devices.fido_hidraw_nodes(str(tmp_path / "sys"), str(tmp_path / "dev"))
    assert found == [str(key)]


def test_list_devices_reports_get_info() -> None:
    from cognito_passkey.authenticator.soft import AuthenticatorConfig, SoftCtapDevice
    from fido2.ctap2.base import Ctap2
    from fido2.ctap2.pin import ClientPin

    with_pin = SoftCtapDevice(config=AuthenticatorConfig.pin_only(product_name="Key With PIN"))
    ClientPin(Ctap2(with_pin)).set_pin("2468")
    plain = SoftCtapDevice(config=AuthenticatorConfig.pin_only(product_name="Fresh Key"))
    infos = devices.list_usb_devices(lambda: [with_pin, plain])
    assert [i.product_name for i in infos] == ["Key With PIN", "Fresh Key"]
    assert [i.pin_set for i in infos] == [True, False]
    assert all("FIDO_2_0" in i.ctap_versions for i in infos)
    assert infos[0].aaguid == "e5eeefb6-6e46-4057-ba36-6bc8f6a89f76"
    with pytest.raises(errors.NoAuthenticatorError):
        devices.list_usb_devices(lambda: [])


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or bool(devices.fido_hidraw_nodes()),
    reason="needs a Linux machine without FIDO keys",
)
def test_real_enumeration_without_keys_explains() -> None:
    """The default device source (HID enumeration) on a machine with no key plugged in."""
    from cognito_passkey.authenticator import ClientAuthenticator

    with pytest.raises(errors.NoAuthenticatorError, match=r"70-u2f\.rules"):
        devices.list_usb_devices()
    auth = ClientAuthenticator(interactive=False)
    options = {"challenge": "AAAA", "rpId": "example.com"}
    with pytest.raises(errors.NoAuthenticatorError, match="plug in your FIDO2 security key"):
        auth.get(options)
