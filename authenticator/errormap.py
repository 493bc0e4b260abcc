"""python-fido2's ClientError/CtapError -> our error classes, with advice.

python-fido2 folds most key errors into a handful of ClientError codes and
keeps the key's own status in ``cause``; we look at both so each failure gets
the class the CLI maps to an exit code and a sentence a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fido2.client import ClientError
from fido2.client import PinRequiredError as Fido2PinRequiredError
from fido2.ctap import CtapError
from fido2.hid import ConnectionFailure

from .errors import (
    AuthenticatorError,
    AuthenticatorTimeoutError,
    CancelledError,
    CredentialExcludedError,
    NoCredentialsError,
    OriginError,
    PinBlockedError,
    PinInvalidError,
    PinNotSetError,
    PinRequiredError,
    UserVerificationError,
)
from .interaction import PIN_ENV

SET_PIN_ADVICE = (
    "Set a PIN first, e.g. with 'ykman fido access change-pin' for a YubiKey or your "
    "key vendor's tool, then try again."
)
RESET_ADVICE = (
    "The key must be reset (e.g. 'ykman fido reset'), which deletes every passkey on it, "
    "and a new PIN set."
)

_WINDOWS_CANCELLED = {0x800704C7, 0x80090036, -2147023673, -2146893770}

ERR = CtapError.ERR


class Outcome(Enum):
    """How a per-key failure affects an operation spanning several keys."""

    INELIGIBLE = "ineligible"  # this key cannot do it; another key still may
    CANCELLED = "cancelled"  # the operation was cancelled or timed out
    FATAL = "fatal"  # stop everything and report


@dataclass(frozen=True)
class Context:
    """What a message needs to be specific."""

    operation: str  # "create" or "get"
    rp_id: str
    device_label: str | None = None
    pin_retries: int | None = None
    pin_source: str | None = None


def ctap_code(exc: BaseException) -> CtapError.ERR | None:
    """The key's own status code behind an exception, if any."""
    if isinstance(exc, CtapError):
        return exc.code
    if isinstance(exc, ClientError) and isinstance(exc.cause, CtapError):
        return exc.cause.code
    return None


def _is_uv_not_configured(exc: ClientError) -> bool:
    return (
        exc.code == ClientError.ERR.CONFIGURATION_UNSUPPORTED
        and isinstance(exc.cause, str)
        and "not configured" in exc.cause
    )


def outcome(exc: BaseException) -> Outcome:
    """Classify a failure from one key."""
    if isinstance(
        exc, (NoCredentialsError, CredentialExcludedError, PinNotSetError, PinRequiredError)
    ):
        return Outcome.INELIGIBLE  # e.g. no PIN for this key, but another key may not need one
    if isinstance(exc, CancelledError):
        return Outcome.CANCELLED
    if isinstance(exc, AuthenticatorError):
        return Outcome.FATAL
    code = ctap_code(exc)
    if code in (ERR.NO_CREDENTIALS, ERR.CREDENTIAL_EXCLUDED, ERR.PIN_NOT_SET):
        return Outcome.INELIGIBLE
    if code in (ERR.UNSUPPORTED_ALGORITHM, ERR.UNSUPPORTED_OPTION, ERR.KEY_STORE_FULL):
        return Outcome.INELIGIBLE
    if code == ERR.KEEPALIVE_CANCEL:
        return Outcome.CANCELLED
    if isinstance(exc, ClientError):
        if exc.code in (
            ClientError.ERR.DEVICE_INELIGIBLE,
            ClientError.ERR.CONFIGURATION_UNSUPPORTED,
        ):
            return Outcome.INELIGIBLE
        if exc.code == ClientError.ERR.TIMEOUT and code is None:
            return Outcome.CANCELLED
    if isinstance(exc, (OSError, ConnectionFailure)):
        return Outcome.INELIGIBLE  # this key went away; others may still answer
    return Outcome.FATAL


def _key(ctx: Context) -> str:
    return f"The security key ({ctx.device_label})" if ctx.device_label else "The security key"


