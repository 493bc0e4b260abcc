"""Objects that hold a credential never show it in their repr (a log line, a traceback)."""

from __future__ import annotations

from typing import Any

from cognito_passkey.lambdas.answers import Assertion, Attestation
from cognito_passkey.lambdas.config import load_settings
from cognito_passkey.lambdas.events import parse_create
from fido2.webauthn import (
    AuthenticationResponse,
    AuthenticatorAssertionResponse,
    AuthenticatorAttestationResponse,
    RegistrationResponse,
)

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXNlY3JldA"
SIGNATURE = b"\x30\x44-signature-bytes-secret"


def test_attestation_repr_hides_the_id_token() -> None:
    response = AuthenticatorAttestationResponse(client_data=None, attestation_object=None)  # type: ignore[arg-type]
    attestation = Attestation(
        RegistrationResponse(raw_id=b"cred", response=response), ("usb",), ID_TOKEN
    )
    assert ID_TOKEN not in repr(attestation)
    assert "cred" in repr(attestation)  # the rest is still shown


def test_assertion_repr_hides_the_signature() -> None:
    response = AuthenticatorAssertionResponse(
        client_data=None,  # type: ignore[arg-type]
        authenticator_data=None,  # type: ignore[arg-type]
        signature=SIGNATURE,
    )
    assertion = Assertion(AuthenticationResponse(raw_id=b"cred", response=response))
    assert repr(SIGNATURE) not in repr(assertion)
    assert "signature" not in repr(assertion)


def test_trigger_context_repr_hides_client_metadata_with_the_id_token() -> None:
    event: dict[str, Any] = {
        "version": "1",
        "triggerSource": "CreateAuthChallenge_Authentication",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_AbC123",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "x", "clientId": "client1"},
        "request": {
            "userAttributes": {"email": "alice@example.com"},
            "challengeName": "CUSTOM_CHALLENGE",
            "session": [],
            "clientMetadata": {"authentication_type": "FIDO2_CREATE", "id_token": ID_TOKEN},
        },
        "response": {},
    }
    context, _session = parse_create(event)
    assert context.client_metadata["id_token"] == ID_TOKEN
    assert ID_TOKEN not in repr(context)
    assert "alice" in repr(context)


def test_settings_repr_hides_the_loginid_api_key() -> None:
    api_key = "api-key-id-that-is-the-basic-credential"
    settings = load_settings(
        {
            "PASSKEY_BACKEND": "loginid",
            "LOGINID_BASE_URL": "https://app1.api.loginid.io",
            "LOGINID_API_KEY_ID": api_key,
        }
    )
    assert settings.loginid_api_key_id == api_key
    assert api_key not in repr(settings)
