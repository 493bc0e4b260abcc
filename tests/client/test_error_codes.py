"""A translated Cognito error keeps Cognito's code and message, so that a caller that knows
the operation (the native-passkey client) reads them instead of parsing the text."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cognito_passkey.client.cognito import translate_client_error
from cognito_passkey.client.errors import (
    CognitoError,
    ConfigurationError,
    InvalidParameterError,
    SessionExpiredError,
)
from cognito_passkey.client.native import native_error


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SomeOperation")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ResourceNotFoundException", ConfigurationError),
        ("NotAuthorizedException", Exception),
        ("SomethingNewException", CognitoError),
    ],
)
def test_the_translated_error_keeps_cognitos_code(code: str, kind: type[Exception]) -> None:
    translated = translate_client_error(_client_error(code, "it says: why"))
    assert isinstance(translated, kind)
    assert translated.code == code


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        ("WebAuthnNotEnabledException", ConfigurationError, "does not allow passkeys"),
        ("WebAuthnChallengeNotFoundException", SessionExpiredError, "registration expired"),
        ("WebAuthnCredentialNotSupportedException", InvalidParameterError, "does not accept"),
    ],
)
def test_native_errors_quote_cognitos_message_whole(
    code: str, kind: type[Exception], words: str
) -> None:
    error = native_error(translate_client_error(_client_error(code, "first: second")))
    assert isinstance(error, kind) and error.code == code
    assert words in str(error) and "first: second)" in str(error)
    assert "Cognito error" not in str(error)


def test_other_errors_pass_through_native_error_unchanged() -> None:
    error = translate_client_error(_client_error("UserNotFoundException", "no"))
    assert native_error(error) is error
