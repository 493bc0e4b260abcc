"""The CTAP2 authenticator: one method per command, status codes as a key answers them.

Requests arrive as CTAPHID.CBOR payloads (command byte + CBOR map) and leave
as a status byte followed by a canonical CBOR map. Behaviour follows CTAP 2.1
(section 6): the order of checks, when the person is asked to touch, and which
status each failure returns.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from threading import Event
from typing import Any, Final

from fido2 import cbor
from fido2.ctap import CtapError
from fido2.webauthn import AttestedCredentialData, AuthenticatorData

from .client_pin import Permission, PinUvAuth
from .config import AuthenticatorConfig, UserCheck, UserRequest
from .credential import MAX_USER_ID_LENGTH, StoredCredential
from .ctap_params import (
    ERR,
    decode_params,
    descriptor_ids,
    fail,
    optional,
    options_map,
    required,
)
from .keys import sign
from .pin_protocol import VERSIONS as PIN_PROTOCOL_VERSIONS
from .presence import KeepAlive, builtin_uv_available, collect_presence, perform_builtin_uv
from .store import CredentialStore

MAX_MSG_SIZE: Final = 2048
MAX_CREDENTIAL_ID_LENGTH: Final = 64
RESET_WINDOW_SECONDS: Final = 10.0
NEXT_ASSERTION_WINDOW_SECONDS: Final = 30.0
FIRMWARE_VERSION: Final = 1

FLAG = AuthenticatorData.FLAG
_FLAGS_AND_COUNT: Final = struct.Struct(">BI")


class Command(IntEnum):
    MAKE_CREDENTIAL = 0x01
    GET_ASSERTION = 0x02
    GET_INFO = 0x04
    CLIENT_PIN = 0x06
    RESET = 0x07
    GET_NEXT_ASSERTION = 0x08
    SELECTION = 0x0B


@dataclass
class _PendingAssertions:
    """What authenticatorGetNextAssertion continues with."""

    credential_ids: list[bytes]
    rp_id: str
    client_data_hash: bytes
    flags: FLAG
    user_verified: bool
    expires_at: float


class CtapAuthenticator:
    """The authenticator behind the transport: state machine plus credential store."""

    def __init__(
        self,
        store: CredentialStore,
        config: AuthenticatorConfig,
        user_presence: UserCheck,
        user_verification: UserCheck,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.config = config
        self._user_presence = user_presence
        self._user_verification = user_verification
        self._clock = clock
        self.pin = PinUvAuth(store, config, user_verification, clock)
        self._pending: _PendingAssertions | None = None
        self._powered_at = clock()
        # ((config, device state), encoded answer): platforms read GetInfo several times
        # per ceremony, and it changes only with those two.
        self._info_answer: tuple[tuple[AuthenticatorConfig, Any], bytes] | None = None

    def power_cycle(self) -> None:
        """Unplug and plug back in: volatile state is gone, the store stays."""
        self.pin.power_cycle()
        self._pending = None
        self._powered_at = self._clock()

    def process(self, request: bytes, event: Event, on_keepalive: KeepAlive | None = None) -> bytes:
        """One CTAPHID.CBOR exchange: status byte + optional CBOR response."""
        if not request:
            return bytes([ERR.INVALID_LENGTH])
        if len(request) > MAX_MSG_SIZE:
            return bytes([ERR.REQUEST_TOO_LARGE])
        command, payload = request[0], request[1:]
        pending, self._pending = self._pending, None
        try:
            with self.store.one_snapshot():  # one consistent read of the store per command
                if command == Command.GET_INFO and not payload:
                    return self._info_response()
                params = decode_params(payload)
                response = self._dispatch(command, params, pending, event, on_keepalive)
        except CtapError as e:
            return bytes([e.code])
        if response is None:
            return b"\x00"
        return b"\x00" + cbor.encode(response)

    def _dispatch(
        self,
        command: int,
        params: dict[int, Any],
        pending: _PendingAssertions | None,
        event: Event,
        on_keepalive: KeepAlive | None,
    ) -> dict[int, Any] | None:
        if command == Command.GET_INFO:
            return self.get_info()
        if command == Command.MAKE_CREDENTIAL:
            return self.make_credential(params, event, on_keepalive)
        if command == Command.GET_ASSERTION:
            return self.get_assertion(params, event, on_keepalive)
        if command == Command.GET_NEXT_ASSERTION:
            return self.get_next_assertion(pending)
        if command == Command.CLIENT_PIN:
            return self.pin.handle(params, event)
        if command == Command.SELECTION:
            self._presence("selection", None, event, on_keepalive)
            return None
        if command == Command.RESET:
            self.reset(event, on_keepalive)
            return None
        raise fail(ERR.INVALID_COMMAND)

    # authenticatorGetInfo ------------------------------------------------------

    def _info_response(self) -> bytes:
        key = (self.config, self.store.device_state())
        answer = self._info_answer
        if answer is None or answer[0] != key:
            answer = self._info_answer = (key, b"\x00" + cbor.encode(self.get_info()))
        return answer[1]

    def get_info(self) -> dict[int, Any]:
        """What the platform reads first; ``clientPin`` follows the store (PIN set or not),
        and so does ``uv``: with a PIN set, only a store that enables built-in UV offers it."""
        config = self.config
        state = self.store.device_state()
        options: dict[str, bool] = {"rk": config.resident_keys, "up": True, "plat": False}
        if builtin_uv_available(config, state):
            options["uv"] = True
        if config.client_pin:
            options["clientPin"] = state.pin is not None
        options["pinUvAuthToken"] = True
        options["makeCredUvNotRqd"] = config.make_cred_uv_not_required
        return {
            1: ["FIDO_2_0", "FIDO_2_1"],
            3: bytes(config.aaguid),
            4: options,
            5: MAX_MSG_SIZE,
            6: list(PIN_PROTOCOL_VERSIONS),
            7: config.max_creds_in_list,
            8: MAX_CREDENTIAL_ID_LENGTH,
            9: ["usb"],
            10: [{"type": "public-key", "alg": alg} for alg in config.algorithms],
            14: FIRMWARE_VERSION,
        }

    # authenticatorMakeCredential -----------------------------------------------

    def make_credential(
        self, params: Mapping[int, Any], event: Event, on_keepalive: KeepAlive | None
    ) -> dict[int, Any]:
        """Create a credential (stored before the reply) and attest it ("packed" self or "none")."""
        client_data_hash = required(params, 1, bytes)
        rp = required(params, 2, dict)
        user = required(params, 3, dict)
        key_params = required(params, 4, list)
        exclude_list = optional(params, 5, list)
        optional(params, 6, dict)  # extensions: none supported, unknown ones are ignored
        options = options_map(params, 7)
        pin_uv_auth_param = optional(params, 8, bytes)
        protocol_version = optional(params, 9, int)
        enterprise_attestation = optional(params, 10, int)

        rp_id = required(rp, "id", str)
        rp_name = optional(rp, "name", str)
        user_id = required(user, "id", bytes)
        user_name = optional(user, "name", str)
        user_display_name = optional(user, "displayName", str)
        exclude_ids = descriptor_ids(exclude_list or [])
        if len(client_data_hash) != 32 or not 1 <= len(user_id) <= MAX_USER_ID_LENGTH:
            raise fail(ERR.INVALID_PARAMETER)

        if pin_uv_auth_param == b"":
            self._touch_probe(rp_id, event, on_keepalive)
        if pin_uv_auth_param is not None:
            self.pin.protocol(protocol_version)
        algorithm = self._choose_algorithm(key_params)

        resident_key = options.get("rk", False)
        if resident_key and not self.config.resident_keys:
            raise fail(ERR.UNSUPPORTED_OPTION)
        if options.get("up") is False:
            raise fail(ERR.INVALID_OPTION)
        builtin_uv = options.get("uv", False) and pin_uv_auth_param is None
        if builtin_uv and not self._builtin_uv_available():
            raise fail(ERR.INVALID_OPTION)
        if enterprise_attestation is not None:
            raise fail(ERR.INVALID_PARAMETER)
        uv_optional = self.config.make_cred_uv_not_required and not resident_key
        if pin_uv_auth_param is None and not builtin_uv and not uv_optional and self._protected():
            raise fail(ERR.PUAT_REQUIRED)

        user_verified = self._verify_user(
            Permission.MAKE_CREDENTIAL,
            rp_id,
            client_data_hash,
            pin_uv_auth_param,
            protocol_version,
            builtin_uv=builtin_uv,
            event=event,
        )

        if exclude_ids:
            held = {c.credential_id for c in self.store.list_credentials(rp_id)}
            if any(credential_id in held for credential_id in exclude_ids):
                self._presence("makeCredential", rp_id, event, on_keepalive)
                raise fail(ERR.CREDENTIAL_EXCLUDED)

        self._presence("makeCredential", rp_id, event, on_keepalive)
        credential = StoredCredential.generate(
            rp_id=rp_id,
            rp_name=rp_name,
            user_id=user_id,
            user_name=user_name,
            user_display_name=user_display_name,
            algorithm=algorithm,
            discoverable=resident_key,
        )
        self.store.add_credential(credential)

        flags = FLAG.UP | FLAG.AT | self._backup_flags()
        if user_verified:
            flags |= FLAG.UV
        attested = AttestedCredentialData.create(
            self.config.aaguid, credential.credential_id, credential.public_key()
        )
        auth_data = AuthenticatorData.create(
            _rp_id_hash(rp_id), flags, credential.sign_count, attested
        )
        if self.config.attestation == "packed":
            signature = sign(credential.load_private_key(), auth_data + client_data_hash)
            return {1: "packed", 2: bytes(auth_data), 3: {"alg": algorithm, "sig": signature}}
        return {1: "none", 2: bytes(auth_data), 3: {}}

    def _verify_user(
        self,
        permission: Permission,
        rp_id: str,
        client_data_hash: bytes,
        pin_uv_auth_param: bytes | None,
        protocol_version: int | None,
        *,
        builtin_uv: bool,
        event: Event,
    ) -> bool:
        """Check the PIN/UV auth param, or run the built-in UV; whether the user is verified."""
        if pin_uv_auth_param is not None:
            self.pin.verify_param(
                protocol_version, pin_uv_auth_param, client_data_hash, permission, rp_id
            )
            return True
        if builtin_uv:
            perform_builtin_uv(self._user_verification, UserRequest("uv", rp_id, event), self.store)
            return True
        return False

    def _choose_algorithm(self, key_params: list[Any]) -> int:
        """The first of the RP's algorithms (in its order of preference) this key supports."""
        chosen = None
        for entry in key_params:
            if not isinstance(entry, dict):
                raise fail(ERR.CBOR_UNEXPECTED_TYPE)
            kind = required(entry, "type", str)
            alg = required(entry, "alg", int)
            if chosen is None and kind == "public-key" and alg in self.config.algorithms:
                chosen = alg
        if chosen is None:
            raise fail(ERR.UNSUPPORTED_ALGORITHM)
        return chosen

    # authenticatorGetAssertion ---------------------------------------------------

    def get_assertion(
        self, params: Mapping[int, Any], event: Event, on_keepalive: KeepAlive | None
    ) -> dict[int, Any]:
        """Sign with the first matching credential; more discoverable ones wait for GetNext."""
        rp_id = required(params, 1, str)
        client_data_hash = required(params, 2, bytes)
        allow_list = optional(params, 3, list)
        optional(params, 4, dict)  # extensions: none supported
        options = options_map(params, 5)
        pin_uv_auth_param = optional(params, 6, bytes)
        protocol_version = optional(params, 7, int)
        allow_ids = descriptor_ids(allow_list or [])
        if len(client_data_hash) != 32:
            raise fail(ERR.INVALID_PARAMETER)

        if pin_uv_auth_param == b"":
            self._touch_probe(rp_id, event, on_keepalive)
        if pin_uv_auth_param is not None:
            self.pin.protocol(protocol_version)
        if "rk" in options:
            raise fail(ERR.UNSUPPORTED_OPTION)
        user_presence = options.get("up", True)
        builtin_uv = options.get("uv", False) and pin_uv_auth_param is None
        if builtin_uv and not self._builtin_uv_available():
            raise fail(ERR.INVALID_OPTION)

        user_verified = self._verify_user(
            Permission.GET_ASSERTION,
            rp_id,
            client_data_hash,
            pin_uv_auth_param,
            protocol_version,
            builtin_uv=builtin_uv,
            event=event,
        )

        held = self.store.list_credentials(rp_id)
        if allow_ids:
            by_id = {c.credential_id: c for c in held}
            candidates = [by_id[i] for i in allow_ids if i in by_id][:1]
        else:
            candidates = sorted(
                (c for c in held if c.discoverable), key=lambda c: c.created_at, reverse=True
            )

        flags = self._backup_flags()
        if user_presence:
            # Asked even when nothing matches, so a page cannot probe silently.
            self._presence("getAssertion", rp_id, event, on_keepalive)
            flags |= FLAG.UP
        if user_verified:
            flags |= FLAG.UV
        if not candidates:
            raise fail(ERR.NO_CREDENTIALS)

        discovery = not allow_ids
        response = self._assertion(
            candidates[0], client_data_hash, flags, user_verified and discovery
        )
        if len(candidates) > 1:
            response[5] = len(candidates)
            self._pending = _PendingAssertions(
                credential_ids=[c.credential_id for c in candidates[1:]],
                rp_id=rp_id,
                client_data_hash=client_data_hash,
                flags=flags,
                user_verified=user_verified,
                expires_at=self._clock() + NEXT_ASSERTION_WINDOW_SECONDS,
            )
        return response

    def get_next_assertion(self, pending: _PendingAssertions | None) -> dict[int, Any]:
        """The next account of the preceding getAssertion (same flags, no new touch)."""
        if pending is None or not pending.credential_ids or self._clock() > pending.expires_at:
            raise fail(ERR.NOT_ALLOWED)
        credential_id = pending.credential_ids.pop(0)
        if pending.credential_ids:
            self._pending = pending
        credential = self.store.get_credential(credential_id)
        if credential is None:
            raise fail(ERR.NO_CREDENTIALS)
        return self._assertion(
            credential, pending.client_data_hash, pending.flags, pending.user_verified
        )

    def _assertion(
        self,
        credential: StoredCredential,
        client_data_hash: bytes,
        flags: FLAG,
        user_details: bool,
    ) -> dict[int, Any]:
        """Sign one assertion; the counter moves only when the user was present."""
        if flags & FLAG.UP:
            count = self.store.next_sign_count(credential.credential_id)
        else:
            current = self.store.get_credential(credential.credential_id)
            count = current.sign_count if current is not None else None
        if count is None:  # deleted meanwhile (another process)
            raise fail(ERR.NO_CREDENTIALS)
        # rpIdHash, flags, signCount (CTAP 2.1 6.1): no attested data or extensions here,
        # so the bytes are packed directly rather than built and parsed by AuthenticatorData.
        auth_data = _rp_id_hash(credential.rp_id) + _FLAGS_AND_COUNT.pack(flags, count)
        signature = sign(credential.load_private_key(), auth_data + client_data_hash)
        response: dict[int, Any] = {
            1: {"type": "public-key", "id": credential.credential_id},
            2: auth_data,
            3: signature,
        }
        if credential.discoverable:
            user: dict[str, Any] = {"id": credential.user_id}
            if user_details:
                if credential.user_name is not None:
                    user["name"] = credential.user_name
                if credential.user_display_name is not None:
                    user["displayName"] = credential.user_display_name
            response[4] = user
        return response

    # authenticatorReset ------------------------------------------------------------

    def reset(self, event: Event, on_keepalive: KeepAlive | None) -> None:
        """Erase every credential and the PIN: only just after power-up, and only with a touch."""
        if self._clock() - self._powered_at > RESET_WINDOW_SECONDS:
            raise fail(ERR.NOT_ALLOWED)
        self._presence("reset", None, event, on_keepalive)
        self.store.wipe()
        self.pin.power_cycle()

    # Helpers -------------------------------------------------------------------------

    def _presence(
        self, operation: str, rp_id: str | None, event: Event, on_keepalive: KeepAlive | None
    ) -> None:
        collect_presence(self._user_presence, UserRequest(operation, rp_id, event), on_keepalive)
        self.pin.user_was_present()

    def _touch_probe(self, rp_id: str, event: Event, on_keepalive: KeepAlive | None) -> None:
        """A zero-length pinUvAuthParam: the platform only wants a touch to pick this key."""
        self._presence("selection", rp_id, event, on_keepalive)
        if self.config.client_pin and self.store.device_state().pin is not None:
            raise fail(ERR.PIN_INVALID)
        raise fail(ERR.PIN_NOT_SET)

    def _builtin_uv_available(self) -> bool:
        return builtin_uv_available(self.config, self.store.device_state())

    def _protected(self) -> bool:
        """Whether some user verification is configured (CTAP: 'protected by UV')."""
        if self.config.builtin_uv:
            return True
        return self.config.client_pin and self.store.device_state().pin is not None

    def _backup_flags(self) -> FLAG:
        flags = FLAG(0)
        if self.config.backup_eligible:
            flags |= FLAG.BE
        if self.config.backed_up:
            flags |= FLAG.BS
        return flags


@functools.lru_cache(maxsize=64)
def _rp_id_hash(rp_id: str) -> bytes:
    """SHA-256 of the RP ID, kept for the few RP IDs a key serves."""
    return hashlib.sha256(rp_id.encode("utf-8")).digest()
