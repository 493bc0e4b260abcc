"""CTAP2 commands driven directly with fido2.ctap2.Ctap2: each command and each status."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from threading import Event
from typing import Any

import pytest
from cognito_passkey.authenticator.soft import (
    ALG_EDDSA,
    ALG_ES256,
    ALG_RS256,
    SOFT_AAGUID,
    AuthenticatorConfig,
    MemoryCredentialStore,
    SoftCtapDevice,
)
from fido2 import cbor
from fido2.attestation import Attestation
from fido2.cose import CoseKey
from fido2.ctap import STATUS, CtapError
from fido2.ctap2 import AttestationResponse, Ctap2
from fido2.hid import CAPABILITY, CTAPHID
from fido2.webauthn import AuthenticatorData
from hypothesis import given
from hypothesis import strategies as st

ERR = CtapError.ERR
FLAG = AuthenticatorData.FLAG
RP = {"id": "example.com", "name": "Example"}
ES256_PARAMS = [{"type": "public-key", "alg": ALG_ES256}]


def cdh(label: str = "client data") -> bytes:
    return hashlib.sha256(label.encode()).digest()


def user(n: int = 1) -> dict[str, Any]:
    return {"id": f"user-{n}".encode(), "name": f"user{n}", "displayName": f"User {n}"}


def make(
    ctap: Ctap2, n: int = 1, *, rk: bool = False, rp: dict[str, Any] = RP, **kwargs: Any
) -> AttestationResponse:
    options = {"rk": True} if rk else None
    return ctap.make_credential(cdh(), rp, user(n), ES256_PARAMS, options=options, **kwargs)


def credential_of(response: AttestationResponse) -> tuple[bytes, CoseKey]:
    data = response.auth_data.credential_data
    assert data is not None
    return data.credential_id, data.public_key


def status_of(device: SoftCtapDevice, request: bytes) -> int:
    return device.call(CTAPHID.CBOR, request)[0]


@pytest.fixture
def device(make_device: Callable[..., SoftCtapDevice]) -> SoftCtapDevice:
    return make_device()


@pytest.fixture
def ctap(device: SoftCtapDevice) -> Ctap2:
    return Ctap2(device)  # strict_cbor: every reply must be canonical CBOR


# Transport -----------------------------------------------------------------------------


def test_device_looks_like_a_hid_key(device: SoftCtapDevice) -> None:
    assert device.capabilities & CAPABILITY.CBOR
    assert device.capabilities & CAPABILITY.NMSG  # no CTAP1/U2F
    assert device.product_name == "cognito-passkey software authenticator"
    assert "SoftCtapDevice(MemoryCredentialStore" in repr(device)
    assert device.call(CTAPHID.PING, b"hello") == b"hello"
    assert device.call(CTAPHID.WINK) == b""
    nonce = os.urandom(8)
    assert device.call(CTAPHID.INIT, nonce)[:8] == nonce
    with pytest.raises(CtapError) as caught:
        device.call(CTAPHID.MSG, b"\x00\x01\x00\x00")
    assert caught.value.code == ERR.INVALID_COMMAND
    device.close()
    with pytest.raises(OSError):
        device.call(CTAPHID.PING, b"x")


def test_descriptor_names_the_store(tmp_path: Any) -> None:
    device = SoftCtapDevice.open(tmp_path / "key.json")
    assert device.descriptor.path == f"soft:{tmp_path / 'key.json'}"
    assert device.descriptor.product_name == device.product_name
    assert SoftCtapDevice().descriptor.path == "soft:memory"


def test_set_pin_helper(device: SoftCtapDevice) -> None:
    device.set_pin("2468")
    assert Ctap2(device).info.options["clientPin"] is True
    with pytest.raises(CtapError) as caught:
        device.set_pin("1357")
    assert caught.value.code == ERR.NOT_ALLOWED


def test_list_devices_finds_none() -> None:
    assert list(SoftCtapDevice.list_devices()) == []


# getInfo -------------------------------------------------------------------------------


def test_get_info_default_is_headless_key(ctap: Ctap2) -> None:
    info = ctap.get_info()
    assert info.versions == ["FIDO_2_0", "FIDO_2_1"]
    assert info.aaguid == SOFT_AAGUID
    assert info.options == {
        "rk": True,
        "up": True,
        "plat": False,
        "uv": True,
        "clientPin": False,
        "pinUvAuthToken": True,
        "makeCredUvNotRqd": True,
    }
    assert info.pin_uv_protocols == [2, 1]
    assert [a["alg"] for a in info.algorithms] == [ALG_ES256, ALG_EDDSA, ALG_RS256]
    assert info.transports == ["usb"]


def test_get_info_pin_only_key(make_device: Callable[..., SoftCtapDevice]) -> None:
    config = AuthenticatorConfig.pin_only(algorithms=(ALG_EDDSA,), make_cred_uv_not_required=False)
    ctap = Ctap2(make_device(config, pin="1234"))
    info = ctap.get_info()
    assert "uv" not in info.options
    assert info.options["clientPin"] is True
    assert info.options["makeCredUvNotRqd"] is False
    assert [a["alg"] for a in info.algorithms] == [ALG_EDDSA]


# makeCredential --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [ALG_ES256, ALG_EDDSA, ALG_RS256])
def test_make_credential_packed_self_attestation(ctap: Ctap2, alg: int) -> None:
    params = [{"type": "public-key", "alg": -36}, {"type": "public-key", "alg": alg}]
    response = ctap.make_credential(cdh(), RP, user(), params)
    assert response.fmt == "packed"
    assert response.att_stmt["alg"] == alg
    auth_data = response.auth_data
    assert auth_data.rp_id_hash == hashlib.sha256(b"example.com").digest()
    assert auth_data.flags == FLAG.UP | FLAG.AT
    assert auth_data.counter == 0
    assert auth_data.credential_data is not None
    assert auth_data.credential_data.aaguid == SOFT_AAGUID
    assert alg == auth_data.credential_data.public_key.ALGORITHM
    Attestation.for_type("packed")().verify(response.att_stmt, auth_data, cdh())


def test_make_credential_none_attestation_and_backup_flags(
    make_device: Callable[..., SoftCtapDevice],
) -> None:
    config = AuthenticatorConfig(attestation="none", backup_eligible=True, backed_up=True)
    response = make(Ctap2(make_device(config)))
    assert response.fmt == "none"
    assert response.att_stmt == {}
    assert response.auth_data.flags == FLAG.UP | FLAG.AT | FLAG.BE | FLAG.BS


def test_make_credential_with_builtin_uv_sets_uv(ctap: Ctap2, device: SoftCtapDevice) -> None:
    response = ctap.make_credential(
        cdh(), RP, user(), ES256_PARAMS, options={"rk": True, "uv": True}
    )
    assert response.auth_data.flags & FLAG.UV
    (stored,) = device.store.list_credentials("example.com")
    assert stored.discoverable
    assert stored.user_name == "user1"
    assert stored.user_display_name == "User 1"


def test_unsupported_algorithm(ctap: Ctap2) -> None:
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(cdh(), RP, user(), [{"type": "public-key", "alg": -35}])
    assert caught.value.code == ERR.UNSUPPORTED_ALGORITHM


def test_make_credential_up_false_is_an_invalid_option(ctap: Ctap2) -> None:
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(cdh(), RP, user(), ES256_PARAMS, options={"up": False})
    assert caught.value.code == ERR.INVALID_OPTION


def test_uv_option_without_builtin_uv_is_invalid(
    make_device: Callable[..., SoftCtapDevice],
) -> None:
    ctap = Ctap2(make_device(AuthenticatorConfig.pin_only()))
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(cdh(), RP, user(), ES256_PARAMS, options={"uv": True})
    assert caught.value.code == ERR.INVALID_OPTION
    with pytest.raises(CtapError) as caught:
        ctap.get_assertion("example.com", cdh(), options={"uv": True})
    assert caught.value.code == ERR.INVALID_OPTION


def test_resident_keys_can_be_switched_off(make_device: Callable[..., SoftCtapDevice]) -> None:
    ctap = Ctap2(make_device(AuthenticatorConfig(resident_keys=False)))
    assert ctap.info.options["rk"] is False
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(cdh(), RP, user(), ES256_PARAMS, options={"rk": True, "uv": True})
    assert caught.value.code == ERR.UNSUPPORTED_OPTION


def test_uv_required_without_token_gives_puat_required(
    make_device: Callable[..., SoftCtapDevice],
) -> None:
    # Built-in UV key: a discoverable credential needs UV.
    ctap = Ctap2(make_device())
    with pytest.raises(CtapError) as caught:
        make(ctap, rk=True)
    assert caught.value.code == ERR.PUAT_REQUIRED
    make(ctap)  # makeCredUvNotRqd: a server-side credential does not

    # PIN-only key with a PIN: the same, and without makeCredUvNotRqd always.
    pin_key = Ctap2(make_device(AuthenticatorConfig.pin_only(), pin="1234"))
    with pytest.raises(CtapError) as caught:
        make(pin_key, rk=True)
    assert caught.value.code == ERR.PUAT_REQUIRED
    strict = Ctap2(
        make_device(AuthenticatorConfig.pin_only(make_cred_uv_not_required=False), pin="1234")
    )
    with pytest.raises(CtapError) as caught:
        make(strict)
    assert caught.value.code == ERR.PUAT_REQUIRED

    # A PIN-only key without a PIN is not protected: anything goes.
    open_key = Ctap2(make_device(AuthenticatorConfig.pin_only()))
    assert make(open_key, rk=True).auth_data.flags == FLAG.UP | FLAG.AT


def test_exclude_list_asks_for_touch_then_refuses(
    ctap: Ctap2, device: SoftCtapDevice, finger: Any
) -> None:
    credential_id, _ = credential_of(make(ctap))
    finger.requests.clear()
    keepalives: list[STATUS] = []
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(
            cdh(),
            RP,
            user(2),
            ES256_PARAMS,
            exclude_list=[
                {"type": "public-key", "id": os.urandom(32)},
                {"type": "public-key", "id": credential_id},
            ],
            on_keepalive=keepalives.append,
        )
    assert caught.value.code == ERR.CREDENTIAL_EXCLUDED
    assert [r.operation for r in finger.requests] == ["makeCredential"]
    assert keepalives == [STATUS.UPNEEDED]
    assert len(device.store.list_credentials()) == 1
    # The same ID excluded for another RP does not match.
    make(
        ctap, rp={"id": "other.example"}, exclude_list=[{"type": "public-key", "id": credential_id}]
    )


def test_discoverable_credential_replaces_same_user(ctap: Ctap2, device: SoftCtapDevice) -> None:
    first, _ = credential_of(
        ctap.make_credential(cdh(), RP, user(1), ES256_PARAMS, options={"rk": True, "uv": True})
    )
    second, _ = credential_of(
        ctap.make_credential(cdh(), RP, user(1), ES256_PARAMS, options={"rk": True, "uv": True})
    )
    assert [c.credential_id for c in device.store.list_credentials()] == [second]
    assert first != second


# getAssertion / getNextAssertion -----------------------------------------------------------


def test_get_assertion_with_allow_list_counts_up(ctap: Ctap2) -> None:
    credential_id, public_key = credential_of(make(ctap))
    allow = [
        {"type": "public-key", "id": os.urandom(16)},
        {"type": "public-key", "id": credential_id},
    ]
    for expected in (1, 2, 3):
        assertion = ctap.get_assertion("example.com", cdh(str(expected)), allow)
        assert assertion.credential["id"] == credential_id
        assert assertion.auth_data.counter == expected
        assert assertion.auth_data.flags == FLAG.UP
        assert assertion.user is None  # server-side credential: no user handle kept
        assert assertion.number_of_credentials is None
        assertion.verify(cdh(str(expected)), public_key)


def test_silent_probe_needs_no_touch_and_keeps_the_counter(ctap: Ctap2, finger: Any) -> None:
    credential_id, public_key = credential_of(make(ctap))
    allow = [{"type": "public-key", "id": credential_id}]
    ctap.get_assertion("example.com", cdh(), allow)
    finger.requests.clear()
    keepalives: list[STATUS] = []
    probe = ctap.get_assertion(
        "example.com", cdh("probe"), allow, options={"up": False}, on_keepalive=keepalives.append
    )
    assert finger.requests == []
    assert keepalives == []
    assert probe.auth_data.flags & FLAG.UP == 0
    assert probe.auth_data.counter == 1
    probe.verify(cdh("probe"), public_key)
    assert ctap.get_assertion("example.com", cdh(), allow).auth_data.counter == 2


def test_no_credentials_after_touch_unless_silent(ctap: Ctap2, finger: Any) -> None:
    make(ctap)  # server-side credential: not found without an allow list
    with pytest.raises(CtapError) as caught:
        ctap.get_assertion("example.com", cdh())
    assert caught.value.code == ERR.NO_CREDENTIALS
    assert [r.operation for r in finger.requests[-1:]] == ["getAssertion"]
    finger.requests.clear()
    with pytest.raises(CtapError) as caught:
        ctap.get_assertion(
            "example.com", cdh(), [{"type": "public-key", "id": b"\0"}], options={"up": False}
        )
    assert caught.value.code == ERR.NO_CREDENTIALS
    assert finger.requests == []
    with pytest.raises(CtapError) as caught:
        ctap.get_assertion("other.example", cdh())
    assert caught.value.code == ERR.NO_CREDENTIALS


def test_get_next_assertion_walks_all_resident_credentials(
    ctap: Ctap2, device: SoftCtapDevice
) -> None:
    keys = {}
    for n in (1, 2, 3):
        response = ctap.make_credential(
            cdh(), RP, user(n), ES256_PARAMS, options={"rk": True, "uv": True}
        )
        credential_id, public_key = credential_of(response)
        keys[credential_id] = (public_key, user(n)["id"])
    make(ctap, 9)  # a server-side one is not offered
    ctap.make_credential(
        cdh(), {"id": "other.example"}, user(4), ES256_PARAMS, options={"rk": True, "uv": True}
    )

    assertions = ctap.get_assertions("example.com", cdh("login"), options={"uv": True})
    assert assertions[0].number_of_credentials == 3
    assert all(a.number_of_credentials is None for a in assertions[1:])
    seen = [a.credential["id"] for a in assertions]
    created = [
        c.credential_id for c in device.store.list_credentials("example.com") if c.discoverable
    ]
    assert seen == list(reversed(created))  # most recent first
    for assertion in assertions:
        public_key, user_id = keys[assertion.credential["id"]]
        assertion.verify(cdh("login"), public_key)
        assert assertion.user is not None and assertion.user["id"] == user_id
        assert assertion.user["name"].startswith("user")  # verified: account details shown
        assert assertion.auth_data.flags == FLAG.UP | FLAG.UV
        assert assertion.auth_data.counter == 1
    with pytest.raises(CtapError) as caught:
        ctap.get_next_assertion()
    assert caught.value.code == ERR.NOT_ALLOWED


def test_get_next_assertion_without_get_assertion_is_not_allowed(ctap: Ctap2) -> None:
    for n in (1, 2):
        ctap.make_credential(cdh(), RP, user(n), ES256_PARAMS, options={"rk": True, "uv": True})
    with pytest.raises(CtapError) as caught:
        ctap.get_next_assertion()
    assert caught.value.code == ERR.NOT_ALLOWED
    first = ctap.get_assertion("example.com", cdh())
    assert first.number_of_credentials == 2
    assert first.user is not None and set(first.user) == {"id"}  # no UV: no account details
    ctap.get_info()  # any other command ends the sequence
    with pytest.raises(CtapError) as caught:
        ctap.get_next_assertion()
    assert caught.value.code == ERR.NOT_ALLOWED


def test_get_next_assertion_expires(make_device: Callable[..., SoftCtapDevice]) -> None:
    now = [1000.0]
    ctap = Ctap2(make_device(clock=lambda: now[0]))
    for n in (1, 2):
        ctap.make_credential(cdh(), RP, user(n), ES256_PARAMS, options={"rk": True, "uv": True})
    ctap.get_assertion("example.com", cdh())
    now[0] += 31
    with pytest.raises(CtapError) as caught:
        ctap.get_next_assertion()
    assert caught.value.code == ERR.NOT_ALLOWED


# User presence -----------------------------------------------------------------------------


def test_no_touch_is_user_action_timeout(ctap: Ctap2, device: SoftCtapDevice, finger: Any) -> None:
    finger.touches = False
    with pytest.raises(CtapError) as caught:
        make(ctap)
    assert caught.value.code == ERR.USER_ACTION_TIMEOUT
    assert device.store.list_credentials() == []


def test_cancel_is_keepalive_cancel(ctap: Ctap2, device: SoftCtapDevice, finger: Any) -> None:
    credential_id, _ = credential_of(make(ctap))
    finger.cancel = True
    with pytest.raises(CtapError) as caught:
        ctap.get_assertion("example.com", cdh(), [{"type": "public-key", "id": credential_id}])
    assert caught.value.code == ERR.KEEPALIVE_CANCEL
    stored = device.store.get_credential(credential_id)
    assert stored is not None and stored.sign_count == 0


def test_event_set_before_the_call_cancels(ctap: Ctap2, finger: Any) -> None:
    cancelled = Event()
    cancelled.set()
    with pytest.raises(CtapError) as caught:
        make(ctap, event=cancelled)
    assert caught.value.code == ERR.KEEPALIVE_CANCEL
    assert finger.requests == []


def test_selection_asks_for_a_touch(ctap: Ctap2, finger: Any) -> None:
    ctap.selection()
    assert [r.operation for r in finger.requests] == ["selection"]
    finger.touches = False
    with pytest.raises(CtapError) as caught:
        ctap.selection()
    assert caught.value.code == ERR.USER_ACTION_TIMEOUT


def test_zero_length_pin_auth_is_a_touch_probe(
    make_device: Callable[..., SoftCtapDevice], finger: Any
) -> None:
    ctap = Ctap2(make_device())
    with pytest.raises(CtapError) as caught:
        ctap.make_credential(cdh(), RP, user(), ES256_PARAMS, pin_uv_param=b"")
    assert caught.value.code == ERR.PIN_NOT_SET
    with_pin = Ctap2(make_device(pin="1234"))
    with pytest.raises(CtapError) as caught:
        with_pin.make_credential(
            cdh(), RP, user(), ES256_PARAMS, pin_uv_param=b"", pin_uv_protocol=2
        )
    assert caught.value.code == ERR.PIN_INVALID
    assert [r.operation for r in finger.requests] == ["selection", "selection"]


# Reset -------------------------------------------------------------------------------------------


def test_reset_within_ten_seconds_of_power_up(make_device: Callable[..., SoftCtapDevice]) -> None:
    now = [50.0]
    device = make_device(pin="1234", clock=lambda: now[0])
    ctap = Ctap2(device)
    make(ctap)
    now[0] += 11
    with pytest.raises(CtapError) as caught:
        ctap.reset()
    assert caught.value.code == ERR.NOT_ALLOWED
    assert len(device.store.list_credentials()) == 1
    device.power_cycle()
    ctap.reset()
    assert device.store.list_credentials() == []
    assert ctap.get_info().options["clientPin"] is False


# Bad input: a status code, never an exception --------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"", ERR.INVALID_LENGTH),
        (b"\x42", ERR.INVALID_COMMAND),
        (b"\x01\xff\xff", ERR.INVALID_CBOR),
        (b"\x01\xa1", ERR.INVALID_CBOR),  # truncated map
        (b"\x01" + cbor.encode([1, 2]), ERR.CBOR_UNEXPECTED_TYPE),
        (b"\x01" + cbor.encode({"a": 1}), ERR.CBOR_UNEXPECTED_TYPE),
        (b"\x01" + cbor.encode({}), ERR.MISSING_PARAMETER),
        (
            b"\x01" + cbor.encode({1: "not bytes", 2: RP, 3: user(), 4: ES256_PARAMS}),
            ERR.CBOR_UNEXPECTED_TYPE,
        ),
        (
            b"\x01" + cbor.encode({1: b"short", 2: RP, 3: user(), 4: ES256_PARAMS}),
            ERR.INVALID_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: {"name": "x"}, 3: user(), 4: ES256_PARAMS}),
            ERR.MISSING_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: {"id": b""}, 4: ES256_PARAMS}),
            ERR.INVALID_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: user(), 4: [{"type": "public-key"}]}),
            ERR.MISSING_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: user(), 4: ES256_PARAMS, 7: {"rk": 1}}),
            ERR.CBOR_UNEXPECTED_TYPE,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: user(), 4: ES256_PARAMS, 8: b"x"}),
            ERR.MISSING_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: user(), 4: ES256_PARAMS, 8: b"x", 9: 7}),
            ERR.INVALID_PARAMETER,
        ),
        (
            b"\x01" + cbor.encode({1: cdh(), 2: RP, 3: user(), 4: ES256_PARAMS, 10: 1}),
            ERR.INVALID_PARAMETER,
        ),
        (b"\x02" + cbor.encode({1: "example.com"}), ERR.MISSING_PARAMETER),
        (
            b"\x02" + cbor.encode({1: "example.com", 2: cdh(), 3: [{"id": b"x"}]}),
            ERR.MISSING_PARAMETER,
        ),
        (
            b"\x02" + cbor.encode({1: "example.com", 2: cdh(), 5: {"rk": True}}),
            ERR.UNSUPPORTED_OPTION,
        ),
        (b"\x06" + cbor.encode({1: 2}), ERR.MISSING_PARAMETER),
        (b"\x06" + cbor.encode({1: 3, 2: 2}), ERR.INVALID_PARAMETER),
        (b"\x06" + cbor.encode({1: 2, 2: 0x42}), ERR.INVALID_SUBCOMMAND),
        (b"\x04" + b"\x00" * 3000, ERR.REQUEST_TOO_LARGE),
    ],
)
def test_bad_requests_get_status_codes(
    device: SoftCtapDevice, request_bytes: bytes, status: int
) -> None:
    assert device.call(CTAPHID.CBOR, request_bytes) == bytes([status])


@given(st.binary(max_size=300))
def test_random_input_never_raises(data: bytes) -> None:
    device = SoftCtapDevice(MemoryCredentialStore())
    for command in (b"\x01", b"\x02", b"\x06", b"\x08"):
        reply = device.call(CTAPHID.CBOR, command + data)
        assert reply and (reply[0] != 0 or command == b"\x06")


@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=10),
        st.one_of(
            st.binary(max_size=40),
            st.text(max_size=10),
            st.integers(min_value=-(2**63), max_value=2**64 - 1),
            st.booleans(),
            st.lists(st.binary(max_size=5), max_size=3),
            st.dictionaries(st.text(max_size=5), st.binary(max_size=5), max_size=3),
        ),
        max_size=6,
    )
)
def test_random_parameter_maps_never_raise(params: dict[int, Any]) -> None:
    device = SoftCtapDevice(MemoryCredentialStore())
    for command in (1, 2, 6):
        reply = device.call(CTAPHID.CBOR, bytes([command]) + cbor.encode(params))
        assert reply
