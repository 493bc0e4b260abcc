"""Which origin goes into the client data, and whether it may speak for an RP ID.

A browser only lets a page at ``https://login.example.com`` use the RP ID
``example.com`` (or ``login.example.com``); we apply the same rule to desktop
origins so a passkey made here also works on the web. Native apps use origins
that are not URLs (``android:apk-key-hash:...``, ``ios:bundle-id:...``); those
carry no host to compare, so they are accepted only when the caller asks.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from fido2.rpid import verify_rp_id

from .errors import OriginError


def default_origin(rp_id: str) -> str:
    """The origin a browser would use on the RP ID's own host."""
    return f"https://{rp_id}"


def is_url_origin(origin: str) -> bool:
    """True when ``origin`` looks like a web origin (``scheme://host``)."""
    return "://" in origin


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_origin(origin: str, rp_id: str, *, allow_app_origin: bool = False) -> None:
    """Raise OriginError unless ``origin`` may use ``rp_id`` (the browser rule).

    URL origins must be https (or http on localhost), with a host equal to the
    RP ID or one of its subdomains; an RP ID that is a public suffix (``com``,
    ``co.uk``) is never valid. Non-URL app origins pass only with
    ``allow_app_origin``. The host rule is python-fido2's ``verify_rp_id``; the
    checks around it are the ones it leaves out (it parses any string as a URL).

    The answer depends on the three arguments only (the public suffix list is
    python-fido2's, fixed at import), so a pair that passed is remembered: each
    ceremony checks its origin twice, ours and the client data collector's.
    A pair that fails is checked, and raises, every time.
    """
    _check_origin(origin, rp_id, allow_app_origin)


@functools.lru_cache(maxsize=256)
def _check_origin(origin: str, rp_id: str, allow_app_origin: bool) -> bool:
    """The check itself: True, or OriginError (which lru_cache does not keep)."""
    if not rp_id or rp_id != rp_id.strip() or "/" in rp_id or ":" in rp_id.strip("[]"):
        raise OriginError(
            f"RP ID {rp_id!r} is not a domain name; use the bare host, e.g. 'example.com'."
        )
    if not origin or origin != origin.strip() or any(ord(c) < 0x20 for c in origin):
        raise OriginError(f"Origin {origin!r} is empty or contains whitespace/control characters.")
    if not is_url_origin(origin):
        if allow_app_origin:
            return True
        raise OriginError(
            f"Origin {origin!r} is not an https URL. App origins such as "
            "'android:apk-key-hash:...' or 'ios:bundle-id:...' are accepted only when "
            "app origins are allowed (allow_app_origin=True); otherwise use an origin "
            f"like {default_origin(rp_id)!r}."
        )
    parts = urlsplit(origin)
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError as exc:
        raise OriginError(f"Origin {origin!r} is not a valid URL: {exc}.") from exc
    if not host:
        raise OriginError(f"Origin {origin!r} has no host.")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise OriginError(
            f"Origin {origin!r} must be scheme://host[:port] only (no path, query or user)."
        )
    # fido2's rule accepts any origin for its own host exactly when it is a secure context.
    if not verify_rp_id(host, origin):
        raise OriginError(
            f"Origin {origin!r} must use https (plain http is allowed only for localhost)."
        )
    rp = rp_id.lower().rstrip(".")
    # fido2 would let an IP address be a "subdomain" (10.0.0.1 of 0.0.1); a browser does not.
    if verify_rp_id(rp, origin) and (host == rp or not _is_ip_address(host)):
        return True
    raise OriginError(
        f"Origin {origin!r} may not use RP ID {rp_id!r}: the origin's host must be "
        f"{rp!r} or a subdomain of it (for example {default_origin(rp)!r})."
    )


def rp_id_verifier(*, allow_app_origin: bool = False) -> Callable[[str, str], bool]:
    """A ``verify(rp_id, origin)`` for fido2's DefaultClientDataCollector."""

    def verify(rp_id: str, origin: str) -> bool:
        try:
            check_origin(origin, rp_id, allow_app_origin=allow_app_origin)
        except OriginError:
            return False
        return True

    return verify
