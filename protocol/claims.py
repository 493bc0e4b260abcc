"""A JWT's payload read without checking it: for routing only (whose token, when it expires).

Written here rather than with ``jwt.decode(verify_signature=False)``: importing pyjwt loads
``cryptography``'s X.509 stack, which alone costs more than a whole cache-hit ``token`` run
may (about 100 ms), and an unchecked read is only base64url and JSON. Anything trusted goes
through :mod:`cognito_passkey.protocol.tokens`.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any, Final

MAX_TOKEN_CHARS: Final = 8192
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_URLSAFE: Final = str.maketrans("-_", "+/")


def _segment(text: str, what: str) -> Any:
    if not _SEGMENT.match(text):
        raise ValueError(f"not a JWT: the {what} is not base64url")
    try:
        # base64url by hand (what base64.urlsafe_b64decode does): the base64 module loads
        # struct and more for nothing here, and the segment is already checked above.
        padded = text.translate(_URLSAFE) + "=" * (-len(text) % 4)
        raw = binascii.a2b_base64(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not a JWT: the {what} is not base64url JSON") from exc


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of ``token`` (three base64url segments, a JSON header and payload object);
    ``ValueError`` naming what is wrong otherwise (never the token itself)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise ValueError("not a JWT: empty, not text, or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: it does not have three segments")
    header = _segment(parts[0], "header")
    if not isinstance(header, dict):
        raise ValueError("not a JWT: the header is not a JSON object")
    claims = _segment(parts[1], "payload")
    if not isinstance(claims, dict):
        raise ValueError("not a JWT: the payload is not a JSON object")
    return claims
