"""The file store's cheap paths: a read of an unchanged file, and its own writer lock.

A read proves by ``lstat`` that the path still names the file it parsed (held open, so
the inode number cannot be reused) instead of reading it again; these tests show every
other version, however it got there, is still seen, and every check still runs.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator.errors import (
    CredentialStoreError,
    StoreCorruptedError,
    StoreLockedError,
    StorePermissionError,
)
from cognito_passkey.authenticator.soft import FileCredentialStore, StoredCredential, store_lock
from cognito_passkey.authenticator.soft.keys import ALG_ES256
from filelock import FileLock

FAST_SCRYPT = 2**10  # tests only (allow_weak_scrypt_for_tests); files get 2**17
PASSPHRASE = "pw-of-the-tests"


def credential(user_id: bytes = b"user-1", *, discoverable: bool = True) -> StoredCredential:
    return StoredCredential.generate(
        rp_id="example.com", user_id=user_id, algorithm=ALG_ES256, discoverable=discoverable
    )


def fast_encrypted(path: Path) -> FileCredentialStore:
    return FileCredentialStore(
        path, passphrase=PASSPHRASE, scrypt_n=FAST_SCRYPT, allow_weak_scrypt_for_tests=True
    )


only_posix = pytest.mark.skipif(os.name != "posix", reason="POSIX reads skip the reopen")


def _opens_of(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each ``os.open`` of ``path`` from now on (the real call still runs)."""
    opened: list[str] = []
    real_open = os.open

    def spy(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(name) == str(path):
            opened.append(str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    return opened


def _same_length_sign_count(path: Path, count: int) -> bytes:
    """The store's bytes with its one credential's counter (one digit) set to ``count``."""
    raw = path.read_bytes()
    changed, n = re.subn(rb'("sign_count": *)\d(?=\D)', rb"\g<1>" + str(count).encode(), raw)
    assert n == 1 and len(changed) == len(raw)
    return changed


def _sign_count(store: FileCredentialStore, c: StoredCredential) -> int:
    found = store.get_credential(c.credential_id)
    assert found is not None
    return found.sign_count


@only_posix
def test_an_unchanged_store_is_not_opened_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.json"
    c = credential()
    FileCredentialStore(path).add_credential(c)
    reader = FileCredentialStore(path)
    opened = _opens_of(path, monkeypatch)
    for _ in range(5):
        assert reader.list_credentials() == [c]
    assert len(opened) == 1
    reader.next_sign_count(c.credential_id)  # the read under the lock is proved, not reopened
    assert len(opened) == 1
    assert _sign_count(reader, c) == 1  # a new version: read from the file again
    assert len(opened) == 2


@only_posix
def test_a_replacement_of_the_same_size_and_times_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential()
    FileCredentialStore(path).add_credential(c)
    reader = FileCredentialStore(path)
    assert _sign_count(reader, c) == 0
    before = os.stat(path)
    replacement = tmp_path / "replacement"
    replacement.write_bytes(_same_length_sign_count(path, 7))
    os.chmod(replacement, 0o600)
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    assert os.stat(path).st_size == before.st_size
    assert _sign_count(reader, c) == 7


@only_posix
def test_a_rewrite_in_place_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential()
    FileCredentialStore(path).add_credential(c)
    reader = FileCredentialStore(path)
    assert _sign_count(reader, c) == 0
    inode = os.stat(path).st_ino
    with open(path, "r+b") as f:  # not how the store writes, but an editor might
        f.write(_same_length_sign_count(path, 5) + b" ")  # a size the reader never saw
    assert os.stat(path).st_ino == inode
    assert _sign_count(reader, c) == 5


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_damaged_replacement_of_a_read_store_is_reported_every_time(
    tmp_path: Path, encrypted: bool
) -> None:
    path = tmp_path / "store.json"
    c = credential()
    reader = fast_encrypted(path) if encrypted else FileCredentialStore(path)
    reader.add_credential(c)
    assert reader.list_credentials() == [c]
    document = json.loads(path.read_bytes())
    if encrypted:
        sealed = document["encrypted"]
        text = sealed["ciphertext"]
        sealed["ciphertext"] = text[:10] + ("B" if text[10] == "A" else "A") + text[11:]
        damaged = json.dumps(document).encode()
        error: type[Exception] = StoreLockedError
    else:
        damaged = b'{"format": "cognito-passkey-soft-store", "version": 1, "da'
        error = StoreCorruptedError
    replacement = tmp_path / "replacement"
    replacement.write_bytes(damaged)
    os.chmod(replacement, 0o600)
    os.replace(replacement, path)
    for _ in range(2):
        with pytest.raises(error):
            reader.list_credentials()
    with pytest.raises(error):
        reader.next_sign_count(c.credential_id)
    assert path.read_bytes() == damaged


def test_a_store_read_then_made_public_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = FileCredentialStore(path)
    store.add_credential(credential())
    store.list_credentials()
    os.chmod(path, 0o640)
    with pytest.raises(StorePermissionError):
        store.list_credentials()
    os.chmod(path, 0o600)
    assert len(store.list_credentials()) == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_no_descriptor_is_kept_on_a_replaced_version(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential()
    store = FileCredentialStore(path)
    store.add_credential(c)
    for _ in range(3):
        store.list_credentials()
        store.next_sign_count(c.credential_id)
    store.list_credentials()
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    assert [t for t in targets if t.startswith(str(path)) and t != str(path)] == []
    assert targets.count(str(path)) <= 1


# The writer lock -------------------------------------------------------------------------


def test_threads_sharing_one_store_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential(discoverable=False)
    store = FileCredentialStore(path)
    store.add_credential(c)

    def bump() -> None:
        for _ in range(20):
            store.next_sign_count(c.credential_id)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert _sign_count(FileCredentialStore(path), c) == 80


def test_a_lock_held_elsewhere_times_out_clearly(tmp_path: Path) -> None:
    """filelock's hold (what other programs and older versions take) excludes ours."""
    path = tmp_path / "store.json"
    store = FileCredentialStore(path, lock_timeout=0.2)
    store.add_credential(credential())
    with FileLock(str(path) + ".lock", timeout=1), pytest.raises(CredentialStoreError) as caught:
        store.add_credential(credential(user_id=b"user-2"))
    assert "held the store lock for more than 0.2 s" in str(caught.value)
    assert len(store.list_credentials()) == 1
    store.add_credential(credential(user_id=b"user-2"))  # released: it goes through
    assert len(store.list_credentials()) == 2


def test_the_lock_is_reentrant_on_one_thread(tmp_path: Path) -> None:
    lock = store_lock.StoreLock(str(tmp_path / "x.lock"), 0.2)
    with lock, lock:
        pass
    with lock:  # fully released above
        pass


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
@pytest.mark.filterwarnings("ignore:flock not supported:UserWarning")
def test_a_filesystem_without_flock_falls_back_to_filelock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    import fcntl

    monkeypatch.setattr(fcntl, "flock", no_flock)  # filelock's probe sees it too
    path = tmp_path / "store.json"
    c = credential(discoverable=False)
    store = FileCredentialStore(path)
    store.add_credential(c)
    store.next_sign_count(c.credential_id)
    assert _sign_count(FileCredentialStore(path), c) == 1
    assert not Path(str(path) + ".lock").exists()  # filelock's soft lock, released


def test_an_encrypted_store_is_read_once_per_version(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential()
    store = fast_encrypted(path)
    store.add_credential(c)
    reader = fast_encrypted(path)
    assert reader.list_credentials() == [c]
    store.next_sign_count(c.credential_id)
    assert _sign_count(reader, c) == 1
