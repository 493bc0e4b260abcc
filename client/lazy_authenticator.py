"""An authenticator opened on first use.

A cached sign-in must not load python-fido2 or look for a USB key, so the
client holds this stand-in and opens the real authenticator (``usb`` or
``soft:PATH``) only when a ceremony actually needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognito_passkey.authenticator.base import Authenticator


def is_app_origin(origin: str | None) -> bool:
    """True for a native app origin (``android:apk-key-hash:...``), not a URL."""
    return bool(origin) and "://" not in (origin or "")


class LazyAuthenticator:
    """Opens ``spec`` through ``open_authenticator`` the first time it is asked."""

    def __init__(
        self, spec: str = "usb", *, origin: str | None = None, interactive: bool | None = None
    ) -> None:
        self.spec = spec
        self.origin = origin
        self.interactive = interactive  # None: ask when stdin and stderr are terminals
        self._inner: Authenticator | None = None

    def __repr__(self) -> str:
        return f"LazyAuthenticator({self.spec!r})"

    def _open(self) -> Authenticator:
        if self._inner is None:
            from cognito_passkey.authenticator import open_authenticator

            self._inner = open_authenticator(
                self.spec,
                origin=self.origin,
                allow_app_origin=is_app_origin(self.origin),
                interactive=self.interactive,
            )
        return self._inner

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self._open().create(options, origin=origin, rp_id=rp_id)

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self._open().get(options, origin=origin, rp_id=rp_id)
