"""Ctrl-C during a key operation (the touch wait, the PIN prompt) is an interruption, exit
130, not a refused sign-in (3); the keys are still released before it is raised."""

from __future__ import annotations

import _thread
import threading
from typing import Any

import pytest
from cognito_passkey.authenticator import errors
from cognito_passkey.client import exit_codes


def test_ctrl_c_during_the_touch_wait_exits_130(kit: Any, terminal: Any, rp: Any) -> None:
    finger = kit.Finger(touches=False, on_request=lambda _request: _thread.interrupt_main())
    auth = kit.over([kit.make_key(finger=finger)], terminal.interaction())
    options, _state = rp.registration_options()
    with pytest.raises(errors.InterruptedByUserError) as caught:
        auth.create(options, rp_id=kit.RP_ID)
    assert exit_codes.for_exception(caught.value) == exit_codes.INTERRUPTED
    assert finger.cancelled.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("passkey-")]


def test_ctrl_c_at_the_pin_prompt_exits_130(kit: Any, terminal: Any, rp: Any) -> None:
    terminal.answers = [KeyboardInterrupt()]
    auth = kit.over([kit.make_key(pin=kit.PIN, pin_only=True)], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.InterruptedByUserError) as caught:
        auth.create(options, rp_id=kit.RP_ID)
    assert exit_codes.for_exception(caught.value) == exit_codes.INTERRUPTED
