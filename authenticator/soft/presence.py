"""Asking the simulated person for a touch (user presence) or built-in verification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fido2.ctap import STATUS

from .config import AuthenticatorConfig, UserCheck, UserRequest
from .ctap_params import ERR, fail
from .device_state import MAX_UV_RETRIES, DeviceState
from .store import CredentialStore

KeepAlive = Callable[[STATUS], None]


def collect_presence(
    check: UserCheck, request: UserRequest, on_keepalive: KeepAlive | None
) -> None:
    """Wait for a touch as a key does: keep-alive UPNEEDED first, then the answer.

    Cancelled (``request.event`` set) -> KEEPALIVE_CANCEL; no touch ->
    USER_ACTION_TIMEOUT.
    """
    if request.event.is_set():
        raise fail(ERR.KEEPALIVE_CANCEL)
    if on_keepalive is not None:
        on_keepalive(STATUS.UPNEEDED)
    touched = check(request)
    if request.event.is_set():
        raise fail(ERR.KEEPALIVE_CANCEL)
    if not touched:
        raise fail(ERR.USER_ACTION_TIMEOUT)


def builtin_uv_available(config: AuthenticatorConfig, state: DeviceState) -> bool:
    """Whether the built-in verification may verify the user now.

    It approves without asking anything, so once a PIN is set it counts only when
    the store enables it explicitly (``DeviceState.builtin_uv``): otherwise a PIN
    set to protect the store would be decorative.
    """
    return config.builtin_uv and (state.pin is None or state.builtin_uv)


def perform_builtin_uv(check: UserCheck, request: UserRequest, store: CredentialStore) -> None:
    """Run the built-in verification method, counting failures like a fingerprint reader.

    Each failure costs one UV retry: UV_INVALID, then UV_BLOCKED at zero.
    Success restores the retries.
    """
    if store.device_state().uv_retries == 0:
        raise fail(ERR.UV_BLOCKED)
    if request.event.is_set():
        raise fail(ERR.KEEPALIVE_CANCEL)
    verified = check(request)
    if request.event.is_set():
        raise fail(ERR.KEEPALIVE_CANCEL)
    if verified:
        if store.device_state().uv_retries != MAX_UV_RETRIES:
            store.update_device_state(lambda s: replace(s, uv_retries=MAX_UV_RETRIES))
        return
    state = store.update_device_state(lambda s: replace(s, uv_retries=max(s.uv_retries - 1, 0)))
    raise fail(ERR.UV_BLOCKED if state.uv_retries == 0 else ERR.UV_INVALID)
