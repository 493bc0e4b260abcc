"""authenticatorClientPIN and the pinUvAuthToken it hands out (CTAP 2.1 section 6.5).

Volatile state (key agreement keys, the current token, consecutive wrong PINs)
lives here and is lost at a power cycle; the PIN itself and the retry counters
live in the store.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum, IntFlag
from threading import Event
from typing import Any, Final

from .config import AuthenticatorConfig, UserCheck, UserRequest
from .ctap_params import ERR, fail, optional, required
from .device_state import MAX_PIN_RETRIES, MAX_UV_RETRIES, DeviceState, PinState
from .pin_protocol import AuthenticatorPinProtocol, new_protocols
from .presence import builtin_uv_available, perform_builtin_uv
from .store import CredentialStore

MAX_CONSECUTIVE_PIN_FAILURES: Final = 3
MIN_PIN_LENGTH: Final = 4
MAX_PIN_BYTES: Final = 63
_PADDED_PIN_LENGTH: Final = 64


class SubCommand(IntEnum):
    GET_PIN_RETRIES = 0x01
    GET_KEY_AGREEMENT = 0x02
    SET_PIN = 0x03
    CHANGE_PIN = 0x04
    GET_PIN_TOKEN = 0x05
    GET_TOKEN_USING_UV = 0x06
    GET_UV_RETRIES = 0x07
    GET_TOKEN_USING_PIN = 0x09


class Permission(IntFlag):
    MAKE_CREDENTIAL = 0x01
    GET_ASSERTION = 0x02


SUPPORTED_PERMISSIONS: Final = int(Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION)


@dataclass
class _Token:
    value: bytes = field(repr=False)  # the pinUvAuthToken
    protocol: int
    permissions: int
    rp_id: str | None
    expires_at: float


class PinUvAuth:
    """clientPIN sub-commands, and checking pinUvAuthParam for makeCredential/getAssertion."""

    def __init__(
        self,
        store: CredentialStore,
        config: AuthenticatorConfig,
        user_verification: UserCheck,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._config = config
        self._user_verification = user_verification
        self._clock = clock
        self._protocols = new_protocols()
        self._token: _Token | None = None
        self._consecutive_failures = 0

    def power_cycle(self) -> None:
        """Forget everything volatile, as unplugging the key does."""
        for protocol in self._protocols.values():
            protocol.regenerate()
        self._token = None
        self._consecutive_failures = 0

    def protocol(self, version: int | None) -> AuthenticatorPinProtocol:
        if version is None:
            raise fail(ERR.MISSING_PARAMETER)
        protocol = self._protocols.get(version)
        if protocol is None:
            raise fail(ERR.INVALID_PARAMETER)
        return protocol

    # makeCredential / getAssertion --------------------------------------------

    def verify_param(
        self,
        version: int | None,
        pin_uv_auth_param: bytes,
        client_data_hash: bytes,
        permission: Permission,
        rp_id: str,
    ) -> None:
        """Check a pinUvAuthParam against the current token, its permissions and RP ID."""
        protocol = self.protocol(version)
        token = self._token
        if (
            token is None
            or token.protocol != protocol.version
            or self._clock() > token.expires_at
            or not protocol.verify(token.value, client_data_hash, pin_uv_auth_param)
            or not token.permissions & permission
            or (token.rp_id is not None and token.rp_id != rp_id)
        ):
            raise fail(ERR.PIN_AUTH_INVALID)
        if token.rp_id is None:
            token.rp_id = rp_id

    def user_was_present(self) -> None:
        """After a touch the token's permissions are spent (CTAP 2.1: clear all but lbw)."""
        if self._token is not None:
            self._token.permissions = 0

    # clientPIN ---------------------------------------------------------------

    def handle(self, params: Mapping[int, Any], event: Event) -> dict[int, Any] | None:
        """Run one clientPIN sub-command; returns the response map (None: empty reply)."""
        version = optional(params, 1, int)
        sub_command = required(params, 2, int)
        if sub_command == SubCommand.GET_PIN_RETRIES:
            return self._get_pin_retries()
        if sub_command == SubCommand.GET_UV_RETRIES:
            return self._get_uv_retries()
        protocol = self.protocol(version)
        if sub_command == SubCommand.GET_KEY_AGREEMENT:
            return {1: protocol.key_agreement()}
        if sub_command == SubCommand.SET_PIN:
            return self._set_pin(protocol, params)
        if sub_command == SubCommand.CHANGE_PIN:
            return self._change_pin(protocol, params)
        if sub_command == SubCommand.GET_PIN_TOKEN:
            if 9 in params or 10 in params:
                raise fail(ERR.INVALID_PARAMETER)
            return self._token_using_pin(protocol, params, SUPPORTED_PERMISSIONS, None)
        if sub_command == SubCommand.GET_TOKEN_USING_PIN:
            permissions, rp_id = _permissions(params)
            return self._token_using_pin(protocol, params, permissions, rp_id)
        if sub_command == SubCommand.GET_TOKEN_USING_UV:
            return self._token_using_uv(protocol, params, event)
        raise fail(ERR.INVALID_SUBCOMMAND)

    def _require_pin_support(self) -> None:
        if not self._config.client_pin:
            raise fail(ERR.INVALID_SUBCOMMAND)

    def _get_pin_retries(self) -> dict[int, Any]:
        self._require_pin_support()
        retries = self._store.device_state().pin_retries
        blocked = self._consecutive_failures >= MAX_CONSECUTIVE_PIN_FAILURES
        return {3: retries, 4: blocked}

    def _get_uv_retries(self) -> dict[int, Any]:
        if not self._config.builtin_uv:
            raise fail(ERR.INVALID_SUBCOMMAND)
        return {5: self._store.device_state().uv_retries}

    def _new_pin_params(self, params: Mapping[int, Any]) -> tuple[dict[Any, Any], bytes, bytes]:
        """setPIN's and changePIN's shared parameters: keyAgreement, pinUvAuthParam, newPinEnc."""
        self._require_pin_support()
        return required(params, 3, dict), required(params, 4, bytes), required(params, 5, bytes)

    def _set_pin(
        self, protocol: AuthenticatorPinProtocol, params: Mapping[int, Any]
    ) -> dict[int, Any] | None:
        key_agreement, pin_uv_auth_param, new_pin_enc = self._new_pin_params(params)
        if self._store.device_state().pin is not None:
            raise fail(ERR.NOT_ALLOWED)
        shared = _decapsulate(protocol, key_agreement)
        if not protocol.verify(shared, new_pin_enc, pin_uv_auth_param):
            raise fail(ERR.PIN_AUTH_INVALID)
        new_pin_hash = _decrypt_new_pin(protocol, shared, new_pin_enc)

        def set_pin(state: DeviceState) -> DeviceState:
            if state.pin is not None:  # another process was quicker
                raise fail(ERR.NOT_ALLOWED)
            return replace(state, pin=PinState.create(new_pin_hash), pin_retries=MAX_PIN_RETRIES)

        self._store.update_device_state(set_pin)
        return None

    def _change_pin(
        self, protocol: AuthenticatorPinProtocol, params: Mapping[int, Any]
    ) -> dict[int, Any] | None:
        key_agreement, pin_uv_auth_param, new_pin_enc = self._new_pin_params(params)
        pin_hash_enc = required(params, 6, bytes)
        self._check_pin_usable()
        shared = _decapsulate(protocol, key_agreement)
        if not protocol.verify(shared, new_pin_enc + pin_hash_enc, pin_uv_auth_param):
            raise fail(ERR.PIN_AUTH_INVALID)
        self._check_pin(protocol, shared, pin_hash_enc)
        new_pin_hash = _decrypt_new_pin(protocol, shared, new_pin_enc)
        self._store.update_device_state(
            lambda s: replace(s, pin=PinState.create(new_pin_hash), pin_retries=MAX_PIN_RETRIES)
        )
        self._token = None
        return None

    def _token_using_pin(
        self,
        protocol: AuthenticatorPinProtocol,
        params: Mapping[int, Any],
        permissions: int,
        rp_id: str | None,
    ) -> dict[int, Any]:
        self._require_pin_support()
        key_agreement = required(params, 3, dict)
        pin_hash_enc = required(params, 6, bytes)
        self._check_pin_usable()
        shared = _decapsulate(protocol, key_agreement)
        self._check_pin(protocol, shared, pin_hash_enc)
        token = self._issue_token(protocol, permissions, rp_id)
        return {2: protocol.encrypt(shared, token)}

    def _token_using_uv(
        self, protocol: AuthenticatorPinProtocol, params: Mapping[int, Any], event: Event
    ) -> dict[int, Any]:
        if not self._config.builtin_uv:
            raise fail(ERR.INVALID_SUBCOMMAND)
        if not builtin_uv_available(self._config, self._store.device_state()):
            raise fail(ERR.NOT_ALLOWED)  # a PIN is set, and the store keeps UV to the PIN
        key_agreement = required(params, 3, dict)
        permissions, rp_id = _permissions(params)
        shared = _decapsulate(protocol, key_agreement)
        request = UserRequest("uv", rp_id, event)
        perform_builtin_uv(self._user_verification, request, self._store)
        token = self._issue_token(protocol, permissions, rp_id)
        return {2: protocol.encrypt(shared, token)}

    def _check_pin_usable(self) -> None:
        state = self._store.device_state()
        if state.pin is None:
            raise fail(ERR.PIN_NOT_SET)
        if state.pin_retries == 0:
            raise fail(ERR.PIN_BLOCKED)
        if self._consecutive_failures >= MAX_CONSECUTIVE_PIN_FAILURES:
            raise fail(ERR.PIN_AUTH_BLOCKED)

    def _check_pin(
        self, protocol: AuthenticatorPinProtocol, shared: bytes, pin_hash_enc: bytes
    ) -> None:
        """Spend one retry, compare the PIN hash, and restore the retries when it matches."""
        expected_length = 16 if protocol.version == 1 else 32
        if len(pin_hash_enc) != expected_length:
            raise fail(ERR.INVALID_PARAMETER)
        state = self._store.update_device_state(
            lambda s: replace(s, pin_retries=max(s.pin_retries - 1, 0))
        )
        pin_hash = protocol.decrypt(shared, pin_hash_enc)
        if state.pin is None or not state.pin.matches(pin_hash):
            for each in self._protocols.values():
                each.regenerate()
            self._consecutive_failures += 1
            if state.pin_retries == 0:
                raise fail(ERR.PIN_BLOCKED)
            if self._consecutive_failures >= MAX_CONSECUTIVE_PIN_FAILURES:
                raise fail(ERR.PIN_AUTH_BLOCKED)
            raise fail(ERR.PIN_INVALID)
        self._consecutive_failures = 0
        self._store.update_device_state(
            lambda s: replace(s, pin_retries=MAX_PIN_RETRIES, uv_retries=MAX_UV_RETRIES)
        )

    def _issue_token(
        self, protocol: AuthenticatorPinProtocol, permissions: int, rp_id: str | None
    ) -> bytes:
        """A fresh token; the previous one stops working."""
        value = os.urandom(32)
        self._token = _Token(
            value=value,
            protocol=protocol.version,
            permissions=permissions,
            rp_id=rp_id,
            expires_at=self._clock() + self._config.token_lifetime,
        )
        return value


