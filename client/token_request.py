"""What a token command was asked for, decided without click: whose tokens, which of them,
the stderr line naming a default user, and the cache to read.

The ``token``/``exec``/``sign-in`` commands and the cache-hit fast path
(:mod:`cognito_passkey.client.token_fast_path`, which runs before click is imported) both
decide through these functions, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from cognito_passkey.client.cache import CacheKey, TokenCache
    from cognito_passkey.client.config import Settings
    from cognito_passkey.client.token_text import Which

USER_ENV: Final = "COGNITO_PASSKEY_USER"


def default_user(settings: Settings) -> tuple[str, str] | None:
    """The profile's ``user`` (or COGNITO_PASSKEY_USER) and whose default it is; None without."""
    if not settings.user:
        return None
    from_env = bool(os.environ.get(USER_ENV, "").strip())
    return settings.user, USER_ENV if from_env else f"profile {settings.profile}"


def user_for(typed: str | None, settings: Settings) -> tuple[str, str] | None:
    """The user a command acts for and whose default it was (empty when typed); None for an
    empty typed name (never "some user") or, untyped, a profile without ``user``."""
    if typed is not None:
        return (typed, "") if typed.strip() else None
    return default_user(settings)


def tokens_wanted(output: str | None, which: str | None) -> Which | None:
    """The tokens to print for ``--output``/``--type``; None for ``-o token --type all``
    (one token only: a usage error)."""
    if output == "token" and which == "all":
        return None
    if which == "id" or which == "access" or which == "all":
        return cast("Which", which)
    return "id" if output == "token" else "all"


def whose_line(username: str, default_of: str, what: str) -> str | None:
    """The stderr line naming a user nobody typed (a default must never act unseen)."""
    return f"{what} of {username} ({default_of})" if default_of else None


def cache_for(
    settings: Settings,
    *,
    no_cache: bool = False,
    warn: Callable[[str], None] | None = None,
    quarantine: bool = True,
) -> tuple[TokenCache, CacheKey]:
    """The token cache (switched off by ``--no-cache``) and this profile's key in it."""
    from cognito_passkey.client.cache import CacheKey, TokenCache, warn_on_stderr

    settings.require_pool()
    assert settings.user_pool_id is not None and settings.client_id is not None
    key = CacheKey(
        profile=settings.profile,
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
        endpoint_url=settings.endpoint_url,
    )
    cache = TokenCache(
        enabled=False if no_cache else None,
        warn=warn or warn_on_stderr,
        quarantine=quarantine,
    )
    return cache, key
