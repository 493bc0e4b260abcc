"""How the software authenticator presents itself and how a "person" answers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from threading import Event
from typing import Any, Final, Literal

from fido2.webauthn import Aaguid

from .keys import ALG_EDDSA, ALG_ES256, ALG_RS256, SUPPORTED_ALGORITHMS

SOFT_AAGUID: Final = Aaguid.parse("e5eeefb6-6e46-4057-ba36-6bc8f6a89f76")
"""The AAGUID of this software authenticator (a relying party can tell it from a hardware key)."""

DEFAULT_PRODUCT_NAME: Final = "cognito-passkey software authenticator"


@dataclass(frozen=True)
class UserRequest:
    """What the authenticator asks the simulated person to do.

    ``operation`` is ``"makeCredential"``, ``"getAssertion"``, ``"selection"``,
    ``"reset"`` or ``"uv"``; ``event`` is set when the platform cancels.
    """

    operation: str
    rp_id: str | None
    event: Event


UserCheck = Callable[[UserRequest], bool]
"""Answers a presence (touch) or verification request: True = done, False = no answer."""


def always_approve(request: UserRequest) -> bool:
    """The headless person: touches and is verified at once."""
    return True


@dataclass(frozen=True)
class AuthenticatorConfig:
    """Capabilities, as a real key would report them in authenticatorGetInfo.

    ``builtin_uv`` is a built-in verification method (like a fingerprint reader)
    that ``user_verification`` answers; off gives a PIN-only key. Once a PIN is
    set it is offered only if the store enables it (``DeviceState.builtin_uv``). With
    ``make_cred_uv_not_required`` a non-discoverable credential can be made
    without UV even when a PIN is set (CTAP 2.1 makeCredUvNotRqd).
    """

    aaguid: bytes = SOFT_AAGUID
    builtin_uv: bool = True
    client_pin: bool = True
    resident_keys: bool = True
    algorithms: tuple[int, ...] = (ALG_ES256, ALG_EDDSA, ALG_RS256)
    attestation: Literal["packed", "none"] = "packed"
    backup_eligible: bool = False
    backed_up: bool = False
    make_cred_uv_not_required: bool = True
    max_creds_in_list: int = 8
    token_lifetime: float = 30.0
    product_name: str = DEFAULT_PRODUCT_NAME

    def __post_init__(self) -> None:
        if len(self.aaguid) != 16:
            raise ValueError("aaguid must be 16 bytes")
        if not self.algorithms or any(a not in SUPPORTED_ALGORITHMS for a in self.algorithms):
            raise ValueError(f"algorithms must be a non-empty subset of {SUPPORTED_ALGORITHMS}")
        if self.attestation not in ("packed", "none"):
            raise ValueError("attestation must be 'packed' or 'none'")
        if self.backed_up and not self.backup_eligible:
            raise ValueError("backed_up requires backup_eligible")
        if self.max_creds_in_list < 1 or self.token_lifetime <= 0:
            raise ValueError("max_creds_in_list and token_lifetime must be positive")

    @classmethod
    def pin_only(cls, **changes: Any) -> AuthenticatorConfig:
        """A key with a PIN and no built-in verification (a typical USB key)."""
        return replace(cls(builtin_uv=False, client_pin=True), **changes)


__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "ALG_RS256",
    "DEFAULT_PRODUCT_NAME",
    "SOFT_AAGUID",
    "AuthenticatorConfig",
    "UserCheck",
    "UserRequest",
    "always_approve",
]
