"""Everything the software key makes through Fido2Client passes two independent RP verifiers.

python-fido2's Fido2Server and Duo's py_webauthn check each registration and
assertion; tampered outputs must be refused by both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import webauthn
from cognito_passkey.authenticator.soft import (
    ALG_EDDSA,
    ALG_ES256,
    ALG_RS256,
    SOFT_AAGUID,
    AuthenticatorConfig,
    SoftCtapDevice,
)
from fido2 import cbor
from fido2.attestation import Attestation
from fido2.attestation.base import InvalidAttestation
from fido2.client import ClientError, Fido2Client
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Ctap2
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)

ORIGIN = "https://example.com"
RP_ID = "example.com"
PIN = "4711-secret"


def verify_attestation_statement(
    attestation_object: AttestationObject, client_data_hash: bytes
) -> None:
    """Fido2Server hook: check the statement of whatever format the key returned."""
    Attestation.for_type(attestation_object.fmt)().verify(
        attestation_object.att_stmt, attestation_object.auth_data, client_data_hash
    )


@dataclass
class Party:
    """One relying party (both verifiers) and one person with one key."""

    device: SoftCtapDevice
    client: Fido2Client
    server: Fido2Server
    user_verification: str

    @property
    def uv_required(self) -> bool:
        return self.user_verification == "required"

    def register(
        self, *, discoverable: bool, user_id: bytes = b"user-1", name: str = "alice"
    ) -> tuple[dict[str, Any], Any, bytes]:
        challenge = os.urandom(32)
        options, state = self.server.register_begin(
            PublicKeyCredentialUserEntity(id=user_id, name=name, display_name=name.title()),
            resident_key_requirement="required" if discoverable else "discouraged",
            user_verification=self.user_verification,
            challenge=challenge,
        )
        response = self.client.make_credential(options.public_key)
        return json.loads(json.dumps(dict(response))), state, challenge

    def authenticate(self, credential_ids: list[bytes] | None) -> tuple[dict[str, Any], Any, bytes]:
        challenge = os.urandom(32)
        descriptors = None
        if credential_ids is not None:
            descriptors = [{"type": "public-key", "id": i} for i in credential_ids]
        options, state = self.server.authenticate_begin(
            descriptors, user_verification=self.user_verification, challenge=challenge
        )
        response = self.client.get_assertion(options.public_key).get_response(0)
        return json.loads(json.dumps(dict(response))), state, challenge


MODES = ["builtin_uv", "pin", "no_uv"]
"""How the user is verified: the key's built-in method, a PIN-only key with a PIN, or not at all."""


@pytest.fixture
def make_party(
    make_device: Callable[..., SoftCtapDevice],
    make_client: Callable[..., Fido2Client],
    make_person: Callable[..., Any],
) -> Callable[..., Party]:
    def build(mode: str, algorithm: int = ALG_ES256, attestation: str = "packed") -> Party:
        settings: dict[str, Any] = {"algorithms": (algorithm,), "attestation": attestation}
        if mode == "builtin_uv":
            device = make_device(AuthenticatorConfig(**settings))
        elif mode == "pin":
            device = make_device(AuthenticatorConfig.pin_only(**settings), pin=PIN)
        else:
            device = make_device(AuthenticatorConfig.pin_only(**settings))
        client = make_client(device, make_person(PIN if mode == "pin" else None))
        server = Fido2Server(
            PublicKeyCredentialRpEntity(name="Example", id=RP_ID),
            attestation="direct",
            verify_attestation=verify_attestation_statement,
        )
        uv = "discouraged" if mode == "no_uv" else "required"
        return Party(device, client, server, uv)

    return build


def verify_registration_both(
    party: Party, response: dict[str, Any], state: Any, challenge: bytes
) -> tuple[AttestedCredentialData, bytes]:
    """Both verifiers accept; returns fido2's credential data and py_webauthn's public key."""
    auth_data = party.server.register_complete(state, response)
    verified = webauthn.verify_registration_response(
        credential=response,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=party.uv_required,
    )
    assert auth_data.credential_data is not None
    assert verified.credential_id == auth_data.credential_data.credential_id
    return auth_data.credential_data, verified.credential_public_key


