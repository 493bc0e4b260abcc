"""The Lambdas' settings, read from the environment once per container.

Names are the deployment contract (lambdas/README.md lists them). A missing or malformed
setting raises :class:`ConfigError`; the triggers then fail the sign-in closed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cognito_passkey.lambdas.errors import ConfigError
from cognito_passkey.protocol import backends, pools

_USER_VERIFICATION = ("required", "preferred", "discouraged")
ID_TOKEN_MAX_AGE_RANGE = (10, 86400)
"""``PASSKEY_ID_TOKEN_MAX_AGE_SECONDS`` bounds: how long after a sign-in a passkey may be added."""
MAX_PASSKEYS_RANGE = (1, 100)
"""``PASSKEY_MAX_PASSKEYS`` bounds."""
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    """Everything the triggers and the management function read from the environment."""

    backend: str
    fast_signin: bool = True
    # adding a passkey (both backends)
    id_token_max_age_seconds: int = 600
    """An ID token whose ``auth_time`` is older than this cannot add a passkey."""
    require_access_token: bool = False
    """Adding a passkey needs the access token too, confirmed live by Cognito (GetUser)."""
    max_passkeys: int = 10
    audit_topic_arn: str = ""
    """SNS topic that also receives every passkey_added / passkey_removed event (optional)."""
    # loginid
    loginid_base_url: str = ""
    loginid_secret_name: str = ""
    loginid_api_key_id: str = field(default="", repr=False)  # the Basic credential itself
    loginid_api_key_secret_name: str = ""
    """Secrets Manager secret holding the API key id (how the templates deliver it)."""
    loginid_app_id: str = ""
    # selfhosted
    table_name: str = ""
    rp_id: str = ""
    rp_name: str = ""
    allowed_origins: tuple[str, ...] = ()
    user_verification: str = "preferred"
    challenge_ttl_seconds: int = 300
    allow_cross_origin: bool = False
    allowed_aaguids: tuple[str, ...] = ()
    """Lower-case AAGUIDs a new passkey's verified attestation must name; empty: any."""
    # management function
    user_pool_id: str = ""
    client_ids: tuple[str, ...] = ()


