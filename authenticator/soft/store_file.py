"""A credential store in one JSON file, safe to share between processes.

Format (version 1)::

    {"format": "cognito-passkey-soft-store", "version": 1,
     "data": {"device": {...}, "credentials": [...]}}                  # plain
    {"format": "cognito-passkey-soft-store", "version": 1,
     "kdf": {"name": "scrypt", ...}, "encrypted": {"cipher": ...}}     # with a passphrase

Rules: every change is read-modify-write under an exclusive lock on
``<file>.lock``; the new contents go to a temporary file in the same folder,
are fsync'd and then renamed over the old one, so readers see the old file or
the new one and never half of one. Files are created 0600 whatever the umask.
Because the file is only ever replaced, never written in place, a reader holding the
version it parsed open needs only an ``lstat`` to know the path still names it (see
``FileCredentialStore._unchanged``); any other version is read and parsed afresh.
A file that is readable or writable by group or others is refused
(:class:`StorePermissionError`), like ssh refuses such a private key: it may
hold private keys. A file that does not parse, or is not ours, raises
:class:`StoreCorruptedError` and is never written to.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from .._files import ensure_private_dir, read_at_most, write_private
from ..errors import (
    CredentialStoreError,
    StoreCorruptedError,
    StoreLockedError,
    StorePassphraseRequiredError,
    StorePermissionError,
    WeakPassphraseError,
)
from .store import CredentialStore, StoreContents, T
from .store_crypto import (
    DEFAULT_SCRYPT_N,
    MIN_SCRYPT_N,
    DecryptionError,
    KdfParams,
    check_new_passphrase,
    decrypt,
    derive_key,
    encrypt,
)
from .store_lock import LockTimeout, StoreLock

STORE_FORMAT: Final = "cognito-passkey-soft-store"
STORE_VERSION: Final = 1
_MAX_STORE_BYTES: Final = 64 * 1024 * 1024


class FileCredentialStore(CredentialStore):
    """Credentials, PIN state and counters in ``path`` (created on first write).

    ``passphrase`` encrypts the file (scrypt, AES-256-GCM). Opening an encrypted
    file without it, or with a wrong one, raises :class:`StoreLockedError`;
    giving a passphrase for a plain file raises :class:`CredentialStoreError`
    rather than guessing which of the two the caller meant. A new encrypted file
    needs a passphrase of at least ``MIN_PASSPHRASE_LENGTH`` characters
    (:class:`WeakPassphraseError`); existing files open with whatever they had.

    ``scrypt_n`` is the work factor of files this store writes (default and least
    ``2**17``); a file read with weaker parameters is re-keyed on its next write.
    Only tests go lower, and must say so with ``allow_weak_scrypt_for_tests``.
    ``label`` names the contents in messages instead of the path (a store read
    from somewhere else through :meth:`contents_from_bytes`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        passphrase: str | None = None,
        lock_timeout: float = 30.0,
        scrypt_n: int | None = None,
        allow_weak_scrypt_for_tests: bool = False,
        label: str | None = None,
    ) -> None:
        n = DEFAULT_SCRYPT_N if scrypt_n is None else scrypt_n
        if n < MIN_SCRYPT_N and not allow_weak_scrypt_for_tests:
            raise ValueError(f"scrypt_n must be at least {MIN_SCRYPT_N} (2**17)")
        self.path = Path(path).expanduser().absolute()
        self._label = label  # what messages about the contents name instead of the path
        self._passphrase = passphrase
        self._scrypt_n = n
        self._lock = StoreLock(str(self.path) + ".lock", lock_timeout)
        self._lock_timeout = lock_timeout
        # (KDF parameters, derived key): scrypt runs once per store object, not per read.
        self._key_cache: tuple[KdfParams, bytes] | None = None
        # (bytes read, what they parsed to): a command reads the file a few times unchanged.
        self._last_read: tuple[bytes, StoreContents] | None = None
        # POSIX: the version last parsed, held open (see _Pinned); None until then.
        self._pinned: _Pinned | None = None

    def __repr__(self) -> str:
        encrypted = ", encrypted" if self._passphrase is not None else ""
        return f"FileCredentialStore({str(self.path)!r}{encrypted})"

    @property
    def _where(self) -> str:
        return self._label if self._label is not None else str(self.path)

    @property
    def encrypted(self) -> bool:
        """Whether this store encrypts its file."""
        return self._passphrase is not None

    @property
    def exists(self) -> bool:
        """Whether the store file is there (a missing one reads as empty)."""
        return self.path.exists()

    def directory_message(self) -> str:
        """What to say when the path names a directory."""
        return (
            f"{self.path}: is a directory, not a store; name a file in it "
            f"(e.g. {self.path / 'key.json'})"
        )

    def create(self) -> None:
        """Write an empty store file now (0600), unless one is already there."""
        if self.exists:
            self.check()
            return
        self._update(lambda _contents: None)  # under the lock: a racing creator's file is kept

    def check(self) -> None:
        """Read the file once: raises now what a later operation would raise."""
        self._read()
        if self._passphrase is not None and not self.path.exists():
            self._check_new_passphrase()

    # Transactions ----------------------------------------------------------

    def _read(self) -> StoreContents:
        pinned = self._unchanged()
        if pinned is not None:
            return pinned
        if not self.path.parent.is_dir():
            return StoreContents()
        if os.name != "posix":  # Windows cannot replace a file another handle has open
            with self._locked():
                return self._load_file()
        # Writers replace the file in one rename (under the lock, among themselves): a
        # reader opening it sees one whole version, old or new, and needs no lock.
        return self._load_file()

    def _update(self, change: Callable[[StoreContents], T]) -> T:
        ensure_private_dir(self.path.parent)
        with self._locked():
            contents = self._load()
            result = change(contents)
            self._save(contents)
            return result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except LockTimeout:
            raise CredentialStoreError(
                f"{self.path}: another process held the store lock for more than "
                f"{self._lock_timeout:g} s"
            ) from None

    # Reading ---------------------------------------------------------------

    def _unchanged(self) -> StoreContents | None:
        """The pinned parse when ``lstat`` proves the path still names that very file.

        Sound because every writer replaces the store by renaming a new file over it,
        never by writing in place: while our descriptor keeps the parsed inode alive no
        other file can get its number, so the same (st_dev, st_ino) is the same file with
        the same bytes; size and both timestamps must match too (someone else's in-place
        edit). The mode check runs on every read all the same.
        """
        pinned = self._pinned
        if pinned is None:
            return None
        try:
            info = os.lstat(self.path)
        except OSError:
            return None  # gone or unreadable: the full read says what is wrong
        if _identity(info) != pinned.identity:
            return None
        self._check_file(info)  # a chmod keeps the inode
        return pinned.contents.copy()

    def _load(self) -> StoreContents:
        pinned = self._unchanged()
        return pinned if pinned is not None else self._load_file()

    def _load_file(self) -> StoreContents:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return StoreContents()
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise CredentialStoreError(
                    f"{self.path}: is a symbolic link; the store must be a regular file"
                ) from None
            raise CredentialStoreError(f"{self.path}: cannot open the store: {e}") from None
        try:  # checked before fdopen, which raises IsADirectoryError for a directory
            info = os.fstat(fd)
            self._check_file(info)
        except BaseException:
            os.close(fd)
            raise
        if os.name != "posix":  # a handle held open would stop writers replacing the file
            with os.fdopen(fd, "rb") as f:
                raw = read_at_most(f, _MAX_STORE_BYTES + 1, info.st_size)
            return self._parsed(raw)
        try:
            with os.fdopen(fd, "rb", closefd=False) as f:
                raw = read_at_most(f, _MAX_STORE_BYTES + 1, info.st_size)
            contents = self._parsed(raw)
            after = os.fstat(fd)
        except BaseException:
            os.close(fd)
            self._pinned = None  # whatever the path names now, it is not that version
            raise
        if _identity(after) == _identity(info):  # not changed in place while we read it
            self._pinned = _Pinned(fd, _identity(after), contents.copy())
        else:
            os.close(fd)
        return contents

    def _parsed(self, raw: bytes) -> StoreContents:
        # Bytes equal to the last ones parsed skip the parse (and decryption).
        last = self._last_read
        if last is not None and last[0] == raw:
            return last[1].copy()
        contents = self.contents_from_bytes(raw)
        self._last_read = (raw, contents.copy())
        return contents

    def contents_from_bytes(self, raw: bytes) -> StoreContents:
        """Decode a whole store file read elsewhere (an environment variable, say)."""
        if len(raw) > _MAX_STORE_BYTES:
            raise self._corrupted("the file is too large to be a credential store")
        document = self._parse_document(raw)
        payload = self._payload(document)
        try:
            return StoreContents.from_json(payload)
        except ValueError as e:
            raise self._corrupted(f"bad store contents: {e}") from None

    def _check_file(self, info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise CredentialStoreError(self.directory_message())
        if not stat.S_ISREG(info.st_mode):
            raise CredentialStoreError(f"{self.path}: not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            raise StorePermissionError(
                f"{self.path}: permissions {stat.S_IMODE(info.st_mode):04o} let other users "
                f"read or change the store; run: chmod 600 '{self.path}'"
            )

    def _parse_document(self, raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            raise self._corrupted("the file is empty")
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise self._corrupted(f"not valid JSON ({e})") from None
        if not isinstance(document, dict) or document.get("format") != STORE_FORMAT:
            raise self._corrupted(f"not a credential store (no format {STORE_FORMAT!r})")
        version = document.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self._corrupted("missing or invalid format version")
        if version > STORE_VERSION:
            raise self._corrupted(
                f"format version {version} is newer than this program supports "
                f"({STORE_VERSION}); upgrade cognito-passkey"
            )
        return document

    def _payload(self, document: dict[str, Any]) -> Any:
        if "encrypted" not in document:
            if "data" not in document:
                raise self._corrupted("neither 'data' nor 'encrypted' present")
            if self._passphrase is not None:
                raise CredentialStoreError(
                    f"{self._where}: this store is not encrypted, but a passphrase was given"
                )
            return document["data"]
        if self._passphrase is None:
            raise StorePassphraseRequiredError(
                f"{self._where}: the store is encrypted; a passphrase is needed"
            )
        sealed = document["encrypted"]
        try:
            params = KdfParams.from_json(document.get("kdf"))
            if not isinstance(sealed, dict):
                raise ValueError("'encrypted' is not an object")
            plaintext = decrypt(self._key_for(params), sealed, _associated_data(document))
        except DecryptionError:
            raise StoreLockedError(
                f"{self._where}: wrong passphrase (or the encrypted store was modified)"
            ) from None
        except ValueError as e:
            raise self._corrupted(f"bad encryption envelope: {e}") from None
        try:
            return json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self._corrupted("the decrypted payload is not JSON") from None

    def _key_for(self, params: KdfParams) -> bytes:
        assert self._passphrase is not None
        if self._key_cache is None or self._key_cache[0] != params:
            self._key_cache = (params, derive_key(self._passphrase, params))
        return self._key_cache[1]

    def _check_new_passphrase(self) -> None:
        assert self._passphrase is not None
        try:
            check_new_passphrase(self._passphrase)
        except ValueError as e:
            raise WeakPassphraseError(
                f"{self.path}: {e}; choose a longer one for a new encrypted store"
            ) from None

    def _corrupted(self, reason: str) -> StoreCorruptedError:
        if self._label is not None:
            return StoreCorruptedError(f"{self._label}: {reason}")
        return StoreCorruptedError(
            f"{self.path}: {reason}. The file was left untouched; move it away or "
            "restore a backup to continue."
        )

    # Writing ---------------------------------------------------------------

    def _save(self, contents: StoreContents) -> None:
        document: dict[str, Any] = {"format": STORE_FORMAT, "version": STORE_VERSION}
        payload = contents.to_json()
        if self._passphrase is None:
            document["data"] = payload
        else:
            if self._key_cache is None:  # a new file
                self._check_new_passphrase()
            if self._key_cache is None or self._key_cache[0].weaker_than(self._scrypt_n):
                self._key_for(KdfParams.fresh(self._scrypt_n))
            assert self._key_cache is not None
            params, key = self._key_cache
            document["kdf"] = params.to_json()
            plaintext = json.dumps(payload, separators=(",", ":")).encode("utf-8")
            document["encrypted"] = encrypt(key, plaintext, _associated_data(document))
        # One line: ``indent`` would take json's pure-Python encoder, at 3-4x the cost.
        data = (json.dumps(document) + "\n").encode("utf-8")
        # Unpinned first: the rename then frees the old inode itself, where the close of
        # the last descriptor on a replaced file would (ext4: a journalled orphan removal
        # that waits behind the fsyncs, about 1-2 ms).
        self._pinned = None
        self._last_read = None  # a removed key does not outlive its file in our memory
        write_private(self.path, data)


_Identity = tuple[int, int, int, int, int]


def _identity(info: os.stat_result) -> _Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class _Pinned:
    """A parsed store version and an open descriptor on its file.

    The descriptor is what makes the inode number proof sound: an inode stays allocated
    while it is open, so a later version cannot be given the same number.
    """

    __slots__ = ("contents", "fd", "identity")

    def __init__(self, fd: int, identity: _Identity, contents: StoreContents) -> None:
        self.fd = fd
        self.identity = identity
        self.contents = contents

    def __del__(self, _close: Callable[[int], None] = os.close) -> None:
        with contextlib.suppress(OSError):  # (os.close bound early: usable at exit too)
            _close(self.fd)


def _associated_data(document: dict[str, Any]) -> bytes:
    """The header fields the ciphertext is bound to."""
    header = {k: document.get(k) for k in ("format", "version", "kdf")}
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