def _permissions(params: Mapping[int, Any]) -> tuple[int, str | None]:
    permissions = required(params, 9, int)
    rp_id = optional(params, 10, str)
    if permissions == 0:
        raise fail(ERR.INVALID_PARAMETER)
    if permissions & ~SUPPORTED_PERMISSIONS:
        raise fail(ERR.UNAUTHORIZED_PERMISSION)
    return permissions, rp_id


def _decapsulate(protocol: AuthenticatorPinProtocol, key_agreement: Mapping[Any, Any]) -> bytes:
    try:
        return protocol.decapsulate(key_agreement)
    except ValueError:
        raise fail(ERR.INVALID_PARAMETER) from None


def _decrypt_new_pin(
    protocol: AuthenticatorPinProtocol, shared: bytes, new_pin_enc: bytes
) -> bytes:
    """LEFT(SHA-256(new PIN), 16), after the PIN policy checks."""
    expected_length = _PADDED_PIN_LENGTH + (16 if protocol.version == 2 else 0)
    if len(new_pin_enc) != expected_length:
        raise fail(ERR.INVALID_PARAMETER)
    pin = protocol.decrypt(shared, new_pin_enc).rstrip(b"\0")
    if len(pin) > MAX_PIN_BYTES:
        raise fail(ERR.PIN_POLICY_VIOLATION)
    try:
        text = pin.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(ERR.PIN_POLICY_VIOLATION) from None
    if len(text) < MIN_PIN_LENGTH:
        raise fail(ERR.PIN_POLICY_VIOLATION)
    return hashlib.sha256(pin).digest()[:16]