def verify_authentication_both(
    party: Party,
    response: dict[str, Any],
    state: Any,
    challenge: bytes,
    credential: AttestedCredentialData,
    public_key: bytes,
    current_sign_count: int,
) -> int:
    """Both verifiers accept; returns the new signature count."""
    party.server.authenticate_complete(state, [credential], response)
    verified = webauthn.verify_authentication_response(
        credential=response,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=public_key,
        credential_current_sign_count=current_sign_count,
        require_user_verification=party.uv_required,
    )
    return verified.new_sign_count


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("discoverable", [True, False], ids=["discoverable", "server-side"])
@pytest.mark.parametrize("attestation", ["packed", "none"])
@pytest.mark.parametrize("algorithm", [ALG_ES256, ALG_EDDSA], ids=["ES256", "EdDSA"])
def test_registration_and_assertions_pass_both_verifiers(
    make_party: Callable[..., Party],
    mode: str,
    discoverable: bool,
    attestation: str,
    algorithm: int,
) -> None:
    party = make_party(mode, algorithm, attestation)
    response, state, challenge = party.register(discoverable=discoverable)
    credential, public_key = verify_registration_both(party, response, state, challenge)

    attestation_object = AttestationObject(
        websafe_decode(response["response"]["attestationObject"])
    )
    assert attestation_object.fmt == attestation
    assert attestation_object.auth_data.credential_data is not None
    assert attestation_object.auth_data.credential_data.aaguid == SOFT_AAGUID
    assert attestation_object.auth_data.credential_data.public_key[3] == algorithm
    assert attestation_object.auth_data.is_user_verified() is (mode != "no_uv")
    assert attestation_object.auth_data.counter == 0

    allow = None if discoverable else [credential.credential_id]
    sign_count = 0
    for expected in (1, 2):
        assertion, state, challenge = party.authenticate(allow)
        sign_count = verify_authentication_both(
            party, assertion, state, challenge, credential, public_key, sign_count
        )
        assert sign_count == expected
        auth_data = AuthenticatorData(websafe_decode(assertion["response"]["authenticatorData"]))
        assert auth_data.is_user_present()
        assert auth_data.is_user_verified() is (mode != "no_uv")
        user_handle = assertion["response"].get("userHandle")
        if discoverable:
            assert user_handle == websafe_encode(b"user-1")
        else:
            assert user_handle is None


# Tampering ---------------------------------------------------------------------------


def _flip_last_byte(b64: str) -> str:
    raw = bytearray(websafe_decode(b64))
    raw[-1] ^= 0x01
    return websafe_encode(bytes(raw))


def _with_response_field(response: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(response))
    changed["response"][name] = value
    return changed


def _rejected_by_both(
    party: Party,
    response: dict[str, Any],
    state: Any,
    challenge: bytes,
    credential: AttestedCredentialData,
    public_key: bytes,
    sign_count: int,
) -> None:
    with pytest.raises(ValueError):
        party.server.authenticate_complete(state, [credential], response)
    with pytest.raises(InvalidAuthenticationResponse):
        webauthn.verify_authentication_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=party.uv_required,
        )


@pytest.fixture(params=[ALG_ES256, ALG_EDDSA], ids=["ES256", "EdDSA"])
def registered(
    request: pytest.FixtureRequest, make_party: Callable[..., Party]
) -> tuple[Party, AttestedCredentialData, bytes]:
    party = make_party("builtin_uv", request.param)
    response, state, challenge = party.register(discoverable=True)
    credential, public_key = verify_registration_both(party, response, state, challenge)
    return party, credential, public_key


def test_untampered_assertion_is_the_control(
    registered: tuple[Party, AttestedCredentialData, bytes],
) -> None:
    party, credential, public_key = registered
    assertion, state, challenge = party.authenticate(None)
    assert (
        verify_authentication_both(party, assertion, state, challenge, credential, public_key, 0)
        == 1
    )


