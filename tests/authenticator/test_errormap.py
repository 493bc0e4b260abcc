"""Every python-fido2 failure maps to our error class with advice, the original chained."""

from __future__ import annotations

import pytest
from cognito_passkey.authenticator import errors
from cognito_passkey.authenticator.errormap import (
    Context,
    Outcome,
    outcome,
    to_authenticator_error,
)
from fido2.client import ClientError
from fido2.client import PinRequiredError as Fido2PinRequiredError
from fido2.ctap import CtapError

ERR = CtapError.ERR
CTX = Context(operation="get", rp_id="example.com")


def _wrapped(code: CtapError.ERR) -> ClientError:
    """As Fido2Client raises it: a ClientError whose cause is the key's CtapError."""
    from fido2.client import _ctap2client_err

    return _ctap2client_err(CtapError(code))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("code", "cls", "fragment"),
    [
        (ERR.PIN_INVALID, errors.PinInvalidError, "Wrong PIN"),
        (ERR.PIN_AUTH_BLOCKED, errors.PinBlockedError, "unplug the security key"),
        (ERR.PIN_BLOCKED, errors.PinBlockedError, "must be reset"),
        (ERR.PIN_NOT_SET, errors.PinNotSetError, "ykman fido access change-pin"),
        (ERR.UV_BLOCKED, errors.UserVerificationError, "use the PIN"),
        (ERR.NO_CREDENTIALS, errors.NoCredentialsError, "no passkey for example.com"),
        (ERR.CREDENTIAL_EXCLUDED, errors.CredentialExcludedError, "already holds"),
        (ERR.KEEPALIVE_CANCEL, errors.CancelledError, "cancelled"),
        (ERR.USER_ACTION_TIMEOUT, errors.AuthenticatorTimeoutError, "not touched in time"),
        (ERR.OPERATION_DENIED, errors.CancelledError, "refused"),
        (ERR.KEY_STORE_FULL, errors.AuthenticatorError, "no room"),
        (ERR.UNSUPPORTED_ALGORITHM, errors.AuthenticatorError, "algorithms"),
        (ERR.INVALID_CBOR, errors.AuthenticatorError, "INVALID_CBOR"),
    ],
)
def test_ctap_codes(code: CtapError.ERR, cls: type[Exception], fragment: str) -> None:
    for raw in (CtapError(code), _wrapped(code)):
        mapped = to_authenticator_error(raw, CTX)
        assert type(mapped) is cls
        assert fragment in str(mapped)


def test_wrong_pin_says_tries_left_and_where_the_pin_came_from() -> None:
    ctx = Context(
        operation="get", rp_id="example.com", pin_retries=5, pin_source="$COGNITO_PASSKEY_PIN"
    )
    mapped = to_authenticator_error(_wrapped(ERR.PIN_INVALID), ctx)
    assert isinstance(mapped, errors.PinInvalidError)
    assert mapped.retries == 5
    assert "5 tries left" in str(mapped)
    assert "COGNITO_PASSKEY_PIN" in str(mapped)


def test_uv_not_configured_means_set_a_pin() -> None:
    raw = ClientError.ERR.CONFIGURATION_UNSUPPORTED("User verification not configured/supported")
    mapped = to_authenticator_error(raw, CTX)
    assert isinstance(mapped, errors.PinNotSetError)
    assert "ykman fido access change-pin" in str(mapped)
    assert outcome(raw) is Outcome.INELIGIBLE


def test_client_level_codes() -> None:
    assert isinstance(to_authenticator_error(Fido2PinRequiredError(), CTX), errors.PinRequiredError)
    ineligible = ClientError.ERR.DEVICE_INELIGIBLE()
    assert isinstance(to_authenticator_error(ineligible, CTX), errors.NoCredentialsError)
    create_ctx = Context(operation="create", rp_id="example.com")
    assert isinstance(
        to_authenticator_error(ineligible, create_ctx), errors.CredentialExcludedError
    )
    assert isinstance(
        to_authenticator_error(ClientError.ERR.BAD_REQUEST(), CTX), errors.OriginError
    )
    assert isinstance(
        to_authenticator_error(ClientError.ERR.TIMEOUT(), CTX), errors.AuthenticatorTimeoutError
    )
    lost = to_authenticator_error(OSError(5, "Input/output error"), CTX)
    assert "unplugged" in str(lost)


def test_windows_dialog_cancel() -> None:
    cause = OSError("cancelled")
    cause.winerror = 0x800704C7  # type: ignore[attr-defined]
    mapped = to_authenticator_error(ClientError.ERR.OTHER_ERROR(cause), CTX)
    assert isinstance(mapped, errors.CancelledError)


def test_outcomes_decide_what_several_keys_do() -> None:
    assert outcome(_wrapped(ERR.NO_CREDENTIALS)) is Outcome.INELIGIBLE
    assert outcome(_wrapped(ERR.CREDENTIAL_EXCLUDED)) is Outcome.INELIGIBLE
    assert outcome(_wrapped(ERR.KEEPALIVE_CANCEL)) is Outcome.CANCELLED
    assert outcome(ClientError.ERR.TIMEOUT()) is Outcome.CANCELLED
    assert outcome(_wrapped(ERR.PIN_BLOCKED)) is Outcome.FATAL
    assert outcome(errors.CancelledError("x")) is Outcome.CANCELLED
    assert outcome(errors.PinRequiredError("x")) is Outcome.INELIGIBLE
    assert outcome(OSError(19, "No such device")) is Outcome.INELIGIBLE
    assert outcome(errors.OriginError("x")) is Outcome.FATAL
