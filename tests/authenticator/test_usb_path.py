"""The USB path's interaction logic, with software keys standing in for USB keys.

PIN entry and retries, blocked PINs, several keys at once, Ctrl-C, timeouts and
non-interactive runs, all through ClientAuthenticator's real threads.
"""

from __future__ import annotations

import _thread
import threading
import time
from typing import Any

import pytest
from cognito_passkey.authenticator import errors
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin


def pin_retries(key: Any) -> int:
    return int(ClientPin(Ctap2(key)).get_pin_retries()[0])


def registered(kit: Any, rp: Any, key: Any, terminal: Any) -> None:
    """Register one credential on ``key`` (PIN given directly; prompts not under test)."""
    from cognito_passkey.authenticator.interaction import TerminalInteraction

    auth = kit.over(
        [key], TerminalInteraction(interactive=False, pin=kit.PIN, stream=terminal.stderr)
    )
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))


# -- PIN ----------------------------------------------------------------------------------


def test_pin_prompt_then_touch(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    terminal.answers = [kit.PIN, kit.PIN]
    auth = kit.over([key], terminal.interaction())
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    options, state = rp.request_options(user_verification="required")
    rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert terminal.prompts == ["Enter the PIN of your security key: "] * 2
    assert terminal.text.count("Touch your security key") == 2
    assert kit.PIN not in terminal.text


def test_wrong_pin_is_asked_again_with_tries_left(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    before = pin_retries(key)
    terminal.answers = ["0000", "1111", kit.PIN]
    auth = kit.over([key], terminal.interaction())
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    assert len(terminal.prompts) == 3
    assert f"Wrong PIN. {before - 1} tries left." in terminal.text
    assert f"Wrong PIN. {before - 2} tries left." in terminal.text
    assert terminal.text.count("Touch your security key") == 1
    assert "0000" not in terminal.text and kit.PIN not in terminal.text
    assert pin_retries(key) == before  # a right PIN restores the count


def test_three_wrong_pins_need_a_replug(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    terminal.answers = ["0000"] * 5
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.PinBlockedError, match="unplug the security key") as info:
        auth.create(options, rp_id=kit.RP_ID)
    assert len(terminal.prompts) == 3
    assert info.value.__cause__ is not None
    key.power_cycle()  # re-plugged: the right PIN works again
    terminal.answers = [kit.PIN]
    auth.create(options, rp_id=kit.RP_ID)


def test_blocked_pin_says_reset(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    for _ in range(10):
        if pin_retries(key) == 0:
            break
        terminal.answers = ["0000"] * 3
        with pytest.raises(errors.PinError):
            auth.create(options, rp_id=kit.RP_ID)
        key.power_cycle()
    assert pin_retries(key) == 0
    terminal.answers = [kit.PIN]
    with pytest.raises(errors.PinBlockedError, match="must be reset"):
        auth.create(options, rp_id=kit.RP_ID)


def test_uv_required_without_a_pin_set(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin_only=True)
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.PinNotSetError, match="ykman fido access change-pin"):
        auth.create(options, rp_id=kit.RP_ID)
    assert terminal.prompts == []


def test_empty_pin_cancels(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    terminal.answers = [""]
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.CancelledError, match="No PIN was entered"):
        auth.create(options, rp_id=kit.RP_ID)


# -- non-interactive ---------------------------------------------------------------------


def test_non_interactive_without_pin_names_the_variable(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    auth = kit.over([key], terminal.interaction(interactive=False))
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        auth.create(options, rp_id=kit.RP_ID)
    assert terminal.prompts == []


def test_non_interactive_pin_from_the_environment(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    env = {"COGNITO_PASSKEY_PIN": kit.PIN}
    auth = kit.over([key], terminal.interaction(interactive=False, environ=env))
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    assert terminal.prompts == []
    assert kit.PIN not in terminal.text


def test_non_interactive_wrong_pin_is_not_retried(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    before = pin_retries(key)
    env = {"COGNITO_PASSKEY_PIN": "0000"}
    auth = kit.over([key], terminal.interaction(interactive=False, environ=env))
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.PinInvalidError, match="COGNITO_PASSKEY_PIN") as info:
        auth.create(options, rp_id=kit.RP_ID)
    assert info.value.retries == before - 1 == pin_retries(key)
    assert terminal.prompts == []


def test_non_interactive_with_a_pin_argument(kit: Any, rp: Any) -> None:
    from cognito_passkey.authenticator.interaction import TerminalInteraction

    key = kit.make_key(pin=kit.PIN, pin_only=True)
    auth = kit.over([key], TerminalInteraction(interactive=False, pin=kit.PIN, environ={}))
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))


# -- several keys ------------------------------------------------------------------------


def test_several_keys_the_touched_one_wins(kit: Any, terminal: Any, rp: Any) -> None:
    idle = [kit.Finger(touches=False), kit.Finger(touches=False)]
    touched = kit.Finger(delay=0.2)
    keys = [
        kit.make_key(finger=idle[0], name="Key A"),
        kit.make_key(finger=touched, name="Key B"),
        kit.make_key(finger=idle[1], name="Key C"),
    ]
    auth = kit.over(keys, terminal.interaction())
    options, state = rp.registration_options()
    response = auth.create(options, rp_id=kit.RP_ID)
    rp.register(state, response)
    assert [len(k.store.list_credentials()) for k in keys] == [0, 1, 0]
    assert all(f.cancelled.is_set() for f in idle)  # the others were cancelled, not abandoned
    assert terminal.text.count("Touch your security key") == 1
    assert "of 3" in terminal.text


def test_several_keys_one_without_the_credential(kit: Any, terminal: Any, rp: Any) -> None:
    holder = kit.make_key(finger=kit.Finger(delay=0.5), name="Key B")
    stranger = kit.make_key(name="Key A")
    registered(kit, rp, holder, terminal)
    auth = kit.over([stranger, holder], terminal.interaction())
    options, state = rp.request_options()
    assertion = auth.get(options, rp_id=kit.RP_ID)
    rp.authenticate(state, assertion)
    assert "Key A" in terminal.text and "Waiting for another key" in terminal.text


def test_several_keys_none_with_the_credential(kit: Any, terminal: Any, rp: Any) -> None:
    registered(kit, rp, kit.make_key(), terminal)
    auth = kit.over([kit.make_key(), kit.make_key()], terminal.interaction())
    options, _state = rp.request_options()
    with pytest.raises(errors.NoCredentialsError, match="None of the 2 security keys"):
        auth.get(options, rp_id=kit.RP_ID)


def test_several_keys_pin_prompts_name_the_key(kit: Any, terminal: Any, rp: Any) -> None:
    holder = kit.make_key(pin=kit.PIN, pin_only=True, name="Key B")
    registered(kit, rp, holder, terminal)
    no_pin = kit.make_key(pin_only=True, name="Key A")  # cannot verify: drops out
    terminal.answers = [kit.PIN]
    auth = kit.over([no_pin, holder], terminal.interaction())
    options, state = rp.request_options(user_verification="required")
    rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert terminal.prompts == [
        "Enter the PIN of your security key (Key B #2; Enter alone skips this key): "
    ]


def test_several_keys_with_pins_one_skipped(kit: Any, terminal: Any, rp: Any) -> None:
    finger = kit.Finger()
    holder = kit.make_key(pin=kit.PIN, pin_only=True, name="Key B", finger=finger)
    registered(kit, rp, holder, terminal)
    finger.delay = 0.5  # Key A's prompt surely comes before Key B is done
    other = kit.make_key(pin="other-pin", pin_only=True, name="Key A")
    seen: list[str] = []  # the order of the two prompts is the keys' race

    def read_pin(prompt: str) -> str:
        seen.append(prompt)
        return kit.PIN if "Key B" in prompt else ""

    terminal.read_pin = read_pin
    auth = kit.over([other, holder], terminal.interaction())
    options, state = rp.request_options(user_verification="required")
    rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert sorted(p.split("(")[1].split(";")[0] for p in seen) == ["Key A #1", "Key B #2"]


@pytest.mark.parametrize("ctap", ["2.1", "2.0"])
def test_environment_pin_goes_only_to_the_touched_key(
    kit: Any, terminal: Any, rp: Any, monkeypatch: pytest.MonkeyPatch, ctap: str
) -> None:
    """Two keys with different PINs and COGNITO_PASSKEY_PIN holding key A's: after many
    sign-ins touching A, key B has spent none of its 8 PIN retries (each run used to cost
    one, locking B for good after eight). The touch that picks the key is CTAP 2.1's
    authenticatorSelection, or on a CTAP 2.0 key a makeCredential touch probe.

    There is no USB hardware here: software CTAP devices (SoftCtapDevice) are the key
    list, fed to ClientAuthenticator's real threads as its USB keys.
    """
    from cognito_passkey.authenticator.soft.ctap_commands import CtapAuthenticator

    probes: list[str] = []
    if ctap == "2.0":
        info, probe = CtapAuthenticator.get_info, CtapAuthenticator._touch_probe

        def get_info_2_0(self: Any) -> Any:
            return {**info(self), 1: ["FIDO_2_0"]}

        def counted_probe(self: Any, *args: Any) -> None:
            probes.append(self.config.product_name)
            probe(self, *args)

        monkeypatch.setattr(CtapAuthenticator, "get_info", get_info_2_0)
        monkeypatch.setattr(CtapAuthenticator, "_touch_probe", counted_probe)
    mine = kit.make_key(pin=kit.PIN, pin_only=True, name="Key A")
    registered(kit, rp, mine, terminal)
    touched = kit.Finger(delay=0.05)
    never = kit.Finger(touches=False)
    mine.authenticator._user_presence = touched
    other = kit.make_key(pin="other-pin", pin_only=True, name="Key B", finger=never)
    env = {"COGNITO_PASSKEY_PIN": kit.PIN}
    auth = kit.over([other, mine], terminal.interaction(interactive=False, environ=env))
    runs = 9
    for _ in range(runs):
        options, state = rp.request_options(user_verification="required")
        rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert pin_retries(other) == 8  # B never saw a PIN
    assert pin_retries(mine) == 8
    assert touched.requests == ["selection", "getAssertion"] * runs
    assert set(never.requests) == {"selection"} and never.cancelled.is_set()
    assert probes.count("Key A") == (runs if ctap == "2.0" else 0)  # B's probes were cancelled
    assert kit.PIN not in terminal.text


def test_environment_pin_is_not_guessed_when_no_key_is_touched(
    kit: Any, terminal: Any, rp: Any
) -> None:
    """Nobody touches either key: the run times out and neither key received the PIN."""
    keys = [
        kit.make_key(pin=pin, pin_only=True, finger=kit.Finger(touches=False))
        for pin in (kit.PIN, "other-pin")
    ]
    env = {"COGNITO_PASSKEY_PIN": kit.PIN}
    auth = kit.over(keys, terminal.interaction(interactive=False, environ=env))
    options, _state = rp.request_options(user_verification="required", allow=False)
    options["publicKey"]["timeout"] = 300
    with pytest.raises(errors.AuthenticatorTimeoutError):
        auth.get(options, rp_id=kit.RP_ID)
    assert [pin_retries(k) for k in keys] == [8, 8]


# -- cancel and timeout ----------------------------------------------------------------------


def test_ctrl_c_while_waiting_for_touch(kit: Any, terminal: Any, rp: Any) -> None:
    def press_ctrl_c(_request: Any) -> None:
        # Pressed from inside the key's touch wait, so it always lands while the key waits
        # (a wall-clock timer could fire before or after, on a loaded machine).
        _thread.interrupt_main()

    finger = kit.Finger(touches=False, on_request=press_ctrl_c)
    key = kit.make_key(finger=finger)
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options()
    started = time.monotonic()
    with pytest.raises(errors.CancelledError, match="Ctrl-C") as info:
        auth.create(options, rp_id=kit.RP_ID)
    assert isinstance(info.value.__cause__, KeyboardInterrupt)
    assert finger.cancelled.is_set()  # the key saw the cancel before we returned
    assert time.monotonic() - started < 5
    assert key.store.list_credentials() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("passkey-")]


def test_ctrl_c_at_the_pin_prompt(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key(pin=kit.PIN, pin_only=True)
    terminal.answers = [KeyboardInterrupt()]
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options(user_verification="required")
    with pytest.raises(errors.CancelledError, match="Ctrl-C"):
        auth.create(options, rp_id=kit.RP_ID)
    assert not [t for t in threading.enumerate() if t.name.startswith("passkey-")]


def test_timeout_from_the_options(kit: Any, terminal: Any, rp: Any) -> None:
    fingers = [kit.Finger(touches=False), kit.Finger(touches=False)]
    keys = [kit.make_key(finger=f) for f in fingers]
    auth = kit.over(keys, terminal.interaction())
    options, _state = rp.registration_options()
    options["publicKey"]["timeout"] = 300
    started = time.monotonic()
    with pytest.raises(errors.AuthenticatorTimeoutError, match=r"0\.3 s"):
        auth.create(options, rp_id=kit.RP_ID)
    assert time.monotonic() - started < 5
    assert all(f.cancelled.is_set() for f in fingers)


def test_key_not_touched_reports_timeout(kit: Any, terminal: Any, rp: Any) -> None:
    """A key that gives up waiting (USER_ACTION_TIMEOUT) is a timeout, not a crash."""

    def never(_request: Any) -> bool:
        return False

    key = kit.make_key(finger=never)
    auth = kit.over([key], terminal.interaction())
    options, _state = rp.registration_options()
    with pytest.raises(errors.AuthenticatorTimeoutError, match="not touched in time"):
        auth.create(options, rp_id=kit.RP_ID)


@pytest.mark.parametrize("user_verification", ["preferred", None])
def test_preferred_uv_on_a_key_without_pin_goes_on_without(
    kit: Any, terminal: Any, rp: Any, user_verification: str | None
) -> None:
    """As a browser does: "preferred" on a key with no PIN set is no reason to fail."""
    key = kit.make_key(pin_only=True)
    auth = kit.over([key], terminal.interaction())
    options, state = rp.registration_options(user_verification=user_verification)
    created = auth.create(options, rp_id=kit.RP_ID)
    rp.register(state, created)
    options, state = rp.request_options(user_verification=user_verification)
    rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert terminal.prompts == []


def test_non_interactive_key_needing_a_pin_drops_out(kit: Any, terminal: Any, rp: Any) -> None:
    """Without a terminal or PIN, a PIN key cannot join, but a key with built-in UV can."""
    pin_key = kit.make_key(pin=kit.PIN, pin_only=True, name="Key A")
    uv_key = kit.make_key(finger=kit.Finger(delay=0.5), name="Key B")
    auth = kit.over([pin_key, uv_key], terminal.interaction(interactive=False))
    options, state = rp.registration_options(user_verification="required")
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    assert len(uv_key.store.list_credentials()) == 1
    assert "COGNITO_PASSKEY_PIN" in terminal.text  # said why Key A sat this one out

    alone = kit.over([pin_key, kit.make_key(name="Key C")], terminal.interaction(interactive=False))
    options, _state = rp.request_options(user_verification="required")
    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        alone.get(options, rp_id=kit.RP_ID)  # the PIN is the actionable part, not "no passkey"
