"""The CLI's exit codes, and which error gets which.

Scripts branch on these, so they are stable. Usage errors keep click's 2.
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
FAILURE: Final = 1
"""Anything not listed below (a Cognito error, an unexpected answer)."""
USAGE: Final = 2
"""Bad command line (click's own code)."""
AUTH_FAILED: Final = 3
"""Sign-in refused: wrong passkey, unknown user, PIN problems, expired session, refused token."""
NO_AUTHENTICATOR: Final = 4
"""No security key found, or it holds no passkey for this site."""
CONFIG: Final = 5
"""Missing or malformed settings, unusable software-authenticator store."""
NETWORK: Final = 6
"""Cognito, the JWKS or the management API could not be reached, or kept throttling."""
INTERRUPTED: Final = 130
"""Ctrl-C."""

EPILOG: Final = (
    "Exit codes: 0 ok; 1 other failure; 2 usage error; 3 authentication failed; "
    "4 no authenticator (or no passkey on it); 5 configuration error; "
    "6 network error; 130 interrupted."
)


def for_exception(exc: BaseException) -> int:
    """The exit code for ``exc``; imports error classes only when an error happened."""
    from cognito_passkey.client import errors

    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(exc, errors.ConfigurationError):
        return CONFIG
    if isinstance(exc, errors.NetworkError | errors.ThrottledError):
        return NETWORK
    if isinstance(exc, errors.AuthenticationError | errors.TokenError):
        return AUTH_FAILED
    try:
        from cognito_passkey.authenticator import errors as auth_errors
    except ImportError:  # pragma: no cover - the package ships with the client
        return FAILURE
    if isinstance(exc, auth_errors.NoAuthenticatorError | auth_errors.NoCredentialsError):
        return NO_AUTHENTICATOR
    if isinstance(exc, auth_errors.CredentialStoreError):
        return CONFIG
    if isinstance(exc, auth_errors.OriginError):
        return CONFIG
    if isinstance(exc, auth_errors.AuthenticatorError):
        return AUTH_FAILED
    return FAILURE
