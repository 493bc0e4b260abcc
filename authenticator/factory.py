"""open_authenticator: an Authenticator from a short spec (config, CLI flag).

``usb`` (the default) drives plugged-in security keys; ``soft:PATH`` the
software authenticator with its store at PATH; ``soft:env`` one whose store comes
from ``COGNITO_PASSKEY_SOFT_STORE`` (kept in memory). ``soft:`` with no path is refused:
a passkey registered into memory would be lost with the process. Code that wants a
throwaway key builds ``SoftAuthenticator()`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .base import Authenticator
from .errors import AuthenticatorError

USB_SPEC = "usb"
SOFT_PREFIX = "soft:"
SOFT_ENV_SPEC = "soft:env"


def open_authenticator(
    spec: str = USB_SPEC,
    *,
    interactive: bool | None = None,
    pin: str | None = None,
    origin: str | None = None,
    allow_app_origin: bool = False,
    passphrase: str | None = None,
    create: bool = False,
    ask_passphrase: Callable[[str], str] | None = None,
    plug_in_timeout_s: float | None = None,
) -> Authenticator:
    """Build the authenticator ``spec`` names.

    ``interactive=None`` means: ask at the terminal when stdin and stderr are
    terminals (USB keys). The software authenticator never asks unless
    ``interactive=True``. Without a terminal the PIN comes from ``pin`` or
    ``COGNITO_PASSKEY_PIN``; a soft store's passphrase from ``passphrase`` or
    ``COGNITO_PASSKEY_SOFT_PASSPHRASE`` (else ``ask_passphrase(prompt)`` when given).

    ``soft:PATH`` must name an existing store unless ``create`` (``soft create`` makes
    one). ``usb`` at a terminal waits up to ``plug_in_timeout_s`` (default 30 s; 0 fails
    at once) for a key to be plugged in.
    """
    spec = (spec or USB_SPEC).strip()
    if spec == USB_SPEC:
        from .fido2_authenticator import ClientAuthenticator

        return ClientAuthenticator(
            origin=origin,
            allow_app_origin=allow_app_origin,
            interactive=interactive,
            pin=pin,
            plug_in_timeout_s=plug_in_timeout_s,
        )
    if spec.startswith(SOFT_PREFIX):
        from .interaction import TerminalInteraction
        from .soft_authenticator import SoftAuthenticator, open_env_store

        interaction = TerminalInteraction(
            interactive=bool(interactive), pin=pin, announce_touch=False
        )
        if spec == SOFT_ENV_SPEC:
            return SoftAuthenticator(
                open_env_store(passphrase=passphrase),
                origin=origin,
                allow_app_origin=allow_app_origin,
                interaction=interaction,
            )
        # A shell leaves "~" in "soft:~/key.json" alone, so expand it here.
        path = os.path.expanduser(spec[len(SOFT_PREFIX) :].strip())
        if not path:
            # An in-memory store would forget a passkey registered with it, leaving the
            # account with a credential nobody holds: a store file is required here.
            raise AuthenticatorError(
                "'soft:' needs the path of a key store file, e.g. 'soft:~/qa-key.json'."
            )
        return SoftAuthenticator(
            path,
            passphrase=passphrase,
            origin=origin,
            allow_app_origin=allow_app_origin,
            interaction=interaction,
            create=create,
            ask_passphrase=ask_passphrase,
        )
    raise AuthenticatorError(
        f"Unknown authenticator {spec!r}: use 'usb' or 'soft:PATH' (a software key store file; "
        "'soft:env' for one in $COGNITO_PASSKEY_SOFT_STORE)."
    )
