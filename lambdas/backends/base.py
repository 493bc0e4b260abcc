"""The one interface both passkey backends implement.

A ceremony is begun in the Create trigger and completed in the Verify trigger, each in a
separate Lambda invocation; whatever the backend needs in between travels as the opaque
``Ceremony.state`` string in Cognito's private challenge parameters. ``complete_*`` return
only on success and raise :class:`~cognito_passkey.lambdas.errors.Rejected` otherwise.

``sub`` is the Cognito user's immutable id (the event's ``userAttributes.sub``, or the access
token's ``sub``). A user name may be reused once its user is deleted; a passkey belongs to
the ``sub`` it was registered for. In a ceremony a missing ``sub`` means no passkey is the
user's; in the management calls it means every passkey stored under the name (an
operator's view: the management API always passes the token's ``sub``).
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
    identified: bool = False
    """An early ID token proved who asks: the options may carry the user's own details (display
    name, passkeys to exclude). Otherwise they show only what a sign-in shows for the name."""
    unknown_user: bool = False
    """Cognito does not know the user (``userNotFound``): a sign-in would show decoys."""
    sub: str | None = None


class PasskeyBackend(Protocol):
    """Begins and completes WebAuthn ceremonies for Cognito users, and manages passkeys."""

    name: str

    def begin_authentication(
        self, username: str, *, decoy: bool = False, sub: str | None = None, sealed: bool = False
    ) -> Ceremony:
        """Assertion options for ``username``.

        ``sealed`` asks for a ceremony that stores nothing until it is answered (its state
        carries what the answer is checked against): for a round anyone may start. A
        backend whose ceremony lives elsewhere (LoginID's session) may ignore it.

        A user without passkeys (or ``decoy=True``) gets believable fake options whose
        answers always fail; the work done is the same, so timing tells nothing.
        """
        ...

    def complete_authentication(
        self, username: str, state: str, assertion: Assertion, *, sub: str | None = None
    ) -> None:
        """Accept the assertion or raise Rejected."""
        ...

    def begin_registration(self, request: RegistrationRequest, *, decoy: bool = False) -> Ceremony:
        """Creation options for a new passkey of ``request.username``."""
        ...

    def complete_registration(
        self, username: str, state: str, attestation: Attestation, *, sub: str | None = None
    ) -> None:
        """Store the new passkey or raise Rejected. Call only after the ID token is verified."""
        ...

    def list_passkeys(self, username: str, *, sub: str | None = None) -> list[Passkey]:
        """The user's passkeys, oldest first."""
        ...

    def rename_passkey(
        self, username: str, passkey_id: str, name: str, *, sub: str | None = None
    ) -> Passkey:
        """Rename one of the user's passkeys; Rejected(UNKNOWN_CREDENTIAL) when it is not theirs."""
        ...

    def delete_passkey(self, username: str, passkey_id: str, *, sub: str | None = None) -> None:
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
