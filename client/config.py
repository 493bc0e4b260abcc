"""Named profiles in one INI file, and how a setting is chosen.

A setting comes from, in order: a command-line flag, an environment variable
``COGNITO_PASSKEY_<KEY>`` (``COGNITO_PASSKEY_USER_POOL_ID``, ...), the profile in
the config file. The profile is ``--profile``, else ``COGNITO_PASSKEY_PROFILE``,
else ``default``. The file is ``$COGNITO_PASSKEY_CONFIG`` or ``config.ini`` in
the platform's user config directory; it may hold a client secret, so it is
written 0600 and atomically, under a lock. Its settings decide where the client
sends the user and which RP it signs for, so a config directory another user owns or
may write to is refused, for reading and writing alike.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cognito_passkey.authenticator._files import (
    UnsafePathError,
    check_private_dir,
    check_private_file,
    ensure_private_dir,
    write_private,
)
from cognito_passkey.client.errors import ConfigurationError
from cognito_passkey.client.setting_names import (
    APP_NAME,
    DEFAULT_PROFILE,
    ENV_CONFIG,
    ENV_PREFIX,
    ENV_PROFILE,
    FLOWS,
    PROFILE_KEYS,
)
from cognito_passkey.protocol import pools

if TYPE_CHECKING:
    import configparser

    from filelock import FileLock


_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# A section name nobody can write, so configparser's DEFAULT magic never applies.
_NO_DEFAULT_SECTION: Final = "\x00"


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The config file: ``path``, else ``$COGNITO_PASSKEY_CONFIG``, else the platform default."""
    if path is not None:
        return Path(path)
    from_env = os.environ.get(ENV_CONFIG)
    if from_env:
        return Path(from_env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.ini"


def load_profile(name: str, *, path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The settings of profile ``name``; empty when the file or the profile does not exist."""
    _check_profile_name(name)
    parser = _read(config_path(path))
    if not parser.has_section(name):
        return {}
    return dict(parser.items(name))


def list_profiles(*, path: str | os.PathLike[str] | None = None) -> list[str]:
    """The profile names in the config file, in file order."""
    return _read(config_path(path)).sections()


def write_profile(
    name: str,
    settings: Mapping[str, str],
    *,
    path: str | os.PathLike[str] | None = None,
    merge: bool = False,
) -> Path:
    """Store profile ``name`` and return the file's path; other profiles are kept.

    The profile's settings are replaced by ``settings`` unless ``merge`` is true,
    then only the given keys change (an empty value removes a key). Unknown keys
    and malformed values are refused before anything is written.
    """
    _check_profile_name(name)
    clean = _validated(settings)
    target = config_path(path)
    with _lock(target):
        parser = _read(target)
        if merge and parser.has_section(name):
            current = dict(parser.items(name))
            current.update(clean)
            clean = current
        if parser.has_section(name):
            parser.remove_section(name)
        parser.add_section(name)
        for key in PROFILE_KEYS:
            value = clean.get(key, "")
            if value:
                parser.set(name, key, value)
        buffer = io.StringIO()
        parser.write(buffer)
        write_private(target, buffer.getvalue().encode("utf-8"))
    return target


def profile_name(flag: str | None = None, *, env: Mapping[str, str] | None = None) -> str:
    """The active profile: the flag, else ``COGNITO_PASSKEY_PROFILE``, else ``default``."""
    environ = os.environ if env is None else env
    name = flag or environ.get(ENV_PROFILE) or DEFAULT_PROFILE
    _check_profile_name(name)
    return name


def region_from_pool_id(user_pool_id: str) -> str:
    """``eu-west-1_AbC`` -> ``eu-west-1``; a malformed id is a configuration error."""
    try:
        return pools.region_of(user_pool_id)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


@dataclass(frozen=True)
class Settings:
    """The settings in force for one run; empty strings are normalised to None."""

    profile: str = DEFAULT_PROFILE
    user_pool_id: str | None = None
    client_id: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    authenticator: str | None = None
    origin: str | None = None
    rp_id: str | None = None
    management_url: str | None = None
    identity_pool_id: str | None = None
    user: str | None = None
    """The default user of the commands given no USER (``config set user=NAME``)."""
    flow: str | None = None
    """``custom`` (None) or ``native``: see :data:`FLOWS`."""

    @property
    def native(self) -> bool:
        """Whether the pool's own passkeys (USER_AUTH / WEB_AUTHN) are used."""
        return self.flow == "native"

    def require_pool(self) -> None:
        """Fail with a clear message unless the user pool and app client are known."""
        missing = [key for key in ("user_pool_id", "client_id") if not getattr(self, key)]
        if missing:
            if self.profile != DEFAULT_PROFILE and self.profile not in list_profiles():
                # Named on purpose (flag or variable): the profile is what is missing.
                known = ", ".join(list_profiles()) or "none"
                raise ConfigurationError(
                    f"no such profile {self.profile!r} in {config_path()} (profiles: {known})"
                )
            names = ", ".join(missing)
            flags = ", ".join("--" + key.replace("_", "-") for key in missing)
            envs = ", ".join(ENV_PREFIX + key.upper() for key in missing)
            raise ConfigurationError(
                f"missing {names} for profile {self.profile!r}: pass {flags}, set {envs}, "
                "or write them into the profile"
            )


def resolve(
    flags: Mapping[str, str | None] | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Settings:
    """Merge flag > environment > profile into validated :class:`Settings`."""
    return resolve_with_sources(flags, profile=profile, env=env, path=path)[0]


SOURCE_FLAG: Final = "flag"
SOURCE_DERIVED: Final = "derived from user_pool_id"


def resolve_with_sources(
    flags: Mapping[str, str | None] | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """:func:`resolve`, and where each chosen value came from (``config show``).

    A source is ``flag``, ``environment COGNITO_PASSKEY_<KEY>``, ``profile NAME in FILE``
    or ``derived from user_pool_id``; keys with no value have no source.
    """
    environ = os.environ if env is None else env
    name = profile_name(profile, env=environ)
    stored = load_profile(name, path=path)
    given = flags or {}
    unknown = sorted(set(given) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigurationError(f"unknown setting(s): {', '.join(unknown)}")
    in_profile = f"profile {name} in {config_path(path)}"
    chosen: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in PROFILE_KEYS:
        variable = ENV_PREFIX + key.upper()
        for candidate, source in (
            (given.get(key), SOURCE_FLAG),
            (environ.get(variable), f"environment {variable}"),
            (stored.get(key), in_profile),
        ):
            if candidate:
                chosen[key] = candidate.strip()
                sources[key] = source
                break
    clean = _validated(chosen)
    if clean.get("user_pool_id") and not clean.get("region"):
        clean["region"] = region_from_pool_id(clean["user_pool_id"])
        sources["region"] = SOURCE_DERIVED
    known = {f.name for f in fields(Settings)}
    settings = Settings(profile=name, **{k: v for k, v in clean.items() if k in known and v})
    return settings, {k: v for k, v in sources.items() if getattr(settings, k, None)}


def _validated(settings: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(settings) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigurationError(
            f"unknown profile key(s): {', '.join(unknown)} (known: {', '.join(PROFILE_KEYS)})"
        )
    clean: dict[str, str] = {}
    for key, raw in settings.items():
        if not isinstance(raw, str):
            raise ConfigurationError(f"{key} must be a string")
        value = raw.strip()
        if any(ch in value for ch in "\r\n\x00"):
            raise ConfigurationError(f"{key} must be a single line")
        if value:
            _check_value(key, value)
        clean[key] = value
    return clean


def _check_value(key: str, value: str) -> None:
    if key == "user_pool_id":
        region_from_pool_id(value)
    elif key == "region" and not pools.REGION.match(value):
        raise ConfigurationError(f"region {value!r} is malformed (expected like eu-west-1)")
    elif key in ("endpoint_url", "management_url", "origin"):
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if key != "origin" and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ConfigurationError(f"{key} {value!r} must be an http(s) URL")
        if key == "origin" and not parts.scheme:
            raise ConfigurationError(
                f"origin {value!r} must look like https://example.com (or an app origin "
                "such as android:apk-key-hash:...)"
            )
    elif key == "flow" and value not in FLOWS:
        raise ConfigurationError(f"flow must be {' or '.join(FLOWS)}, not {value!r}")
    elif key == "user" and not value.isprintable():
        raise ConfigurationError("user must be a printable user name")
    elif key == "identity_pool_id" and not pools.IDENTITY_POOL_ID.match(value):
        raise ConfigurationError(
            f"identity_pool_id {value!r} is malformed (expected REGION:UUID, like "
            "eu-west-1:0c3ef3f2-5d2e-4d9a-9a55-1f0e1b2c3d4e)"
        )
    elif key == "authenticator" and not (value == "usb" or value.startswith("soft:")):
        raise ConfigurationError(f"authenticator {value!r} must be 'usb' or 'soft:PATH'")


def _check_profile_name(name: str) -> None:
    if not _PROFILE_NAME.match(name):
        raise ConfigurationError(
            f"profile name {name!r} is invalid (letters, digits, '.', '_', '-'; at most 64)"
        )


def _new_parser() -> configparser.RawConfigParser:
    import configparser  # only a run that reads or writes the file pays for it

    return configparser.RawConfigParser(default_section=_NO_DEFAULT_SECTION, strict=True)


def _check_dir(directory: Path) -> bool:
    """False when ``directory`` does not exist; a ConfigurationError when others may change it."""
    try:
        check_private_dir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except UnsafePathError as exc:
        raise ConfigurationError(f"config directory: {exc}") from None
    return True


def _read(target: Path) -> configparser.RawConfigParser:
    import configparser

    parser = _new_parser()
    if not _check_dir(target.parent):
        return parser
    try:
        with target.open(encoding="utf-8") as handle:
            check_private_file(target, os.fstat(handle.fileno()))
            text = handle.read()
    except UnsafePathError as exc:
        raise ConfigurationError(f"config file: {exc}") from None
    except FileNotFoundError:
        return parser
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {target}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"config file {target} is not UTF-8 text") from exc
    try:
        parser.read_string(text, source=str(target))
    except configparser.Error as exc:
        # Not chained: configparser quotes the offending line, which may hold the client
        # secret, and a --debug traceback would print it.
        first_line = str(exc).splitlines()[0]
        raise ConfigurationError(
            f"config file {target} is malformed: {first_line}{_line_of(exc, first_line)}"
        ) from None
    return parser


def _line_of(exc: configparser.Error, message: str) -> str:
    """Where the first problem is (the line number only, never the line's text)."""
    import configparser

    if "[line" in message:
        return ""
    lineno = getattr(exc, "lineno", None)
    if lineno is None and isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
    return f" (line {lineno})" if isinstance(lineno, int) else ""


def _lock(target: Path) -> FileLock:
    """A lock beside the file, so two writers never lose each other's profile."""
    ensure_private_dir(target.parent)
    _check_dir(target.parent)
    from filelock import FileLock  # only writers pay for it: `--help` reads no config

    return FileLock(str(target) + ".lock", timeout=10, mode=0o600)
