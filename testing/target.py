"""Which user pool the fixtures use: a client profile, or the local AWS of this session.

A ``PoolTarget`` is plain data (JSON round trip) so that the xdist controller can hand the
local AWS it started to its workers. Nothing here imports boto3 or the client at module
level: the plugin loads this module with pytest itself.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

NOT_CONFIGURED = (
    "cognito-passkey: no user pool configured for the passkey fixtures "
    "(pass --passkey-profile NAME, set the ini option passkey_profile or "
    "COGNITO_PASSKEY_PROFILE, or run with --passkey-local)"
)
"""The one skip reason of every test that needs a pool when none is configured."""


@dataclass(frozen=True)
class PoolTarget:
    """The user pool and app client the fixtures create users in, and how to reach it."""

    user_pool_id: str
    client_id: str
    region: str
    rp_id: str | None = None
    origin: str | None = None
    endpoint_url: str | None = None
    management_url: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    local: bool = False
    """The local AWS: admin calls carry its dummy credentials instead of the caller's."""
    source: str = ""
    """Where it came from (``profile NAME`` or ``local AWS DIR``), for error messages."""
    flow: str = "custom"
    """How the pool signs in with a passkey: ``custom`` (the custom-auth triggers) or
    ``native`` (Cognito's own passkeys, docs/native-passkeys.md)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PoolTarget:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)

    @property
    def uses_dummy_credentials(self) -> bool:
        """True for the local AWS, also reached through a profile naming a loopback endpoint
        (``cognito-passkey local up`` writes one), where the caller's AWS credentials have
        no business going."""
        return self.local or _is_loopback(self.endpoint_url)


def check_flow(flow: str, *, source: str) -> str:
    """``flow`` when it is one of :data:`FLOWS`; a ``ConfigurationError`` naming ``source``
    otherwise."""
    from cognito_passkey.client.setting_names import FLOWS

    if flow not in FLOWS:
        from cognito_passkey.client.errors import ConfigurationError

        raise ConfigurationError(f"{source}: flow must be custom or native, not {flow!r}")
    return flow


def from_profile(name: str, *, flow: str | None = None) -> PoolTarget:
    """The pool of client profile ``name``, resolved as the CLI resolves it (flags aside:
    ``COGNITO_PASSKEY_<SETTING>`` over the profile's keys); a profile without a pool is a
    ``ConfigurationError`` naming what is missing."""
    from cognito_passkey.client.config import resolve

    settings = resolve(profile=name)
    settings.require_pool()
    chosen = flow or settings.flow or "custom"
    assert settings.user_pool_id and settings.client_id and settings.region
    return PoolTarget(
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
        region=settings.region,
        rp_id=settings.rp_id,
        origin=settings.origin,
        endpoint_url=settings.endpoint_url,
        management_url=settings.management_url,
        client_secret=settings.client_secret,
        source=f"profile {name}",
        flow=check_flow(chosen, source=f"profile {name}"),
    )


def from_settings(settings: dict[str, str], *, source: str) -> PoolTarget:
    """A target from a deployment's profile settings (``Deployment.profile_settings()``)."""
    return PoolTarget(
        user_pool_id=settings["user_pool_id"],
        client_id=settings["client_id"],
        region=settings["region"],
        rp_id=settings.get("rp_id"),
        origin=settings.get("origin"),
        endpoint_url=settings.get("endpoint_url"),
        management_url=settings.get("management_url"),
        local=True,
        source=source,
    )


def _is_loopback(url: str | None) -> bool:
    host = urlsplit(url).hostname if url else None
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
