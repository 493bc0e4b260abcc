"""Every error the client raises, in one place.

Cognito's error codes are mapped to classes a caller can catch and a person can
act on; each family carries its CLI exit code as ``exit_code``. Errors from the authenticator
(``cognito_passkey.authenticator.errors``) are not wrapped: they pass through
unchanged.
"""

from __future__ import annotations

from cognito_passkey.client import exit_codes


class PasskeyClientError(Exception):
    """Base class for every client error."""

    exit_code: int = exit_codes.FAILURE
    code: str = ""
    """The service's error code when the error is its answer (Cognito's, like
    ``ResourceNotFoundException``), else empty."""


class ConfigurationError(PasskeyClientError):
    """The client is missing a setting, or a setting is malformed."""

    exit_code: int = exit_codes.CONFIG


class ManagementNotConfiguredError(ConfigurationError):
    """No management URL is configured, so passkeys cannot be listed or changed."""


class AuthenticationError(PasskeyClientError):
    """Sign-in (or a step that needs a signed-in user) failed."""

    exit_code: int = exit_codes.AUTH_FAILED


class NotAuthorizedError(AuthenticationError):
    """Cognito refused the credentials (wrong passkey, wrong password, disabled user)."""


class PasskeyRefusedError(NotAuthorizedError):
    """The triggers refused a passkey answer.

    Cognito words every refusal as "Incorrect username or password" and the triggers never
    say why (no oracle: docs/protocol.md, "The trigger events"), so the client names the
    causes a person can act on instead.
    """


class UserNotFoundError(AuthenticationError):
    """The user pool has no such user."""


class UserNotConfirmedError(AuthenticationError):
    """The user signed up but is not confirmed yet."""


class PasswordResetRequiredError(AuthenticationError):
    """The user must reset their password before signing in."""


class SessionExpiredError(AuthenticationError):
    """The sign-in session is invalid or expired (sessions last a few minutes): start again."""


class TriggerError(AuthenticationError):
    """A user pool trigger failed: a failed sign-in (docs/protocol.md, "The trigger events")."""


class UnexpectedChallengeError(AuthenticationError):
    """Cognito asked for a challenge this client does not answer."""


class ProtocolError(PasskeyClientError):
    """Cognito or a trigger answered something that is not the expected wire format."""


class TokenError(PasskeyClientError):
    """A token is malformed, not ours, or expired."""

    exit_code: int = exit_codes.AUTH_FAILED


class TokenExpiredError(TokenError):
    """The token's ``exp`` is in the past."""


class SignUpError(PasskeyClientError):
    """Sign-up or confirmation failed."""


class UsernameExistsError(SignUpError):
    """A user with this username already exists."""


class InvalidPasswordError(SignUpError):
    """The generated password does not satisfy the user pool's policy."""


class CodeMismatchError(SignUpError):
    """The confirmation code is wrong."""


class CodeExpiredError(SignUpError):
    """The confirmation code has expired: ask for a new one."""


class InvalidParameterError(PasskeyClientError):
    """Cognito rejected a parameter (a missing attribute, a malformed username, ...)."""


class ThrottledError(PasskeyClientError):
    """Cognito kept throttling the requests after every retry."""

    exit_code: int = exit_codes.NETWORK


class NetworkError(PasskeyClientError):
    """The service could not be reached."""

    exit_code: int = exit_codes.NETWORK


class CognitoError(PasskeyClientError):
    """Any other error Cognito answered; ``code`` is Cognito's error code, ``detail`` its
    message."""

    def __init__(self, message: str, *, code: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail


class ManagementError(PasskeyClientError):
    """The passkey management API answered an error."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ManagementAuthError(ManagementError, AuthenticationError):
    """The management API refused the access token (401): sign in again."""


class ManagementUrlError(ManagementError, ConfigurationError):
    """The management URL answers, but not as the management API (a 404 for its routes)."""


class PasskeyNotFoundError(ManagementError):
    """No passkey with that id belongs to the signed-in user (exit 1, like an unknown
    ``soft delete`` credential: ``exit_codes.FAILURE``)."""
