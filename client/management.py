"""Client of the self-hosted backend's passkey management API (a Lambda function URL).

``GET /passkeys``, ``PATCH /passkeys/{id}`` ``{"name"}``, ``DELETE /passkeys/{id}``,
each with ``Authorization: Bearer <access token>``. Errors come back as
``{"error", "message"}`` and become typed exceptions.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

from cognito_passkey.client.errors import (
    ManagementAuthError,
    ManagementError,
    ManagementNotConfiguredError,
    NetworkError,
    PasskeyNotFoundError,
    ProtocolError,
)

MAX_REPLY_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class Passkey:
    """One registered passkey as the management API lists it."""

    id: str
    name: str
    created_at: str | None = None
    last_used_at: str | None = None
    sign_count: int | None = None
    aaguid: str | None = None
    transports: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Passkey:
        try:
            passkey_id = data["id"]
        except (KeyError, TypeError) as exc:
            raise ProtocolError("a passkey in the management reply has no id") from exc
        transports = data.get("transports") or ()
        return cls(
            id=str(passkey_id),
            name=str(data.get("name") or ""),
            created_at=_opt_str(data.get("created_at")),
            last_used_at=_opt_str(data.get("last_used_at")),
            sign_count=data.get("sign_count") if isinstance(data.get("sign_count"), int) else None,
            aaguid=_opt_str(data.get("aaguid")),
            transports=tuple(str(t) for t in transports if isinstance(t, str)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "sign_count": self.sign_count,
            "aaguid": self.aaguid,
            "transports": list(self.transports),
        }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the access token must not travel to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


class PasskeyManager:
    """Lists, renames and deletes the signed-in user's passkeys."""

    def __init__(self, management_url: str | None, access_token: str, *, timeout: float = 30.0):
        if not management_url:
            raise ManagementNotConfiguredError(
                "no management URL is configured (set management_url in the profile, "
                "COGNITO_PASSKEY_MANAGEMENT_URL, or --management-url); the self-hosted "
                "backend's stack outputs it"
            )
        parts = urlsplit(management_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ManagementNotConfiguredError(
                f"management URL {management_url!r} is not an http(s) URL"
            )
        self.base_url = management_url.rstrip("/")
        self._access_token = access_token
        self.timeout = timeout

    def list(self) -> list[Passkey]:
        """Every passkey of the user."""
        reply = self._request("GET", "/passkeys")
        items = reply.get("passkeys") if isinstance(reply, dict) else None
        if not isinstance(items, list):
            raise ProtocolError("the management API's list reply has no passkeys array")
        return [Passkey.from_dict(item) for item in items]

    def rename(self, passkey_id: str, name: str) -> Passkey:
        """Give a passkey a new name; returns it as stored."""
        if not name.strip():
            raise ManagementError("a passkey name cannot be empty", status=0, code="bad_request")
        reply = self._request("PATCH", f"/passkeys/{quote(passkey_id, safe='')}", {"name": name})
        if not isinstance(reply, dict):
            raise ProtocolError("the management API's rename reply is not an object")
        return Passkey.from_dict(reply)

    def delete(self, passkey_id: str) -> None:
        """Remove a passkey; it can no longer sign in."""
        self._request("DELETE", f"/passkeys/{quote(passkey_id, safe='')}")

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Authorization": f"Bearer {self._access_token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - the URL's scheme is checked above
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with _opener.open(request, timeout=self.timeout) as reply:
                raw = reply.read(MAX_REPLY_BYTES)
        except urllib.error.HTTPError as exc:
            raise _error_from(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise NetworkError(
                f"cannot reach the management API at {self.base_url}: {exc}"
            ) from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ProtocolError("the management API answered something that is not JSON") from exc


def _error_from(exc: urllib.error.HTTPError) -> ManagementError:
    code, message = "", ""
    try:
        document = json.loads(exc.read(64 * 1024) or b"{}")
        if isinstance(document, dict):
            code = str(document.get("error") or "")
            message = str(document.get("message") or "")
    except (ValueError, OSError):
        pass
    finally:
        exc.close()
    text = message or code or exc.reason or "error"
    if exc.code == 401:
        return ManagementAuthError(
            f"the management API refused the access token: {text} (sign in again)",
            status=401,
            code=code,
        )
    if exc.code == 404:
        return PasskeyNotFoundError(f"no such passkey: {text}", status=404, code=code)
    return ManagementError(
        f"the management API answered {exc.code}: {text}", status=exc.code, code=code
    )
