"""An authenticator opened on first use.

A cached sign-in must not load python-fido2 or look for a USB key, so the
client holds this stand-in and opens the real authenticator (``usb`` or
``soft:PATH``) only when a ceremony actually needs it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognito_passkey.authenticator.base import Authenticator


def is_app_origin(origin: str | None) -> bool:
    """True for a native app origin (``android:apk-key-hash:...``), not a URL."""
    return bool(origin) and "://" not in (origin or "")


class LazyAuthenticator:
    """Opens ``spec`` through ``open_authenticator`` the first time it is asked.

    ``interactive=None`` asks when stdin and stderr are terminals, for a software
    store too: its PIN (unless ``COGNITO_PASSKEY_PIN`` is set) and an encrypted store's
    passphrase (unless ``COGNITO_PASSKEY_SOFT_PASSPHRASE`` is) are then typed, hidden,
    once per run. ``create_store`` lets ``soft:PATH``
    name a store that does not exist yet; ``plug_in_timeout_s`` is how long ``usb``
    at a terminal waits for a key to be plugged in.
    """

    def __init__(
        self,
        spec: str = "usb",
        *,
        origin: str | None = None,
        interactive: bool | None = None,
        create_store: bool = False,
        plug_in_timeout_s: float | None = None,
    ) -> None:
        self.spec = spec
        self.origin = origin
        self.interactive = interactive
        self.create_store = create_store
        self.plug_in_timeout_s = plug_in_timeout_s
        self._inner: Authenticator | None = None

    def __repr__(self) -> str:
        return f"LazyAuthenticator({self.spec!r})"

    def _open(self) -> Authenticator:
        if self._inner is None:
            from cognito_passkey.authenticator import open_authenticator
            from cognito_passkey.authenticator.factory import SOFT_PREFIX
            from cognito_passkey.authenticator.interaction import (
                PIN_ENV,
                passphrase_reader,
                stdio_is_interactive,
            )

            interactive = stdio_is_interactive() if self.interactive is None else self.interactive
            soft = self.spec.strip().startswith(SOFT_PREFIX)
            self._inner = open_authenticator(
                self.spec,
                # A software store's PIN set in the environment is used at a terminal too.
                pin=(os.environ.get(PIN_ENV) or None) if soft and interactive else None,
                origin=self.origin,
                allow_app_origin=is_app_origin(self.origin),
                interactive=interactive,
                create=self.create_store,
                ask_passphrase=passphrase_reader() if interactive else None,
                plug_in_timeout_s=self.plug_in_timeout_s,
            )
        return self._inner

    def open(self) -> Authenticator:
        """Open it now, so that a missing store or key fails before anything is created."""
        return self._open()

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self._open().create(options, origin=origin, rp_id=rp_id)

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self._open().get(options, origin=origin, rp_id=rp_id)


def configure(
    authenticator: object,
    *,
    create_store: bool | None = None,
    plug_in_timeout_s: float | None = None,
) -> None:
    """Set what a command's flags say (``--create-store``, ``--timeout``) on a client's
    not-yet-opened authenticator; any other authenticator is left as it is."""
    if not isinstance(authenticator, LazyAuthenticator):
        return
    if create_store is not None:
        authenticator.create_store = create_store
    if plug_in_timeout_s is not None:
        authenticator.plug_in_timeout_s = plug_in_timeout_s