def _from_ctap(code: CtapError.ERR, ctx: Context) -> AuthenticatorError:
    key = _key(ctx)
    if code == ERR.PIN_INVALID and ctx.pin_retries == 0:
        return PinBlockedError(f"Wrong PIN, and that was the last try. {RESET_ADVICE}")
    if code == ERR.PIN_INVALID:
        tries = (
            f" {ctx.pin_retries} tries left before the PIN locks."
            if ctx.pin_retries is not None
            else ""
        )
        source = f" (from {ctx.pin_source})" if ctx.pin_source else ""
        return PinInvalidError(f"Wrong PIN{source}.{tries}", retries=ctx.pin_retries)
    if code == ERR.PIN_AUTH_BLOCKED:
        return PinBlockedError(
            "Too many wrong PINs in a row: unplug the security key and plug it in again "
            "before the next try."
        )
    if code == ERR.PIN_BLOCKED:
        return PinBlockedError(
            f"{key} has blocked its PIN after too many wrong tries. {RESET_ADVICE}"
        )
    if code == ERR.PIN_NOT_SET:
        return PinNotSetError(f"{key} has no PIN, but this site needs one. {SET_PIN_ADVICE}")
    if code == ERR.PIN_POLICY_VIOLATION:
        return PinInvalidError(f"{key} rejected the PIN: it does not meet the key's PIN rules.")
    if code in (ERR.UV_BLOCKED, ERR.UV_INVALID):
        return UserVerificationError(
            f"{key} could not verify you (built-in user verification failed or is blocked); "
            "use the PIN or retry."
        )
    if code == ERR.NO_CREDENTIALS:
        return NoCredentialsError(
            f"{key} holds no passkey for {ctx.rp_id} that this account accepts; "
            "use the key you registered, or add a passkey first."
        )
    if code == ERR.CREDENTIAL_EXCLUDED:
        return CredentialExcludedError(
            f"{key} already holds a passkey for this account at {ctx.rp_id}; "
            "use another key, or sign in with this one."
        )
    if code == ERR.KEEPALIVE_CANCEL:
        return CancelledError("The operation was cancelled.")
    if code in (ERR.ACTION_TIMEOUT, ERR.USER_ACTION_TIMEOUT):
        return AuthenticatorTimeoutError(f"{key} was not touched in time; try again.")
    if code in (ERR.OPERATION_DENIED, ERR.NOT_ALLOWED):
        return CancelledError(f"{key} refused the operation.")
    if code == ERR.UNSUPPORTED_ALGORITHM:
        return AuthenticatorError(
            f"{key} supports none of the signature algorithms the site asks for."
        )
    if code == ERR.KEY_STORE_FULL:
        return AuthenticatorError(
            f"{key} has no room for another passkey; delete one you no longer use."
        )
    if code == ERR.UNSUPPORTED_OPTION:
        return AuthenticatorError(
            f"{key} does not support what the site asks for (a discoverable passkey or "
            "built-in user verification)."
        )
    if code in (ERR.PIN_TOKEN_EXPIRED, ERR.PIN_AUTH_INVALID, ERR.PUAT_REQUIRED):
        return AuthenticatorError(f"{key} rejected the PIN session ({code.name}); try again.")
    name = getattr(code, "name", str(code))
    return AuthenticatorError(f"{key} reported an error ({name}); try again or re-insert it.")


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc or type(exc).__name__)


def to_authenticator_error(exc: BaseException, ctx: Context) -> AuthenticatorError:
    """Our exception for any failure from python-fido2 (chain it with ``from exc``)."""
    if isinstance(exc, AuthenticatorError):
        return exc
    code = ctap_code(exc)
    if code is not None:
        return _from_ctap(code, ctx)
    key = _key(ctx)
    if isinstance(exc, Fido2PinRequiredError):
        return PinRequiredError(
            f"{key} needs its PIN, but none was given (without a terminal, set {PIN_ENV})."
        )
    if isinstance(exc, ClientError):
        if _is_uv_not_configured(exc):
            return PinNotSetError(
                f"This site requires user verification, but {key[0].lower()}{key[1:]} has no "
                f"PIN set. {SET_PIN_ADVICE}"
            )
        if exc.code == ClientError.ERR.DEVICE_INELIGIBLE:
            if ctx.operation == "create":
                return _from_ctap(ERR.CREDENTIAL_EXCLUDED, ctx)
            return _from_ctap(ERR.NO_CREDENTIALS, ctx)
        if exc.code == ClientError.ERR.CONFIGURATION_UNSUPPORTED:
            detail = f": {exc.cause}" if exc.cause else ""
            return AuthenticatorError(f"{key} cannot do what the site asks{detail}.")
        if exc.code == ClientError.ERR.TIMEOUT:
            return AuthenticatorTimeoutError(f"{key} was not touched in time; try again.")
        if exc.code == ClientError.ERR.BAD_REQUEST:
            if exc.cause is None or "RP ID" in str(exc.cause):
                return OriginError(
                    f"The origin may not be used for RP ID {ctx.rp_id!r}"
                    + (f" ({exc.cause})." if exc.cause else ".")
                )
            return AuthenticatorError(f"The request was rejected: {exc.cause}.")
        cause = exc.cause
        if isinstance(cause, OSError) and getattr(cause, "winerror", None) in _WINDOWS_CANCELLED:
            return CancelledError("The operation was cancelled in the Windows security dialog.")
        if isinstance(cause, OSError):
            return AuthenticatorError(f"The platform's WebAuthn service failed: {cause}.")
        return AuthenticatorError(f"{key} failed: {cause or exc.code.name}.")
    if isinstance(exc, (OSError, ConnectionFailure)):
        return AuthenticatorError(
            f"Lost contact with {key[0].lower()}{key[1:]} ({_reason(exc)}); "
            "was it unplugged? Re-insert it and try again."
        )
    return AuthenticatorError(f"{key} failed unexpectedly: {type(exc).__name__}: {exc}.")
