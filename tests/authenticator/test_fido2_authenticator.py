"""ClientAuthenticator over real CTAP2 devices (the software key): responses and prompts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import webauthn
from cognito_passkey.authenticator import errors
from webauthn.helpers import options_to_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)


def test_register_and_sign_in_verified_by_fido2_server(kit: Any, terminal: Any, rp: Any) -> None:
    key = kit.make_key()
    auth = kit.over([key], terminal.interaction())

    options, state = rp.registration_options(user_verification="required")
    response = auth.create(options, rp_id=kit.RP_ID)
    json.dumps(response)  # plain JSON
    rp.register(state, response)
    assert response["type"] == "public-key"
    assert response["authenticatorAttachment"] == "cross-platform"
    assert response["response"]["transports"] == ["usb"]
    assert response["response"]["publicKeyAlgorithm"] == -7
    assert response["id"] == response["rawId"]

    options, state = rp.request_options(user_verification="required")
    assertion = auth.get(options, rp_id=kit.RP_ID)
    json.dumps(assertion)
    rp.authenticate(state, assertion)
    assert assertion["id"] == response["id"]
    assert terminal.text.count("Touch your security key") == 2
    assert terminal.prompts == []  # built-in UV: no PIN asked


def test_py_webauthn_options_and_verification(kit: Any, terminal: Any) -> None:
    """Options made by py_webauthn (no rpId in request options) and checked by it."""
    key = kit.make_key()
    auth = kit.over([key], terminal.interaction())
    reg_options = webauthn.generate_registration_options(
        rp_id=kit.RP_ID,
        rp_name="Example",
        user_name="alice",
        authenticator_selection=AuthenticatorSelectionCriteria(
            user_verification=UserVerificationRequirement.REQUIRED
        ),
    )
    created = auth.create(json.loads(options_to_json(reg_options)), rp_id=kit.RP_ID)
    registration = webauthn.verify_registration_response(
        credential=created,
        expected_challenge=reg_options.challenge,
        expected_rp_id=kit.RP_ID,
        expected_origin=kit.ORIGIN,
        require_user_verification=True,
    )
    auth_options = webauthn.generate_authentication_options(
        rp_id=kit.RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=registration.credential_id)],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request = json.loads(options_to_json(auth_options))
    request.pop("rpId")  # servers may leave it out; the client's rp_id fills in
    asserted = auth.get({"publicKey": request}, rp_id=kit.RP_ID)
    verified = webauthn.verify_authentication_response(
        credential=asserted,
        expected_challenge=auth_options.challenge,
        expected_rp_id=kit.RP_ID,
        expected_origin=kit.ORIGIN,
        credential_public_key=registration.credential_public_key,
        credential_current_sign_count=registration.sign_count,
        require_user_verification=True,
    )
    assert verified.new_sign_count > registration.sign_count
    assert verified.user_verified


def test_app_origin_is_used_when_allowed(kit: Any, terminal: Any) -> None:
    app_origin = "android:apk-key-hash:Fv0kjsqVtIxdW2FpJl1w3qDqQnCGXq0o9bT3m4ZmPkE"
    key = kit.make_key()
    refused = kit.over([key], terminal.interaction(), origin=app_origin)
    reg_options = webauthn.generate_registration_options(
        rp_id=kit.RP_ID, rp_name="Example", user_name="alice"
    )
    options = json.loads(options_to_json(reg_options))
    with pytest.raises(errors.OriginError, match="allow_app_origin"):
        refused.create(options, rp_id=kit.RP_ID)

    auth = kit.over([key], terminal.interaction(), origin=app_origin, allow_app_origin=True)
    created = auth.create(options, rp_id=kit.RP_ID)
    client_data = json.loads(webauthn.base64url_to_bytes(created["response"]["clientDataJSON"]))
    assert client_data["origin"] == app_origin
    webauthn.verify_registration_response(
        credential=created,
        expected_challenge=reg_options.challenge,
        expected_rp_id=kit.RP_ID,
        expected_origin=[kit.ORIGIN, app_origin],
    )


def test_origin_per_call_and_rp_mismatch(kit: Any, terminal: Any, rp: Any) -> None:
    auth = kit.over([kit.make_key()], terminal.interaction(), origin="https://login.example.com")
    options, _state = rp.registration_options()
    created = auth.create(options, rp_id=kit.RP_ID)
    client_data = json.loads(webauthn.base64url_to_bytes(created["response"]["clientDataJSON"]))
    assert client_data["origin"] == "https://login.example.com"
    with pytest.raises(errors.OriginError, match="subdomain"):
        auth.create(options, origin="https://example.org", rp_id=kit.RP_ID)


def test_windows_path_uses_the_injected_platform_client(kit: Any, terminal: Any, rp: Any) -> None:
    """The platform (Windows) client gets our client-data collector; we do not enumerate keys."""
    from fido2.client import Fido2Client

    key = kit.make_key()
    collectors: list[Any] = []

    def platform_client(collector: Any) -> Fido2Client:
        collectors.append(collector)
        return Fido2Client(key, client_data_collector=collector)

    def no_enumeration() -> list[Any]:
        raise AssertionError("devices must not be enumerated when the platform client is used")

    from cognito_passkey.authenticator.fido2_authenticator import ClientAuthenticator

    auth = ClientAuthenticator(
        interaction=terminal.interaction(),
        device_source=no_enumeration,
        platform_client=platform_client,
    )
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    options, state = rp.request_options()
    rp.authenticate(state, auth.get(options, rp_id=kit.RP_ID))
    assert len(collectors) == 2


def test_no_key_plugged_in(kit: Any, terminal: Any, rp: Any) -> None:
    auth = kit.over([], terminal.interaction())
    options, _state = rp.registration_options()
    with pytest.raises(
        errors.NoAuthenticatorError, match="plug in your FIDO2 security key"
    ) as info:
        auth.create(options, rp_id=kit.RP_ID)
    import sys

    if sys.platform.startswith("linux"):
        assert "70-u2f.rules" in str(info.value)
        assert 'TAG+="uaccess"' in str(info.value)


def test_excluded_credential(kit: Any, terminal: Any, rp: Any) -> None:
    auth = kit.over([kit.make_key()], terminal.interaction())
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    options, _state = rp.registration_options(exclude=True)
    with pytest.raises(errors.CredentialExcludedError, match="already holds a passkey"):
        auth.create(options, rp_id=kit.RP_ID)


def test_key_without_the_credential(kit: Any, terminal: Any, rp: Any) -> None:
    registered = kit.over([kit.make_key()], terminal.interaction())
    options, state = rp.registration_options()
    rp.register(state, registered.create(options, rp_id=kit.RP_ID))
    other = kit.over([kit.make_key()], terminal.interaction())
    options, _state = rp.request_options()
    with pytest.raises(errors.NoCredentialsError, match=r"no passkey for example\.com") as info:
        other.get(options, rp_id=kit.RP_ID)
    assert info.value.__cause__ is not None  # the fido2 error stays chained


def test_discoverable_credentials_let_the_person_choose(kit: Any, rp: Any) -> None:
    from cognito_passkey.authenticator.interaction import TerminalInteraction

    key = kit.make_key()
    answers = iter(["9\n", "2\n"])
    import io

    stderr = io.StringIO()
    interaction = TerminalInteraction(
        interactive=True, stream=stderr, line_reader=lambda: next(answers), environ={}
    )
    auth = kit.over([key], interaction)
    for user in (b"user-a", b"user-b"):
        options, state = rp.registration_options(user=user)
        options["publicKey"]["authenticatorSelection"] = {
            "residentKey": "required",
            "userVerification": "required",
        }
        rp.register(state, auth.create(options, rp_id=kit.RP_ID))
    options, state = rp.request_options(allow=False, user_verification="required")
    assertion = auth.get(options, rp_id=kit.RP_ID)
    rp.authenticate(state, assertion)
    shown = stderr.getvalue()
    assert "Please answer a number from 1 to 2" in shown
    second = shown.split("  2) ")[1].split("\n")[0]
    assert {second, shown.split("  1) ")[1].split("\n")[0]} == {"user-a", "user-b"}
    assert assertion["response"]["userHandle"] == webauthn.helpers.bytes_to_base64url(
        second.encode()
    )


@pytest.mark.parametrize("alg", [-7, -8, -257])
def test_public_key_fields_for_each_algorithm(kit: Any, terminal: Any, alg: int) -> None:
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from fido2 import cbor
    from fido2.cose import CoseKey

    auth = kit.over([kit.make_key()], terminal.interaction())
    reg_options = webauthn.generate_registration_options(
        rp_id=kit.RP_ID,
        rp_name="Example",
        user_name="alice",
        supported_pub_key_algs=[webauthn.helpers.structs.COSEAlgorithmIdentifier(alg)],
    )
    assert [p.alg for p in reg_options.pub_key_cred_params] == [alg]
    created = auth.create(json.loads(options_to_json(reg_options)), rp_id=kit.RP_ID)
    verified = webauthn.verify_registration_response(
        credential=created,
        expected_challenge=reg_options.challenge,
        expected_rp_id=kit.RP_ID,
        expected_origin=kit.ORIGIN,
        supported_pub_key_algs=[webauthn.helpers.structs.COSEAlgorithmIdentifier(alg)],
    )
    assert created["response"]["publicKeyAlgorithm"] == alg
    spki = load_der_public_key(webauthn.base64url_to_bytes(created["response"]["publicKey"]))
    cose = CoseKey.for_alg(alg).from_cryptography_key(spki)  # type: ignore[arg-type]
    assert dict(cose) == cbor.decode(verified.credential_public_key)  # same key, two encodings
    assert verified.credential_id == webauthn.base64url_to_bytes(created["rawId"])