def _flag(value: str | None, *, name: str, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ConfigError(f"{name} must be true or false")


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _aaguids(value: str | None) -> tuple[str, ...]:
    """PASSKEY_ALLOWED_AAGUIDS: comma-separated UUIDs, kept in their canonical lower-case form."""
    import uuid

    try:
        return tuple(str(uuid.UUID(part)) for part in _csv(value))
    except ValueError as exc:
        raise ConfigError("PASSKEY_ALLOWED_AAGUIDS must be comma-separated UUIDs") from exc


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def loginid_app_id(base_url: str) -> str:
    """The LoginID app id: the first label of the base URL's host."""
    host = urlsplit(base_url).hostname or ""
    return host.split(".")[0]


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return base_url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return base_url.rstrip("/")  # a local test server; never a remote host in clear text
    raise ConfigError("LOGINID_BASE_URL must be an https:// URL")


def _whole(env: Mapping[str, str], name: str, default: int, bounds: tuple[int, int]) -> int:
    text = env.get(name, "").strip() or str(default)
    low, high = bounds
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _registration(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings that guard adding a passkey, shared by both backends."""
    topic = env.get("PASSKEY_AUDIT_TOPIC_ARN", "").strip()
    if topic and not topic.startswith("arn:"):
        raise ConfigError("PASSKEY_AUDIT_TOPIC_ARN is not an ARN")
    return {
        "id_token_max_age_seconds": _whole(
            env, "PASSKEY_ID_TOKEN_MAX_AGE_SECONDS", 600, ID_TOKEN_MAX_AGE_RANGE
        ),
        "require_access_token": _flag(
            env.get("PASSKEY_REQUIRE_ACCESS_TOKEN"),
            name="PASSKEY_REQUIRE_ACCESS_TOKEN",
            default=False,
        ),
        "max_passkeys": _whole(env, "PASSKEY_MAX_PASSKEYS", 10, MAX_PASSKEYS_RANGE),
        "audit_topic_arn": topic,
    }


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings; raises ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    backend = env.get("PASSKEY_BACKEND", "").strip().lower()
    fast = _flag(env.get("PASSKEY_FAST_SIGNIN"), name="PASSKEY_FAST_SIGNIN", default=True)
    registration = _registration(env)
    pool_id = env.get("PASSKEY_USER_POOL_ID", "").strip()
    if pool_id and not pools.is_user_pool_id(pool_id):
        raise ConfigError("PASSKEY_USER_POOL_ID is not a user pool id")
    client_ids = _csv(env.get("PASSKEY_CLIENT_IDS"))
    if backend == backends.LOGINID:
        base_url = _check_base_url(_required(env, "LOGINID_BASE_URL"))
        api_key_id = env.get("LOGINID_API_KEY_ID", "").strip()
        api_key_secret = env.get("LOGINID_API_KEY_SECRET_NAME", "").strip()
        secret_name = env.get("LOGINID_SECRET_NAME", "").strip()
        if not secret_name and not api_key_id and not api_key_secret:
            raise ConfigError("LOGINID_SECRET_NAME (or LOGINID_API_KEY_SECRET_NAME) is not set")
        return Settings(
            backend=backend,
            loginid_base_url=base_url,
            loginid_secret_name=secret_name,
            loginid_api_key_id=api_key_id,
            loginid_api_key_secret_name=api_key_secret,
            loginid_app_id=env.get("LOGINID_APP_ID", "").strip() or loginid_app_id(base_url),
            rp_id=env.get("PASSKEY_RP_ID", "").strip(),
            fast_signin=fast,
            user_pool_id=pool_id,
            client_ids=client_ids,
            **registration,
        )
    if backend == backends.SELFHOSTED:
        uv = env.get("PASSKEY_USER_VERIFICATION", "").strip().lower() or "preferred"
        if uv not in _USER_VERIFICATION:
            raise ConfigError(
                "PASSKEY_USER_VERIFICATION must be required, preferred or discouraged"
            )
        ttl_text = env.get("PASSKEY_CHALLENGE_TTL_SECONDS", "").strip() or "300"
        if not ttl_text.isdigit() or not 10 <= int(ttl_text) <= 3600:
            raise ConfigError(
                "PASSKEY_CHALLENGE_TTL_SECONDS must be a whole number from 10 to 3600"
            )
        origins = _csv(env.get("PASSKEY_ALLOWED_ORIGINS"))
        if not origins:
            raise ConfigError("PASSKEY_ALLOWED_ORIGINS is not set")
        rp_id = _required(env, "PASSKEY_RP_ID")
        return Settings(
            backend=backend,
            table_name=_required(env, "PASSKEY_TABLE_NAME"),
            rp_id=rp_id,
            rp_name=env.get("PASSKEY_RP_NAME", "").strip() or rp_id,
            allowed_origins=origins,
            user_verification=uv,
            challenge_ttl_seconds=int(ttl_text),
            allow_cross_origin=_flag(
                env.get("PASSKEY_ALLOW_CROSS_ORIGIN"),
                name="PASSKEY_ALLOW_CROSS_ORIGIN",
                default=False,
            ),
            allowed_aaguids=_aaguids(env.get("PASSKEY_ALLOWED_AAGUIDS")),
            fast_signin=fast,
            user_pool_id=pool_id,
            client_ids=client_ids,
            **registration,
        )
    raise ConfigError("PASSKEY_BACKEND must be loginid or selfhosted")


def jwks_url(user_pool_id: str, env: Mapping[str, str] | None = None) -> str:
    """Where the pool's signing keys are: on the local endpoint when the environment names
    one (``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, else ``AWS_ENDPOINT_URL``, as
    botocore reads them), else on AWS."""
    env = os.environ if env is None else env
    return pools.jwks_url(user_pool_id, endpoint_url=pools.cognito_endpoint_from_env(env))