def test_tampered_signature_is_rejected(
    registered: tuple[Party, AttestedCredentialData, bytes],
) -> None:
    party, credential, public_key = registered
    assertion, state, challenge = party.authenticate(None)
    signature = websafe_decode(assertion["response"]["signature"])
    tampered = bytearray(signature)
    tampered[len(tampered) // 2] ^= 0x40
    bad = _with_response_field(assertion, "signature", websafe_encode(bytes(tampered)))
    _rejected_by_both(party, bad, state, challenge, credential, public_key, 0)


@pytest.mark.parametrize("what", ["counter", "flags", "rp_id_hash"])
def test_tampered_authenticator_data_is_rejected(
    registered: tuple[Party, AttestedCredentialData, bytes], what: str
) -> None:
    party, credential, public_key = registered
    assertion, state, challenge = party.authenticate(None)
    raw = bytearray(websafe_decode(assertion["response"]["authenticatorData"]))
    if what == "counter":
        raw[36] ^= 0x10  # raise the counter: only the signature can tell
    elif what == "flags":
        raw[32] ^= AuthenticatorData.FLAG.BE
    else:
        raw[0] ^= 0x01
    bad = _with_response_field(assertion, "authenticatorData", websafe_encode(bytes(raw)))
    _rejected_by_both(party, bad, state, challenge, credential, public_key, 0)


def test_tampered_client_data_is_rejected(
    registered: tuple[Party, AttestedCredentialData, bytes],
) -> None:
    party, credential, public_key = registered
    assertion, state, challenge = party.authenticate(None)
    client_data = json.loads(websafe_decode(assertion["response"]["clientDataJSON"]))
    # Same challenge and origin, so only the signature over the hash can catch it.
    client_data["crossOrigin"] = True
    encoded = websafe_encode(json.dumps(client_data).encode())
    bad = _with_response_field(assertion, "clientDataJSON", encoded)
    _rejected_by_both(party, bad, state, challenge, credential, public_key, 0)


def test_assertion_for_another_challenge_is_rejected(
    registered: tuple[Party, AttestedCredentialData, bytes],
) -> None:
    party, credential, public_key = registered
    assertion, _, _ = party.authenticate(None)
    _, other_state, other_challenge = party.authenticate(None)
    _rejected_by_both(party, assertion, other_state, other_challenge, credential, public_key, 0)


def test_counter_regression_is_rejected(
    registered: tuple[Party, AttestedCredentialData, bytes],
) -> None:
    """A replayed older assertion: its counter is below what the RP has seen.

    py_webauthn keeps the counter rule itself. Fido2Server keeps no counter
    state (the application must compare ``counter``), so for it the check is
    done the way an application does it, plus: lowering the counter in place
    breaks the signature.
    """
    party, credential, public_key = registered
    older, older_state, older_challenge = party.authenticate(None)
    newer, state, challenge = party.authenticate(None)
    seen = verify_authentication_both(party, newer, state, challenge, credential, public_key, 1)
    assert seen == 2
    with pytest.raises(InvalidAuthenticationResponse, match="sign count"):
        webauthn.verify_authentication_response(
            credential=older,
            expected_challenge=older_challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            credential_public_key=public_key,
            credential_current_sign_count=seen,
        )
    party.server.authenticate_complete(older_state, [credential], older)
    older_counter = AuthenticatorData(
        websafe_decode(older["response"]["authenticatorData"])
    ).counter
    assert older_counter < seen  # what an application using Fido2Server refuses

    raw = bytearray(websafe_decode(newer["response"]["authenticatorData"]))
    raw[33:37] = (1).to_bytes(4, "big")
    lowered = _with_response_field(newer, "authenticatorData", websafe_encode(bytes(raw)))
    _rejected_by_both(party, lowered, state, challenge, credential, public_key, 0)


@pytest.mark.parametrize("algorithm", [ALG_ES256, ALG_EDDSA], ids=["ES256", "EdDSA"])
def test_tampered_registration_is_rejected(
    make_party: Callable[..., Party], algorithm: int
) -> None:
    party = make_party("builtin_uv", algorithm, "packed")
    response, state, challenge = party.register(discoverable=False)

    # 1. The attested public key swapped for another one: the self-attestation breaks.
    other = make_party("builtin_uv", algorithm, "packed").register(discoverable=False)[0]
    ours = cbor.decode(websafe_decode(response["response"]["attestationObject"]))
    theirs = cbor.decode(websafe_decode(other["response"]["attestationObject"]))
    ours_auth = AuthenticatorData(ours["authData"])
    theirs_auth = AuthenticatorData(theirs["authData"])
    assert ours_auth.credential_data is not None and theirs_auth.credential_data is not None
    swapped = AuthenticatorData.create(
        ours_auth.rp_id_hash,
        ours_auth.flags,
        ours_auth.counter,
        AttestedCredentialData.create(
            ours_auth.credential_data.aaguid,
            ours_auth.credential_data.credential_id,
            theirs_auth.credential_data.public_key,
        ),
    )
    ours["authData"] = bytes(swapped)
    bad_key = _with_response_field(response, "attestationObject", websafe_encode(cbor.encode(ours)))

    # 2. The client data changed after signing (origin of another site).
    client_data = json.loads(websafe_decode(response["response"]["clientDataJSON"]))
    client_data["origin"] = "https://evil.example"
    bad_origin = _with_response_field(
        response, "clientDataJSON", websafe_encode(json.dumps(client_data).encode())
    )

    # 3. The attestation signature itself.
    statement = cbor.decode(websafe_decode(response["response"]["attestationObject"]))
    statement["attStmt"]["sig"] = bytes(reversed(statement["attStmt"]["sig"]))
    bad_sig = _with_response_field(
        response, "attestationObject", websafe_encode(cbor.encode(statement))
    )

    for bad in (bad_key, bad_origin, bad_sig):
        with pytest.raises((ValueError, InvalidAttestation)):
            party.server.register_complete(state, bad)
        with pytest.raises(InvalidRegistrationResponse):
            webauthn.verify_registration_response(
                credential=bad,
                expected_challenge=challenge,
                expected_rp_id=RP_ID,
                expected_origin=ORIGIN,
            )
    # The untouched response still passes: the failures above are the tampering.
    verify_registration_both(party, response, state, challenge)


# Through the client: presence problems ------------------------------------------------


def test_person_who_does_not_touch_times_out(make_party: Callable[..., Party], finger: Any) -> None:
    party = make_party("builtin_uv")
    finger.touches = False
    with pytest.raises(ClientError) as caught:
        party.register(discoverable=True)
    assert caught.value.code == ClientError.ERR.TIMEOUT
    assert party.device.store.list_credentials() == []


def test_person_who_cancels_gets_timeout_and_nothing_is_stored(
    make_party: Callable[..., Party], finger: Any
) -> None:
    party = make_party("builtin_uv")
    finger.cancel = True
    with pytest.raises(ClientError) as caught:
        party.register(discoverable=True)
    assert caught.value.code == ClientError.ERR.TIMEOUT
    assert "KEEPALIVE_CANCEL" in repr(caught.value.cause)
    assert party.device.store.list_credentials() == []


def test_wrong_pin_through_the_client(
    make_party: Callable[..., Party],
    make_client: Callable[..., Fido2Client],
    make_person: Callable[..., Any],
) -> None:
    party = make_party("pin")
    party.client = make_client(party.device, make_person("not-the-pin"))
    with pytest.raises(ClientError) as caught:
        party.register(discoverable=True)
    assert isinstance(caught.value.cause, CtapError)
    assert caught.value.cause.code == CtapError.ERR.PIN_INVALID
    assert ClientPin(Ctap2(party.device)).get_pin_retries()[0] == 7
    assert party.device.store.list_credentials() == []


# Through the client: lists and several accounts ------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_exclude_list_through_the_client(
    make_party: Callable[..., Party], mode: str, finger: Any
) -> None:
    party = make_party(mode)
    response, state, challenge = party.register(discoverable=False)
    credential, _ = verify_registration_both(party, response, state, challenge)
    options, _ = party.server.register_begin(
        PublicKeyCredentialUserEntity(id=b"user-1", name="alice"),
        [credential],
        user_verification=party.user_verification,
    )
    finger.requests.clear()
    with pytest.raises(ClientError) as caught:
        party.client.make_credential(options.public_key)
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE
    assert [r.operation for r in finger.requests] == ["makeCredential"]  # touched, then refused
    assert len(party.device.store.list_credentials()) == 1


