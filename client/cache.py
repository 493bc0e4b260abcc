"""The token cache: one file per profile and user, so most runs never touch the key.

Files live in ``$COGNITO_PASSKEY_CACHE_DIR`` or the platform's user cache
directory (0700), each 0600 and written atomically. The cache is an optimisation and
disposable: a damaged file is moved aside once (``<name>.corrupt-<UTC time>``, with one
warning) and replaced by the next sign-in; a cache the OS will not let us read or write
(a read-only HOME) costs a warning, never the sign-in; ``COGNITO_PASSKEY_NO_CACHE=1``
skips it altogether; deleting the directory only costs one more touch of the key.

What is read back is trusted only so far as it cannot have been planted: a directory
another user owns or may write to is refused (a ConfigurationError saying how to fix
it), and an entry is used only when its tokens name the user, pool and app client asked
for (their unverified claims; a mismatch is a cache miss).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cognito_passkey.authenticator._files import UnsafePathError, check_private_dir
from cognito_passkey.client.errors import ConfigurationError, TokenError
from cognito_passkey.client.private_json import parse_document, read_private, write_document
from cognito_passkey.client.setting_names import NO_CACHE_ENV
from cognito_passkey.client.tokens import Tokens, unverified_claims
from cognito_passkey.protocol import pools

ENV_CACHE_DIR: Final = "COGNITO_PASSKEY_CACHE_DIR"
QUARANTINE_SUFFIX: Final = ".corrupt-"
FORMAT_VERSION: Final = 1
MAX_FILE_BYTES: Final = 256 * 1024
USER_CLAIMS: Final = ("cognito:username", "email", "preferred_username", "phone_number", "sub")
"""The ID token claims a user may sign in by (the username or an alias)."""


def cache_disabled_by_env() -> bool:
    """``COGNITO_PASSKEY_NO_CACHE`` set to 1/true/yes/on."""
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def default_cache_dir() -> Path:
    """``$COGNITO_PASSKEY_CACHE_DIR``, else ``<user cache dir>/cognito-passkey/tokens``."""
    from_env = os.environ.get(ENV_CACHE_DIR)
    if from_env:
        return Path(from_env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cognito-passkey")) / "tokens"


@dataclass(frozen=True)
class CacheKey:
    """Who the tokens belong to; the pool, client and endpoint are part of it."""

    profile: str
    user_pool_id: str
    client_id: str
    endpoint_url: str | None = None

    def scope(self) -> str:
        return f"{self.user_pool_id}|{self.client_id}|{self.endpoint_url or ''}"


@dataclass(frozen=True)
class CacheEntry:
    """A cached sign-in: the name signed in with and the tokens."""

    username: str
    tokens: Tokens
    saved_at: float


def warn_on_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class TokenCache:
    """Reads and writes cached tokens; never raises for a damaged file or a refused write.

    Only a directory or file others could have changed is an error (ConfigurationError):
    the OS failing to read or write is a warning, as the cache only saves a touch of the key.
    ``enabled=False`` (default: unless ``COGNITO_PASSKEY_NO_CACHE=1``) reads and writes nothing.
    ``quarantine=False`` leaves a damaged file in place (a miss, nothing said).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        warn: Callable[[str], None] = warn_on_stderr,
        enabled: bool | None = None,
        quarantine: bool = True,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.enabled = not cache_disabled_by_env() if enabled is None else enabled
        # False: a damaged file is only a miss, left in place and unmentioned, for a later
        # read that moves it aside and says so (the CLI's fast path hands over to that one).
        self.quarantine = quarantine
        self._warn = warn
        self._warned: set[str] = set()

    def path_for(self, key: CacheKey, username: str) -> Path:
        """The file of ``username``: readable profile prefix, hashed identity."""
        import hashlib

        digest = hashlib.sha256(f"{key.scope()}|{username}".encode()).hexdigest()[:24]
        return self.directory / f"{key.profile}.{digest}.json"

    def load(self, key: CacheKey, username: str) -> CacheEntry | None:
        """The cached entry of ``username``, or None when absent or unusable."""
        if not self.enabled or not self._checked_dir():
            return None
        return self._read(self.path_for(key, username), key, username)

    def save(self, key: CacheKey, username: str, tokens: Tokens) -> Path:
        """Store ``tokens`` for ``username`` (0600, atomic); returns the file.

        When the OS refuses the write (read-only or missing HOME, no space), the tokens are
        simply not cached: one warning per cache says so and how to skip the cache.
        """
        path = self.path_for(key, username)
        if not self.enabled:
            return path
        document = {
            "version": FORMAT_VERSION,
            "profile": key.profile,
            "scope": key.scope(),
            "username": username,
            "saved_at": time.time(),
            "tokens": tokens.to_dict(),
        }
        try:
            write_document(self.directory, path, document)
        except UnsafePathError as exc:
            raise ConfigurationError(f"token cache: {exc}") from None
        except OSError as exc:
            self._warn_once(
                "write",
                f"could not cache the tokens: {_reason(exc, path)}; "
                "use --no-cache to skip the cache",
            )
        return path

    def delete(self, key: CacheKey, username: str) -> bool:
        """Forget ``username``'s tokens; false when there were none."""
        if not self.enabled:
            return False
        self._checked_dir()
        try:
            self.path_for(key, username).unlink()
        except FileNotFoundError:
            return False
        return True

    def _checked_dir(self) -> bool:
        """False when the directory does not exist; raises when others could write to it."""
        try:
            check_private_dir(self.directory)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except UnsafePathError as exc:
            raise ConfigurationError(f"token cache: {exc}") from None
        except OSError as exc:
            self._warn_once("read", f"could not read the token cache: {_reason(exc, None)}")
            return False
        return True

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self._warn(message)

    def _read(self, path: Path, key: CacheKey, username: str) -> CacheEntry | None:
        try:
            raw, opened = read_private(path, max_bytes=MAX_FILE_BYTES)
        except FileNotFoundError:
            return None
        except UnsafePathError as exc:
            raise ConfigurationError(f"token cache: {exc}") from None
        except OSError as exc:
            self._warn(f"ignoring unreadable token cache {path}: {exc.strerror}")
            return None
        try:
            document = parse_document(raw, max_bytes=MAX_FILE_BYTES, version=FORMAT_VERSION)
            tokens = Tokens.from_dict(document["tokens"])
            name = document["username"]
            saved_at = float(document["saved_at"])
            if not isinstance(name, str):
                raise ValueError("no username")
        except (ValueError, KeyError, TypeError, TokenError):
            if self.quarantine:
                self._quarantine(path, opened)
            return None
        if document.get("scope") != key.scope() or name != username:
            return None
        if not tokens_belong_to(tokens, key, name):
            return None  # someone else's tokens: a miss, like another pool's entry
        return CacheEntry(username=name, tokens=tokens, saved_at=saved_at)

    def _quarantine(self, path: Path, opened: os.stat_result) -> None:
        """Move a damaged file aside once, keeping it (0600) for whoever wants to look.

        It is hard-linked to a new name, never renamed over one, then unlinked: nothing is
        overwritten or deleted. A file replaced since it was read (another run's sign-in)
        or already moved aside by another run is left alone.
        """
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        try:
            current = os.stat(path)
            if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
                return
            target = self._link_aside(path, stamp)
            os.chmod(target, 0o600)
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            self._warn_once(
                "damaged", f"ignoring damaged token cache {path}: cannot move it aside ({exc})"
            )
            return
        self._warn(f"damaged token cache {path} moved aside to {target}; it will be replaced")

    @staticmethod
    def _link_aside(path: Path, stamp: str) -> Path:
        for attempt in range(100):
            suffix = f"{QUARANTINE_SUFFIX}{stamp}" + (f"-{attempt}" if attempt else "")
            target = path.with_name(path.name + suffix)
            try:
                os.link(path, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(f"too many quarantined copies of {path}")


def _reason(exc: OSError, fallback: Path | None) -> str:
    """``PATH: strerror``, the way the OS put it (never the file's content)."""
    where = exc.filename if exc.filename is not None else fallback
    what = exc.strerror or type(exc).__name__
    return f"{where}: {what}" if where is not None else what


def tokens_belong_to(tokens: Tokens, key: CacheKey, username: str) -> bool:
    """True when both tokens name ``username`` (or an alias of it), the key's pool and app
    client, each in its own role; read unverified: the check keeps a planted or misfiled
    entry from standing in for the user's own (the token's signature is Cognito's concern)."""
    try:
        id_claims = unverified_claims(tokens.id_token)
        access_claims = unverified_claims(tokens.access_token)
        issuer = pools.issuer(key.user_pool_id)
    except (TokenError, ValueError):
        return False
    if not (
        id_claims.get("token_use") == "id"
        and access_claims.get("token_use") == "access"
        and id_claims.get("iss") == issuer
        and access_claims.get("iss") == issuer
        and id_claims.get("aud") == key.client_id
        and access_claims.get("client_id") == key.client_id
    ):
        return False
    internal = id_claims.get("cognito:username")
    if not isinstance(internal, str) or access_claims.get("username") != internal:
        return False
    wanted = username.casefold()
    return any(
        isinstance(id_claims.get(claim), str) and str(id_claims[claim]).casefold() == wanted
        for claim in USER_CLAIMS
    )
