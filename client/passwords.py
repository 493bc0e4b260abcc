"""The throw-away password a passkey sign-up needs (Cognito insists on one).

It satisfies Cognito's strictest default policy (upper, lower, digit, symbol),
is long, and comes from ``secrets``. It is used for exactly one sign-in and
never shown, logged or stored.
"""

from __future__ import annotations

import secrets
import string
from typing import Final

SYMBOLS: Final = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
"""Cognito's accepted special characters, minus quotes, backslash, backtick and space."""

MIN_LENGTH: Final = 24


def generate_password(length: int = 32) -> str:
    """A random password of ``length`` (at least 24) with each character class present."""
    if length < MIN_LENGTH:
        raise ValueError(f"a generated password must be at least {MIN_LENGTH} characters")
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
    alphabet = "".join(classes)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(ch in group for ch in candidate) for group in classes):
            return candidate