def test_unknown_allow_list_through_the_client(
    make_party: Callable[..., Party], finger: Any
) -> None:
    party = make_party("builtin_uv")
    party.register(discoverable=False)
    finger.requests.clear()
    with pytest.raises(ClientError) as caught:
        party.authenticate([os.urandom(32)])
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE
    assert [r.operation for r in finger.requests] == ["getAssertion"]


def test_several_accounts_through_the_client(make_party: Callable[..., Party]) -> None:
    party = make_party("builtin_uv", ALG_EDDSA)
    registered = {}
    for user_id, name in ((b"user-a", "alice"), (b"user-b", "bob")):
        response, state, challenge = party.register(discoverable=True, user_id=user_id, name=name)
        registered[user_id] = verify_registration_both(party, response, state, challenge)

    challenge = os.urandom(32)
    options, state = party.server.authenticate_begin(
        user_verification="required", challenge=challenge
    )
    selection = party.client.get_assertion(options.public_key)
    responses = [json.loads(json.dumps(dict(selection.get_response(i)))) for i in range(2)]
    handles = sorted(websafe_decode(r["response"]["userHandle"]) for r in responses)
    assert handles == [b"user-a", b"user-b"]
    for response in responses:
        credential, public_key = registered[websafe_decode(response["response"]["userHandle"])]
        verify_authentication_both(party, response, state, challenge, credential, public_key, 0)
    users = [a.user for a in selection.get_assertions()]
    assert sorted(u["name"] for u in users if u) == ["alice", "bob"]  # UV: names are shown


def test_rs256_passes_both_verifiers(make_party: Callable[..., Party]) -> None:
    party = make_party("pin", ALG_RS256, "packed")
    response, state, challenge = party.register(discoverable=True)
    credential, public_key = verify_registration_both(party, response, state, challenge)
    assert credential.public_key[3] == ALG_RS256
    assertion, state, challenge = party.authenticate(None)
    count = verify_authentication_both(
        party, assertion, state, challenge, credential, public_key, 0
    )
    assert count == 1
