"""Client of the self-hosted backend's passkey management API (a Lambda function URL).

The routes, the passkey JSON and the error body are :mod:`cognito_passkey.protocol.management`
(the server builds them from the same module); here they travel over HTTP with
``Authorization: Bearer <access token>``, and errors become typed exceptions.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from cognito_passkey.client.errors import (
    ManagementAuthError,
    ManagementError,
    ManagementNotConfiguredError,
    ManagementUrlError,
    NetworkError,
    PasskeyNotFoundError,
    ProtocolError,
)
from cognito_passkey.protocol import management as api
from cognito_passkey.protocol.management import Passkey

__all__ = ["Passkey", "PasskeyManager", "check_management_url"]

MAX_REPLY_BYTES: Final = 1024 * 1024


def check_management_url(management_url: str | None) -> str:
    """The management API's base URL; ``ManagementNotConfiguredError`` when unset or not
    http(s). Callers check before a sign-in, so a missing URL never costs a touch of the key."""
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
    return management_url.rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the access token must not travel to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


class PasskeyManager:
    """Lists, renames and deletes the signed-in user's passkeys."""

    def __init__(self, management_url: str | None, access_token: str, *, timeout: float = 30.0):
        self.base_url = check_management_url(management_url)
        self._access_token = access_token
        self.timeout = timeout

    def list(self) -> list[Passkey]:
        """Every passkey of the user."""
        reply = self._request("GET", api.COLLECTION_PATH)
        items = reply.get(api.LIST_KEY) if isinstance(reply, dict) else None
        if not isinstance(items, list):
            raise ProtocolError("the management API's list reply has no passkeys array")
        return [_passkey(item) for item in items]

    def rename(self, passkey_id: str, name: str) -> Passkey:
        """Give a passkey a new name; returns it as stored."""
        if not name.strip():
            raise ManagementError("a passkey name cannot be empty", status=0, code="bad_request")
        reply = self._request(
            "PATCH", api.item_path(passkey_id), {api.NAME_KEY: name}, passkey_id=passkey_id
        )
        if not isinstance(reply, dict):
            raise ProtocolError("the management API's rename reply is not an object")
        return _passkey(reply)

    def delete(self, passkey_id: str) -> None:
        """Remove a passkey; it can no longer sign in."""
        self._request("DELETE", api.item_path(passkey_id), passkey_id=passkey_id)

    def find(self, passkey_id: str) -> Passkey:
        """The passkey with this id; ``PasskeyNotFoundError`` when the user has none."""
        return find_passkey(self.list(), passkey_id)

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        passkey_id: str | None = None,
    ) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Authorization": f"Bearer {self._access_token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - check_management_url allows http(s) only
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with _opener.open(request, timeout=self.timeout) as reply:
                raw = reply.read(MAX_REPLY_BYTES)
        except urllib.error.HTTPError as exc:
            raise _error_from(exc, self.base_url + path, passkey_id) from None
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


def _passkey(data: Any) -> Passkey:
    try:
        return Passkey.from_json(data)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from exc


def _not_found(passkey_id: str) -> str:
    return f"no such passkey {passkey_id} for this user (see `passkeys list`)"


def _error_from(exc: urllib.error.HTTPError, url: str, passkey_id: str | None) -> ManagementError:
    """The typed error for an HTTP error; each message says its fact once."""
    code, message = "", ""
    try:
        document = json.loads(exc.read(64 * 1024) or b"{}")
        if isinstance(document, dict):
            code = str(document.get(api.ERROR_KEY) or "")
            message = str(document.get(api.MESSAGE_KEY) or "")
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
    if exc.code == 404 and passkey_id is not None and code == "not_found":
        return PasskeyNotFoundError(_not_found(passkey_id), status=404, code=code)
    if exc.code == 404:
        return ManagementUrlError(
            f"no management API at {url} (HTTP 404: {text}): check management_url",
            status=404,
            code=code,
        )
    return ManagementError(
        f"the management API answered {exc.code}: {text}", status=exc.code, code=code
    )


def find_passkey(items: Iterable[Passkey], passkey_id: str) -> Passkey:
    """The passkey with this id among ``items``; ``PasskeyNotFoundError`` when none has it."""
    for item in items:
        if item.id == passkey_id:
            return item
    raise PasskeyNotFoundError(_not_found(passkey_id), status=404, code="not_found")
