"""authenticatorClientPIN over both PIN/UV auth protocols, driven by fido2.ctap2.ClientPin."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator.soft import (
    AuthenticatorConfig,
    FileCredentialStore,
    SoftCtapDevice,
    UserRequest,
)
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocol, PinProtocolV1, PinProtocolV2
from fido2.webauthn import AuthenticatorData

ERR = CtapError.ERR
FLAG = AuthenticatorData.FLAG
PERM = ClientPin.PERMISSION
RP = {"id": "example.com", "name": "Example"}
USER = {"id": b"user-1", "name": "alice"}
PARAMS = [{"type": "public-key", "alg": -7}]
CDH = hashlib.sha256(b"client data").digest()
PIN = "1234"


@pytest.fixture(params=[PinProtocolV2, PinProtocolV1], ids=["protocol2", "protocol1"])
def protocol(request: pytest.FixtureRequest) -> PinProtocol:
    return request.param()  # type: ignore[no-any-return]


@pytest.fixture
def pin_key(make_device: Callable[..., SoftCtapDevice]) -> SoftCtapDevice:
    """A PIN-only key with PIN 1234."""
    return make_device(AuthenticatorConfig.pin_only(), pin=PIN)


def client_pin(device: SoftCtapDevice, protocol: PinProtocol) -> ClientPin:
    return ClientPin(Ctap2(device), protocol)


def code_of(call: Callable[[], Any]) -> int:
    with pytest.raises(CtapError) as caught:
        call()
    return caught.value.code


def make_with_token(
    ctap: Ctap2, protocol: PinProtocol, token: bytes, *, rp: dict[str, Any] = RP, rk: bool = True
) -> Any:
    return ctap.make_credential(
        CDH,
        rp,
        USER,
        PARAMS,
        options={"rk": True} if rk else None,
        pin_uv_param=protocol.authenticate(token, CDH),
        pin_uv_protocol=protocol.VERSION,
    )


def test_set_pin_then_token_verifies_the_user(
    make_device: Callable[..., SoftCtapDevice], protocol: PinProtocol
) -> None:
    device = make_device(AuthenticatorConfig.pin_only())
    pin = client_pin(device, protocol)
    assert Ctap2(device).info.options["clientPin"] is False
    assert code_of(lambda: pin.get_pin_token(PIN)) == ERR.PIN_NOT_SET
    pin.set_pin(PIN)
    ctap = Ctap2(device)
    assert ctap.info.options["clientPin"] is True
    assert pin.get_pin_retries() == (8, False)

    token = pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    assert len(token) == 32
    response = make_with_token(ctap, protocol, token)
    assert response.auth_data.flags & (FLAG.UV | FLAG.UP) == FLAG.UV | FLAG.UP

    assert code_of(lambda: pin.set_pin("5678")) == ERR.NOT_ALLOWED


def test_legacy_get_pin_token(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    token = client_pin(pin_key, protocol).get_pin_token(PIN)  # no permissions: subcommand 0x05
    ctap = Ctap2(pin_key)
    # The token is accepted for getAssertion (the error is about credentials, not the token)...
    status = code_of(
        lambda: ctap.get_assertion(
            "example.com",
            CDH,
            options={"up": False},
            pin_uv_param=protocol.authenticate(token, CDH),
            pin_uv_protocol=protocol.VERSION,
        )
    )
    assert status == ERR.NO_CREDENTIALS
    # ...and for makeCredential.
    assert make_with_token(ctap, protocol, token).auth_data.flags & FLAG.UV


def test_wrong_pins_count_down_and_block(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    pin = client_pin(pin_key, protocol)
    statuses = []
    retries = []
    for _ in range(3):
        statuses.append(code_of(lambda: pin.get_pin_token("0000")))
        retries.append(pin.get_pin_retries()[0])
    assert statuses == [ERR.PIN_INVALID, ERR.PIN_INVALID, ERR.PIN_AUTH_BLOCKED]
    assert retries == [7, 6, 5]
    assert pin.get_pin_retries() == (5, True)  # power cycle needed
    # Blocked for this power cycle even with the right PIN, and no retry is spent.
    assert code_of(lambda: pin.get_pin_token(PIN)) == ERR.PIN_AUTH_BLOCKED
    assert pin.get_pin_retries()[0] == 5

    pin_key.power_cycle()
    pin = client_pin(pin_key, protocol)
    pin.get_pin_token(PIN)
    assert pin.get_pin_retries() == (8, False)  # a right PIN restores the retries


def test_pin_blocked_at_zero_retries_survives_restart(
    tmp_path: Path, protocol: PinProtocol, finger: Any
) -> None:
    path = tmp_path / "key.json"
    device = SoftCtapDevice(
        FileCredentialStore(path), config=AuthenticatorConfig.pin_only(), user_presence=finger
    )
    ClientPin(Ctap2(device)).set_pin(PIN)
    statuses = []
    for attempt in range(8):
        if attempt and attempt % 3 == 0:
            device.power_cycle()
        statuses.append(code_of(lambda: client_pin(device, protocol).get_pin_token("0000")))
    assert statuses[-1] == ERR.PIN_BLOCKED
    assert set(statuses[:-1]) <= {ERR.PIN_INVALID, ERR.PIN_AUTH_BLOCKED}
    assert client_pin(device, protocol).get_pin_retries()[0] == 0

    restarted = SoftCtapDevice(FileCredentialStore(path), config=AuthenticatorConfig.pin_only())
    pin = client_pin(restarted, protocol)
    assert pin.get_pin_retries()[0] == 0
    assert code_of(lambda: pin.get_pin_token(PIN)) == ERR.PIN_BLOCKED
    assert code_of(lambda: pin.change_pin(PIN, "9999")) == ERR.PIN_BLOCKED


def test_change_pin(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    pin = client_pin(pin_key, protocol)
    assert code_of(lambda: pin.change_pin("0000", "5678")) == ERR.PIN_INVALID
    assert pin.get_pin_retries()[0] == 7
    pin.change_pin(PIN, "5678")
    assert pin.get_pin_retries()[0] == 8
    assert code_of(lambda: pin.get_pin_token(PIN)) == ERR.PIN_INVALID
    pin.get_pin_token("5678")


def test_pin_policy(make_device: Callable[..., SoftCtapDevice], protocol: PinProtocol) -> None:
    device = make_device(AuthenticatorConfig.pin_only())
    ctap = Ctap2(device)
    pin = client_pin(device, protocol)

    def set_raw(pin_bytes: bytes) -> None:
        key_agreement, shared = pin._get_shared_secret()
        padded = pin_bytes.ljust(64, b"\0")
        enc = protocol.encrypt(shared, padded)
        ctap.client_pin(
            protocol.VERSION,
            ClientPin.CMD.SET_PIN,
            key_agreement=key_agreement,
            new_pin_enc=enc,
            pin_uv_param=protocol.authenticate(shared, enc),
        )

    assert code_of(lambda: set_raw(b"123")) == ERR.PIN_POLICY_VIOLATION
    assert code_of(lambda: set_raw("äöü".encode())) == ERR.PIN_POLICY_VIOLATION  # 3 code points
    assert code_of(lambda: set_raw(b"\xff\xfe\xfd\xfc")) == ERR.PIN_POLICY_VIOLATION  # not UTF-8
    assert code_of(lambda: set_raw(b"x" * 64)) == ERR.PIN_POLICY_VIOLATION  # > 63 bytes
    set_raw("äöüß".encode())
    assert pin.get_pin_retries()[0] == 8
    pin.get_pin_token("äöüß")


def test_set_pin_with_bad_auth_is_refused(
    make_device: Callable[..., SoftCtapDevice], protocol: PinProtocol
) -> None:
    device = make_device(AuthenticatorConfig.pin_only())
    ctap = Ctap2(device)
    pin = client_pin(device, protocol)
    key_agreement, shared = pin._get_shared_secret()
    enc = protocol.encrypt(shared, b"1234".ljust(64, b"\0"))

    def set_pin(key: dict[int, Any], auth: bytes) -> int:
        return code_of(
            lambda: ctap.client_pin(
                protocol.VERSION,
                ClientPin.CMD.SET_PIN,
                key_agreement=key,
                new_pin_enc=enc,
                pin_uv_param=auth,
            )
        )

    bad_auth = bytes(len(protocol.authenticate(shared, enc)))
    assert set_pin(key_agreement, bad_auth) == ERR.PIN_AUTH_INVALID
    bad_key = dict(key_agreement)
    bad_key[-2] = b"\x01" * 32  # not a point on P-256
    assert set_pin(bad_key, protocol.authenticate(shared, enc)) == ERR.INVALID_PARAMETER
    assert ctap.get_info().options["clientPin"] is False


def test_token_permissions_and_rp_binding(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    ctap = Ctap2(pin_key)
    pin = client_pin(pin_key, protocol)

    ga_only = pin.get_pin_token(PIN, PERM.GET_ASSERTION, "example.com")
    assert code_of(lambda: make_with_token(ctap, protocol, ga_only)) == ERR.PIN_AUTH_INVALID

    bound = pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    other = {"id": "other.example"}
    assert code_of(lambda: make_with_token(ctap, protocol, bound, rp=other)) == ERR.PIN_AUTH_INVALID
    make_with_token(ctap, protocol, bound)
    # A touch spends the token's permissions.
    assert code_of(lambda: make_with_token(ctap, protocol, bound)) == ERR.PIN_AUTH_INVALID

    unbound = pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL)
    make_with_token(ctap, protocol, unbound, rp=other)  # binds to the first RP used

    old = pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    assert code_of(lambda: make_with_token(ctap, protocol, old)) == ERR.PIN_AUTH_INVALID

    assert code_of(lambda: pin.get_pin_token(PIN, ClientPin.PERMISSION(0))) == ERR.INVALID_PARAMETER
    assert code_of(lambda: pin.get_pin_token(PIN, PERM.CREDENTIAL_MGMT)) == (
        ERR.UNAUTHORIZED_PERMISSION
    )


def test_token_is_tied_to_its_protocol_and_lifetime(
    make_device: Callable[..., SoftCtapDevice],
) -> None:
    now = [0.0]
    device = make_device(AuthenticatorConfig.pin_only(), pin=PIN, clock=lambda: now[0])
    ctap = Ctap2(device)
    v2, v1 = PinProtocolV2(), PinProtocolV1()
    token = client_pin(device, v2).get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    assert code_of(lambda: make_with_token(ctap, v1, token)) == ERR.PIN_AUTH_INVALID
    now[0] += 31
    assert code_of(lambda: make_with_token(ctap, v2, token)) == ERR.PIN_AUTH_INVALID
    fresh = client_pin(device, v2).get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    make_with_token(ctap, v2, fresh)


def test_token_filters_silently_then_signs(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    """The platform's pre-flight: up=false with the token, then the real request with it."""
    ctap = Ctap2(pin_key)
    pin = client_pin(pin_key, protocol)
    token = pin.get_pin_token(PIN, PERM.MAKE_CREDENTIAL, "example.com")
    credential = make_with_token(ctap, protocol, token, rk=False).auth_data.credential_data
    token = pin.get_pin_token(PIN, PERM.GET_ASSERTION, "example.com")
    allow = [{"type": "public-key", "id": credential.credential_id}]
    zero = bytes(32)
    probe = ctap.get_assertion(
        "example.com",
        zero,
        allow,
        options={"up": False},
        pin_uv_param=protocol.authenticate(token, zero),
        pin_uv_protocol=protocol.VERSION,
    )
    assert probe.auth_data.flags == FLAG.UV
    assertion = ctap.get_assertion(
        "example.com",
        CDH,
        allow,
        pin_uv_param=protocol.authenticate(token, CDH),
        pin_uv_protocol=protocol.VERSION,
    )
    assert assertion.auth_data.flags == FLAG.UP | FLAG.UV
    assert assertion.auth_data.counter == 1
    assertion.verify(CDH, credential.public_key)


