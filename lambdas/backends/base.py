"""The one interface both passkey backends implement.

A ceremony is begun in the Create trigger and completed in the Verify trigger, each in a
separate Lambda invocation; whatever the backend needs in between travels as the opaque
``Ceremony.state`` string in Cognito's private challenge parameters. ``complete_*`` return
only on success and raise :class:`~cognito_passkey.lambdas.errors.Rejected` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.answers import Assertion, Attestation
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.protocol.management import MAX_PASSKEY_NAME, Passkey


@dataclass(frozen=True)
class Ceremony:
    """WebAuthn options to show the client, and the state to keep private."""

    options: dict[str, Any]
    state: str


@dataclass(frozen=True)
class RegistrationRequest:
    """What the Create trigger knows when a passkey is to be added."""

    username: str
    display_name: str
    timeout_ms: int | None = None
    require_resident_key: bool = False


class PasskeyBackend(Protocol):
    """Begins and completes WebAuthn ceremonies for Cognito users, and manages passkeys."""

    name: str

    def begin_authentication(self, username: str, *, decoy: bool = False) -> Ceremony:
        """Assertion options for ``username``.

        A user without passkeys (or ``decoy=True``) gets believable fake options whose
        answers always fail; the work done is the same, so timing tells nothing.
        """
        ...

    def complete_authentication(self, username: str, state: str, assertion: Assertion) -> None:
        """Accept the assertion or raise Rejected."""
        ...

    def begin_registration(self, request: RegistrationRequest, *, decoy: bool = False) -> Ceremony:
        """Creation options for a new passkey of ``request.username``."""
        ...

    def complete_registration(self, username: str, state: str, attestation: Attestation) -> None:
        """Store the new passkey or raise Rejected. Call only after the ID token is verified."""
        ...

    def list_passkeys(self, username: str) -> list[Passkey]:
        """The user's passkeys, oldest first."""
        ...

    def rename_passkey(self, username: str, passkey_id: str, name: str) -> Passkey:
        """Rename one of the user's passkeys; Rejected(UNKNOWN_CREDENTIAL) when it is not theirs."""
        ...

    def delete_passkey(self, username: str, passkey_id: str) -> None:
        """Delete one of the user's passkeys; Rejected(UNKNOWN_CREDENTIAL) when it is not theirs."""
        ...


def check_passkey_name(name: Any) -> str:
    """A passkey name: 1 to ``MAX_PASSKEY_NAME`` printable characters, stripped."""
    if (
        not isinstance(name, str)
        or not 0 < len(name.strip()) <= MAX_PASSKEY_NAME
        or not name.isprintable()
    ):
        raise Rejected(errors.BAD_ANSWER, f"a name is 1 to {MAX_PASSKEY_NAME} printable characters")
    return name.strip()


def options_json(options: Mapping[str, Any]) -> dict[str, Any]:
    """Plain JSON types only (python-fido2 option objects hold str enums)."""
    import json

    result: dict[str, Any] = json.loads(json.dumps(dict(options)))
    return result
