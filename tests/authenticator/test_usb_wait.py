"""At a terminal a USB sign-in waits for a key to be plugged in (saying so once), up to a
timeout; headless runs and a zero timeout fail at once. The device lister is injected: the
real one is hardware this machine does not have."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from cognito_passkey.authenticator import errors
from cognito_passkey.authenticator.devices import (
    PLUG_IN_POLL_S,
    plugged_hid_devices,
    wait_for_devices,
)
from cognito_passkey.authenticator.fido2_authenticator import ClientAuthenticator
from cognito_passkey.authenticator.interaction import TerminalInteraction
from cognito_passkey.client import exit_codes

NOTICE = "Plug in your security key (waiting up to 30 s; Ctrl-C to stop)..."


class Clock:
    """Time that passes only when the wait sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Lister:
    """Finds nothing until poll ``appears_at`` (counting the first look as poll 1)."""

    def __init__(self, appears_at: int | None) -> None:
        self.appears_at = appears_at
        self.calls = 0
        self.device = object()

    def __call__(self) -> list[Any]:
        self.calls += 1
        return [self.device] if self.calls == self.appears_at else []


def wait(lister: Lister, clock: Clock, **kwargs: Any) -> tuple[list[Any], list[str]]:
    notices: list[str] = []
    found = wait_for_devices(
        lister, notice=notices.append, sleep=clock.sleep, clock=clock, **kwargs
    )
    return found, notices


def test_a_key_plugged_in_during_the_wait_is_used() -> None:
    lister, clock = Lister(appears_at=3), Clock()
    found, notices = wait(lister, clock)
    assert found == [lister.device]
    assert notices == [NOTICE]  # said once, not on every poll
    assert lister.calls == 3
    assert clock.sleeps == [PLUG_IN_POLL_S, PLUG_IN_POLL_S]


def test_a_key_already_there_needs_no_notice() -> None:
    lister, clock = Lister(appears_at=1), Clock()
    assert wait(lister, clock) == ([lister.device], [])
    assert clock.sleeps == []


def test_no_key_within_the_timeout_fails_with_what_to_do() -> None:
    lister, clock = Lister(appears_at=None), Clock()
    with pytest.raises(errors.NoAuthenticatorError) as caught:
        wait(lister, clock, timeout_s=30)
    assert "within 30 s" in str(caught.value) and "plug in" in str(caught.value)
    assert exit_codes.for_exception(caught.value) == exit_codes.NO_AUTHENTICATOR
    assert sum(clock.sleeps) == pytest.approx(30)
    assert lister.calls == 1 + len(clock.sleeps)


def test_a_zero_timeout_fails_at_once() -> None:
    lister, clock = Lister(appears_at=None), Clock()
    with pytest.raises(errors.NoAuthenticatorError, match="No security key found"):
        wait(lister, clock, timeout_s=0)
    assert lister.calls == 1 and clock.sleeps == []


def test_ctrl_c_ends_the_wait() -> None:
    lister, clock = Lister(appears_at=None), Clock()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wait_for_devices(lister, notice=lambda _m: None, sleep=sleep, clock=clock)
    assert lister.calls == 2


@pytest.fixture
def no_key_here() -> None:
    if plugged_hid_devices():
        pytest.skip("a security key is plugged into this machine")


def options() -> dict[str, Any]:
    return {"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "example.com"}


def test_at_a_terminal_the_usb_authenticator_waits(no_key_here: None) -> None:
    stream = io.StringIO()
    interaction = TerminalInteraction(interactive=True, stream=stream)
    auth = ClientAuthenticator(interaction=interaction, plug_in_timeout_s=1, platform_client=None)
    started = time.monotonic()
    with pytest.raises(errors.NoAuthenticatorError, match="within 1 s"):
        auth.get(options(), rp_id="example.com")
    assert time.monotonic() - started >= 0.9
    assert stream.getvalue() == (
        "Plug in your security key (waiting up to 1 s; Ctrl-C to stop)...\n"
    )


def test_at_a_terminal_a_zero_plug_in_timeout_fails_at_once(no_key_here: None) -> None:
    stream = io.StringIO()
    at_terminal = TerminalInteraction(interactive=True, stream=stream)
    auth = ClientAuthenticator(interaction=at_terminal, plug_in_timeout_s=0, platform_client=None)
    with pytest.raises(errors.NoAuthenticatorError, match="No security key found"):
        auth.get(options(), rp_id="example.com")
    assert stream.getvalue() == ""  # no plug-in notice: nothing was waited for


def test_headless_the_usb_authenticator_fails_at_once(no_key_here: None) -> None:
    stream = io.StringIO()
    auth = ClientAuthenticator(interaction=TerminalInteraction(interactive=False, stream=stream))
    started = time.monotonic()
    with pytest.raises(errors.NoAuthenticatorError, match="No security key found"):
        auth.get(options(), rp_id="example.com")
    assert time.monotonic() - started < 0.5 and stream.getvalue() == ""
