"""Every error an authenticator raises, in one place (after py_webauthn).

The client passes these through unchanged, and each family carries its CLI exit
code as ``exit_code``; each failure a person can meet has its own class and a
message that says what to do.
"""

from __future__ import annotations


class AuthenticatorError(Exception):
    """Base class: the authenticator could not complete the operation."""

    exit_code: int = 3  # AUTH_FAILED in the CLI's table (cognito_passkey.client.exit_codes)


class NoAuthenticatorError(AuthenticatorError):
    """No security key is plugged in (or none can be opened)."""

    exit_code: int = 4  # NO_AUTHENTICATOR


class PinError(AuthenticatorError):
    """Base class for PIN problems."""


class PinInvalidError(PinError):
    """The PIN was wrong; ``retries`` tries are left (None when unknown)."""

    def __init__(self, message: str, retries: int | None = None) -> None:
        super().__init__(message)
        self.retries = retries


class PinBlockedError(PinError):
    """No PIN tries are left (or the key must be re-plugged before the next try)."""


class PinRequiredError(PinError):
    """A PIN is needed but none can be asked for (non-interactive) or given."""

    exit_code: int = 2  # USAGE: an input the run cannot ask for, like any other prompt


class PinNotSetError(PinError):
    """User verification is required but the key has no PIN configured."""


class UserVerificationError(AuthenticatorError):
    """The authenticator could not verify the user (UV failed or unavailable)."""


class CancelledError(AuthenticatorError):
    """The person cancelled (Ctrl-C) or the key refused the operation."""


class InterruptedByUserError(CancelledError):
    """Ctrl-C during a key operation (PIN prompt, touch wait); the keys were released."""

    exit_code: int = 130  # INTERRUPTED


class AuthenticatorTimeoutError(AuthenticatorError):
    """No touch or answer came within the options' timeout."""


class NoCredentialsError(AuthenticatorError):
    """The authenticator holds no credential this relying party accepts."""

    exit_code: int = 4  # NO_AUTHENTICATOR


class CredentialExcludedError(AuthenticatorError):
    """The authenticator already holds one of the excluded credentials."""


class OriginError(AuthenticatorError):
    """The origin is not valid for the relying party ID."""

    exit_code: int = 5  # CONFIG


class CredentialStoreError(AuthenticatorError):
    """The software authenticator's credential store cannot be used."""

    exit_code: int = 5  # CONFIG


class StoreCorruptedError(CredentialStoreError):
    """The store file is damaged or not ours; it is left untouched."""


class StoreLockedError(CredentialStoreError):
    """The store is encrypted and the passphrase is missing or wrong."""


class StorePassphraseRequiredError(StoreLockedError):
    """The store is encrypted and nobody can be asked for its passphrase."""

    exit_code: int = 2  # USAGE: an input the run cannot ask for


class StoreNotFoundError(CredentialStoreError):
    """No store file at the path (a store is made only by an explicit create)."""


class WeakPassphraseError(CredentialStoreError):
    """A new encrypted store's passphrase is too short to stand up to guessing."""


class InvalidOptionsError(AuthenticatorError):
    """The WebAuthn options from the server are malformed or incomplete."""


class StorePermissionError(CredentialStoreError):
    """The store file can be read or written by other users; it is not used until fixed."""
