"""The names of the settings: profile keys, their environment variables, the profile default.

Apart from :mod:`cognito_passkey.client.config` (which reads and checks them) so that the
CLI can build its options, ``--help`` included, without loading the config machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

APP_NAME: Final = "cognito-passkey"
ENV_PREFIX: Final = "COGNITO_PASSKEY_"
ENV_CONFIG: Final = "COGNITO_PASSKEY_CONFIG"
ENV_PROFILE: Final = "COGNITO_PASSKEY_PROFILE"
DEFAULT_PROFILE: Final = "default"
NO_CACHE_ENV: Final = "COGNITO_PASSKEY_NO_CACHE"
DEBUG_ENV: Final = "COGNITO_PASSKEY_DEBUG"
"""Set (and not 0): an unexpected error prints its traceback, as ``--debug`` does."""


def debug_from_env(environ: Mapping[str, str]) -> bool:
    """True when :data:`DEBUG_ENV` asks for tracebacks."""
    return environ.get(DEBUG_ENV, "") not in ("", "0")


"""Set to 1 (true, yes, on): neither read nor write the token cache (``--no-cache``)."""

PROFILE_KEYS: Final = (
    "user_pool_id",
    "client_id",
    "region",
    "endpoint_url",
    "client_secret",
    "authenticator",
    "origin",
    "rp_id",
    "management_url",
    "identity_pool_id",
    "user",
    "flow",
)
"""Every key a profile may hold (contracts: the config API)."""

FLOWS: Final = ("custom", "native")
"""How the pool signs passkeys in: ``custom`` (CUSTOM_AUTH with our triggers, the default) or
``native`` (Cognito's own USER_AUTH / WEB_AUTHN passkeys)."""

FLAG_KEYS: Final = tuple(key for key in PROFILE_KEYS if key != "user")
"""The keys that are also command-line flags: the default user is not one (USER is an
argument of the commands, and ``passkeys --user`` already names whose passkeys)."""

PROFILE_FLAG: Final = "--profile"
OUTPUT_FLAGS: Final = ("--output", "-o")
TYPE_FLAG: Final = "--type"
TOKEN_TYPES: Final = ("id", "access", "all")
"""``--type``'s choices: which token(s) a token command prints."""


def flag_of(key: str) -> str:
    """The command-line flag of setting ``key``: ``user_pool_id`` -> ``--user-pool-id``."""
    return "--" + key.replace("_", "-")
