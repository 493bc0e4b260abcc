"""The CLI's exit codes.

Scripts branch on these, so they are stable. Usage errors keep click's 2. Each error class
carries its own code as ``exit_code`` (``cognito_passkey.client.errors``, and plain ints in
``cognito_passkey.authenticator.errors``, which cannot import the client).
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
FAILURE: Final = 1
"""Anything not listed below (a Cognito error, an unexpected answer), and an id that names
nothing: `passkeys rename`/`delete` and `soft delete` with an unknown id (well-formed, but
not there)."""
USAGE: Final = 2
"""Bad command line (click's own code), or an input the run cannot ask for: a prompt without a
terminal or under --non-interactive, a PIN without COGNITO_PASSKEY_PIN."""
AUTH_FAILED: Final = 3
"""Sign-in refused: wrong passkey, unknown user, wrong or blocked PIN, expired session, refused
token."""
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
    """The exit code for ``exc``: its class's ``exit_code`` (after click's ``ClickException``)."""
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    code = getattr(exc, "exit_code", FAILURE)
    return code if isinstance(code, int) else FAILURE