def test_builtin_uv_token_and_retries(
    make_device: Callable[..., SoftCtapDevice], protocol: PinProtocol
) -> None:
    answers: list[bool] = []

    def fingerprint(request: UserRequest) -> bool:
        assert request.operation == "uv"
        return answers.pop(0)

    device = make_device(user_verification=fingerprint)
    pin = client_pin(device, protocol)
    ctap = Ctap2(device)
    answers.append(True)
    token = pin.get_uv_token(PERM.MAKE_CREDENTIAL, "example.com")
    assert make_with_token(ctap, protocol, token).auth_data.flags & FLAG.UV
    assert pin.get_uv_retries() == 8

    answers.extend([False] * 8)
    statuses = [
        code_of(lambda: pin.get_uv_token(PERM.GET_ASSERTION, "example.com")) for _ in range(8)
    ]
    assert statuses == [ERR.UV_INVALID] * 7 + [ERR.UV_BLOCKED]
    assert pin.get_uv_retries() == 0
    assert code_of(lambda: pin.get_uv_token(PERM.GET_ASSERTION, "example.com")) == ERR.UV_BLOCKED
    assert answers == []  # a blocked sensor is not even asked

    # A correct PIN unblocks built-in UV.
    pin.set_pin(PIN)
    pin.get_pin_token(PIN, PERM.GET_ASSERTION, "example.com")
    assert pin.get_uv_retries() == 8


def test_uv_subcommands_on_a_pin_only_key(pin_key: SoftCtapDevice, protocol: PinProtocol) -> None:
    pin = client_pin(pin_key, protocol)
    assert code_of(pin.get_uv_retries) == ERR.INVALID_SUBCOMMAND
    ctap = Ctap2(pin_key)
    assert code_of(lambda: ctap.client_pin(protocol.VERSION, ClientPin.CMD.GET_TOKEN_USING_UV)) == (
        ERR.INVALID_SUBCOMMAND
    )


def test_pin_persists_in_the_file_store(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    first = SoftCtapDevice.open(path, config=AuthenticatorConfig.pin_only())
    ClientPin(Ctap2(first)).set_pin(PIN)
    second = SoftCtapDevice.open(path, config=AuthenticatorConfig.pin_only())
    assert Ctap2(second).info.options["clientPin"] is True
    ClientPin(Ctap2(second)).get_pin_token(PIN)
    assert PIN.encode() not in path.read_bytes()
    assert hashlib.sha256(PIN.encode()).digest()[:16].hex().encode() not in path.read_bytes()
