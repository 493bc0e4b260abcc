"""The passkey management API: its routes, its JSON, its errors (a Lambda function URL).

``GET /passkeys`` -> 200 ``{"passkeys": [...]}``; ``PATCH /passkeys/{id}`` with
``{"name": "..."}`` -> 200 the passkey; ``DELETE /passkeys/{id}`` -> 204. Every request
carries ``Authorization: Bearer <Cognito access token>``; every error is
``{"error": "<code>", "message": "..."}``. The server (lambdas) and the client build and
read these shapes here, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

COLLECTION_PATH: Final = "/passkeys"
COLLECTION_ROUTE: Final = re.compile(r"^/passkeys/?$")
ITEM_ROUTE: Final = re.compile(r"^/passkeys/([A-Za-z0-9_-]{1,1400})/?$")
"""A passkey's path: its credential id, base64url."""
LIST_KEY: Final = "passkeys"
NAME_KEY: Final = "name"
ERROR_KEY: Final = "error"
MESSAGE_KEY: Final = "message"
MAX_PASSKEY_NAME: Final = 64


_FUNCTION_URL: Final = re.compile(r"^https://([a-z0-9]+)\.lambda-url\.[a-z0-9-]+\.on\.aws/?$")


def local_function_url(endpoint: str, function_url: str) -> str:
    """``https://<id>.lambda-url.<region>.on.aws/`` -> ``<endpoint>/_aws/lambda-url/<id>``.

    How the management URL a stack reports is reached through a local AWS (ministack): the
    AWS host name does not resolve to the local server, which routes function URLs by path.
    """
    match = _FUNCTION_URL.match(function_url)
    if match is None:
        return function_url.rstrip("/")
    return f"{endpoint.rstrip('/')}/_aws/lambda-url/{match.group(1)}"


def item_path(passkey_id: str) -> str:
    """The path of one passkey (its id percent-encoded, so it can never leave the route)."""
    return f"{COLLECTION_PATH}/{quote(passkey_id, safe='')}"


def error_body(code: str, message: str) -> dict[str, str]:
    """The JSON of an error reply."""
    return {ERROR_KEY: code, MESSAGE_KEY: message}


@dataclass(frozen=True)
class Passkey:
    """One registered passkey as the management API shows it."""

    id: str
    name: str
    created_at: str | None = None
    last_used_at: str | None = None
    sign_count: int | None = None
    aaguid: str | None = None
    transports: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The passkey's JSON object in a list or rename reply."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "sign_count": self.sign_count,
            "aaguid": self.aaguid,
            "transports": list(self.transports),
        }

    @classmethod
    def from_json(cls, data: Any) -> Passkey:
        """Read a passkey from a reply; ``ValueError`` when it has no id."""
        if not isinstance(data, Mapping) or "id" not in data:
            raise ValueError("a passkey in the management reply has no id")
        sign_count = data.get("sign_count")
        transports = data.get("transports") or ()
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            created_at=_optional_text(data.get("created_at")),
            last_used_at=_optional_text(data.get("last_used_at")),
            sign_count=sign_count
            if isinstance(sign_count, int) and not isinstance(sign_count, bool)
            else None,
            aaguid=_optional_text(data.get("aaguid")),
            transports=tuple(t for t in transports if isinstance(t, str))
            if isinstance(transports, (list, tuple))
            else (),
        )


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)
