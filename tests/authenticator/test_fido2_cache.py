"""What stays fixed for a device's lifetime is worked out once, and python-fido2 still
drives the software key over CTAP exactly as it drives a USB key."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import fido2.ctap2.base
import fido2.utils
import pytest
from cognito_passkey.authenticator import SoftAuthenticator, errors
from cognito_passkey.authenticator.fido2_authenticator import ClientAuthenticator
from cognito_passkey.authenticator.fido2_cache import memoize_fido2_type_hints
from cognito_passkey.authenticator.interaction import TerminalInteraction
from cognito_passkey.authenticator.soft import FileCredentialStore, SoftCtapDevice
from fido2.ctap import CtapDevice
from fido2.ctap2.base import Info
from fido2.hid import CTAPHID

GET_INFO, GET_ASSERTION = 0x04, 0x02


class CountingDevice(CtapDevice):
    """A real soft key behind a wrapper that counts the CTAP2 commands it is sent."""

    def __init__(self, inner: SoftCtapDevice) -> None:
        self.inner = inner
        self.commands: Counter[int] = Counter()

    @property
    def capabilities(self) -> int:
        return self.inner.capabilities

    def call(
        self, cmd: int, data: bytes = b"", event: Any = None, on_keepalive: Any = None
    ) -> bytes:
        if cmd == CTAPHID.CBOR and data:
            self.commands[data[0]] += 1
        return self.inner.call(cmd, data, event, on_keepalive)

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        return iter(())


@pytest.fixture
def info_parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often python-fido2 parses an authenticatorGetInfo answer (a spy, not a stub)."""
    parses: Counter[str] = Counter()
    original = Info.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Info], data: Any) -> Any:
        parses["info"] += 1
        return original(cls, data)

    monkeypatch.setattr(Info, "from_dict", classmethod(counting))
    return parses


def _over(device: CtapDevice) -> ClientAuthenticator:
    """The client path a USB key takes, over one device kept for the authenticator's life."""
    return ClientAuthenticator(
        interaction=TerminalInteraction(interactive=False, announce_touch=False, environ={}),
        device_source=lambda: [device],
    )


def _registered(kit: Any, rp: Any, auth: Any) -> None:
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))


def _sign_in(kit: Any, rp: Any, auth: Any, **options: Any) -> None:
    request, state = rp.request_options(**options)
    rp.authenticate(state, auth.get(request, rp_id=kit.RP_ID))


def test_device_info_is_parsed_once_for_the_device_lifetime(
    kit: Any, rp: Any, info_parses: Counter[str]
) -> None:
    device = CountingDevice(kit.make_key())
    auth = _over(device)
    _registered(kit, rp, auth)
    _sign_in(kit, rp, auth)
    before = info_parses["info"]
    for _ in range(3):
        _sign_in(kit, rp, auth)
    assert info_parses["info"] == before  # a client per ceremony parsed it 3 times each


def test_the_device_sees_the_traffic_of_a_client_per_ceremony(kit: Any, rp: Any) -> None:
    """GetInfo is still sent each time python-fido2 wants fresh info, and the assertion goes
    over CTAP2 authenticatorGetAssertion (pre-flight and the real one)."""
    device = CountingDevice(kit.make_key())
    auth = _over(device)
    _registered(kit, rp, auth)
    _sign_in(kit, rp, auth)
    device.commands.clear()
    _sign_in(kit, rp, auth)
    assert device.commands[GET_INFO] == 3
    assert device.commands[GET_ASSERTION] == 2


def test_a_changed_device_is_seen_by_the_next_ceremony(kit: Any, rp: Any) -> None:
    key = kit.make_key(pin_only=True)
    auth = _over(CountingDevice(key))
    _registered(kit, rp, auth)
    _sign_in(kit, rp, auth)  # no PIN yet: no verification asked for
    key.set_pin("4321")  # the info now says clientPin: true
    with pytest.raises(errors.PinRequiredError):
        _sign_in(kit, rp, auth, user_verification="required")


def test_type_hints_of_fido2_classes_are_computed_once() -> None:
    assert memoize_fido2_type_hints()
    assert memoize_fido2_type_hints()  # idempotent
    hints: Callable[[type], Any] = fido2.utils.get_type_hints  # type: ignore[attr-defined]
    assert hints(Info) is hints(Info)


def test_dataclass_fields_of_fido2_classes_are_computed_once() -> None:
    memoize_fido2_type_hints()
    for module in (fido2.utils, fido2.ctap2.base):
        fields: Callable[[Any], Any] = module.fields
        assert fields(Info) is fields(Info)
        assert fields(Info) == dataclasses.fields(Info)
        info = Info.from_dict({1: ["FIDO_2_0"], 3: bytes(16)})
        assert fields(info) is fields(Info)  # an instance has its class's fields


def test_the_soft_ceremony_runs_on_the_callers_thread(kit: Any, rp: Any) -> None:
    threads: list[threading.Thread] = []

    def presence(_request: Any) -> bool:
        threads.append(threading.current_thread())
        return True

    auth = SoftAuthenticator(device_options={"user_presence": presence})
    _registered(kit, rp, auth)
    _sign_in(kit, rp, auth)
    assert threads and set(threads) == {threading.current_thread()}


def test_ctrl_c_in_an_inline_ceremony_cancels_it(kit: Any, rp: Any) -> None:
    calls: list[int] = []

    def presence(_request: Any) -> bool:
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return True

    auth = SoftAuthenticator(device_options={"user_presence": presence})
    _registered(kit, rp, auth)
    with pytest.raises(errors.CancelledError) as info:
        _sign_in(kit, rp, auth)
    assert isinstance(info.value.__cause__, KeyboardInterrupt)


def test_a_file_store_assertion_writes_once(
    kit: Any, rp: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileCredentialStore(tmp_path / "store.json")
    auth = SoftAuthenticator(store)
    _registered(kit, rp, auth)
    _sign_in(kit, rp, auth)
    done: Counter[str] = Counter()
    for name in ("_save", "_load"):
        original = getattr(FileCredentialStore, name)

        def counting(self: Any, *args: Any, _original: Any = original, _name: str = name) -> Any:
            done[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(FileCredentialStore, name, counting)
    original_call = SoftCtapDevice.call

    def counting_call(self: Any, cmd: int, *args: Any, **kwargs: Any) -> bytes:
        done["commands"] += cmd == CTAPHID.CBOR
        return original_call(self, cmd, *args, **kwargs)

    monkeypatch.setattr(SoftCtapDevice, "call", counting_call)
    before = store.list_credentials()[0].sign_count
    _sign_in(kit, rp, auth)
    assert done["_save"] == 1  # the signature counter, atomically
    # At most one read per CTAP command (a command asks the store several things), plus the
    # write's own read under the lock.
    assert done["_load"] <= done["commands"] + done["_save"]
    assert store.list_credentials()[0].sign_count == before + 1


def test_fido2_client_still_drives_the_soft_key(
    kit: Any, rp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each soft ceremony goes through python-fido2's Fido2Client, as a USB key's does."""
    from fido2.client import Fido2Client

    calls: Counter[str] = Counter()
    original = Fido2Client.get_assertion

    def counting(self: Fido2Client, *args: Any, **kwargs: Any) -> Any:
        calls["get_assertion"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Fido2Client, "get_assertion", counting)
    auth = SoftAuthenticator()
    _registered(kit, rp, auth)
    for _ in range(3):
        _sign_in(kit, rp, auth)
    assert calls["get_assertion"] == 3
