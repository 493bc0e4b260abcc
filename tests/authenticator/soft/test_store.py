"""Credential stores: the shared interface, the file format's safety rules, encryption."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator.errors import (
    CredentialStoreError,
    StoreCorruptedError,
    StoreLockedError,
    StorePermissionError,
)
from cognito_passkey.authenticator.soft import (
    ALG_EDDSA,
    ALG_ES256,
    CredentialStore,
    FileCredentialStore,
    MemoryCredentialStore,
    SoftCtapDevice,
    StoredCredential,
)
from fido2.ctap2 import Ctap2

CDH = hashlib.sha256(b"client data").digest()
FAST_SCRYPT = 2**10  # tests only (allow_weak_scrypt_for_tests); files get 2**17
PASSPHRASE = "pw-of-the-tests"


def fast_encrypted(path: Path, passphrase: str = PASSPHRASE) -> FileCredentialStore:
    """An encrypted store with a cheap work factor, so the many store tests stay quick."""
    return FileCredentialStore(
        path, passphrase=passphrase, scrypt_n=FAST_SCRYPT, allow_weak_scrypt_for_tests=True
    )


def credential(
    rp_id: str = "example.com", user_id: bytes = b"user-1", *, discoverable: bool = True
) -> StoredCredential:
    return StoredCredential.generate(
        rp_id=rp_id,
        user_id=user_id,
        algorithm=ALG_ES256,
        discoverable=discoverable,
        user_name="alice",
        user_display_name="Alice",
    )


@pytest.fixture(params=["memory", "file", "encrypted-file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CredentialStore:
    if request.param == "memory":
        return MemoryCredentialStore()
    if request.param == "file":
        return FileCredentialStore(tmp_path / "store.json")
    return fast_encrypted(tmp_path / "store.json")


# The interface, on every store ---------------------------------------------------------


def test_add_list_get_delete(store: CredentialStore) -> None:
    assert store.list_credentials() == []
    a = credential("example.com", b"a")
    b = credential("other.example", b"b", discoverable=False)
    store.add_credential(a)
    store.add_credential(b)
    assert [c.credential_id for c in store.list_credentials()] == [a.credential_id, b.credential_id]
    assert store.list_credentials("other.example") == [b]
    assert store.list_credentials("nobody.example") == []
    assert store.get_credential(a.credential_id) == a
    assert store.delete_credential(a.credential_id) is True
    assert store.delete_credential(a.credential_id) is False
    assert store.get_credential(a.credential_id) is None
    assert store.list_credentials() == [b]


def test_round_trip_keeps_every_field(store: CredentialStore) -> None:
    original = StoredCredential.generate(
        rp_id="example.com",
        rp_name="Example",
        user_id=b"\x00\xffuser",
        user_name="bob@example.com",
        user_display_name="Bob Bobson",
        algorithm=ALG_EDDSA,
        discoverable=True,
    )
    store.add_credential(original)
    (loaded,) = store.list_credentials()
    assert loaded == original
    assert loaded.public_key() == original.public_key()


def test_sign_count_bumps(store: CredentialStore) -> None:
    c = credential()
    store.add_credential(c)
    assert [store.next_sign_count(c.credential_id) for _ in range(3)] == [1, 2, 3]
    stored = store.get_credential(c.credential_id)
    assert stored is not None and stored.sign_count == 3
    assert store.next_sign_count(b"missing") is None


def test_discoverable_credential_for_the_same_user_is_replaced(store: CredentialStore) -> None:
    old = credential(user_id=b"same")
    kept = credential(user_id=b"same", discoverable=False)
    store.add_credential(old)
    store.add_credential(kept)
    new = credential(user_id=b"same")
    store.add_credential(new)
    ids = {c.credential_id for c in store.list_credentials()}
    assert ids == {kept.credential_id, new.credential_id}


def test_private_key_is_not_in_repr() -> None:
    c = credential()
    assert c.private_key.hex() not in repr(c)
    assert "private_key" not in repr(c)


def test_failed_change_writes_nothing(store: CredentialStore) -> None:
    store.add_credential(credential())

    def broken(state: object) -> object:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.update_device_state(broken)  # type: ignore[arg-type]
    assert len(store.list_credentials()) == 1


# The file ---------------------------------------------------------------------------------


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_files_are_0600_even_with_umask_000(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "new-dir" / "store.json"
    store = FileCredentialStore(path)
    store.add_credential(credential())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    lock = Path(str(path) + ".lock")
    if lock.exists():
        assert stat.S_IMODE(lock.stat().st_mode) & 0o077 == 0
    store.next_sign_count(store.list_credentials()[0].credential_id)  # rewrite keeps 0600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_store_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "store.json"
    FileCredentialStore(path).add_credential(credential())
    os.chmod(path, mode)
    before = path.read_bytes()
    store = FileCredentialStore(path)
    with pytest.raises(StorePermissionError, match="chmod 600"):
        store.list_credentials()
    with pytest.raises(StorePermissionError):
        store.add_credential(credential())
    assert path.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX symlinks")
def test_symlinked_store_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    FileCredentialStore(real).add_credential(credential())
    link = tmp_path / "link.json"
    link.symlink_to(real)
    before = real.read_bytes()
    with pytest.raises(CredentialStoreError, match="symbolic link"):
        FileCredentialStore(link).add_credential(credential())
    assert link.is_symlink()
    assert real.read_bytes() == before


def test_reopened_store_sees_everything(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    device = SoftCtapDevice.open(path)
    ctap = Ctap2(device)
    rp = {"id": "example.com"}
    user = {"id": b"u", "name": "u"}
    made = ctap.make_credential(CDH, rp, user, [{"type": "public-key", "alg": -7}])
    assert made.auth_data.credential_data is not None
    credential_id = made.auth_data.credential_data.credential_id
    allow = [{"type": "public-key", "id": credential_id}]
    ctap.get_assertion("example.com", CDH, allow)

    again = Ctap2(SoftCtapDevice.open(path))
    assertion = again.get_assertion("example.com", CDH, allow)
    assert assertion.auth_data.counter == 2
    assertion.verify(CDH, made.auth_data.credential_data.public_key)

    document = json.loads(path.read_text())
    assert document["format"] == "cognito-passkey-soft-store"
    assert document["version"] == 1

    # Managing credentials needs no device.
    store = FileCredentialStore(path)
    assert store.delete_credential(credential_id)
    assert store.list_credentials() == []


VALID = json.dumps({"format": "cognito-passkey-soft-store", "version": 1, "data": None})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage\xff", "not valid JSON"),
        (b"not json at all", "not valid JSON"),
        (b'{"format": "cognito-passkey-soft-store", "version": 1, "da', "not valid JSON"),
        (b'{"users": []}', "not a credential store"),
        (b"[1, 2, 3]", "not a credential store"),
        (b'{"format": "cognito-passkey-soft-store"}', "format version"),
        (b'{"format": "cognito-passkey-soft-store", "version": 99, "data": {}}', "newer"),
        (b'{"format": "cognito-passkey-soft-store", "version": 1}', "neither"),
        (VALID.encode(), "bad store contents"),
        (
            json.dumps(
                {
                    "format": "cognito-passkey-soft-store",
                    "version": 1,
                    "data": {
                        "device": {"pin": None, "pin_retries": 8, "uv_retries": 8},
                        "credentials": [{"id": "AAAA", "rp_id": "x"}],
                    },
                }
            ).encode(),
            "bad store contents",
        ),
    ],
)
def test_corrupted_store_is_reported_and_never_overwritten(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "store.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    store = FileCredentialStore(path)
    operations: list[Callable[[], object]] = [
        store.list_credentials,
        store.device_state,
        lambda: store.add_credential(credential()),
        lambda: store.delete_credential(b"x"),
        lambda: store.next_sign_count(b"x"),
        store.wipe,
        lambda: SoftCtapDevice.open(path),
    ]
    for operation in operations:
        with pytest.raises(StoreCorruptedError) as caught:
            operation()
        assert str(path) in str(caught.value)
        assert message in str(caught.value)
    assert path.read_bytes() == content


def test_truncated_real_store_is_corrupted(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = FileCredentialStore(path)
    store.add_credential(credential())
    whole = path.read_bytes()
    half = whole[: len(whole) // 2]
    path.write_bytes(half)
    with pytest.raises(StoreCorruptedError):
        store.add_credential(credential())
    assert path.read_bytes() == half


def test_a_device_on_a_corrupted_store_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = FileCredentialStore(path)
    device = SoftCtapDevice(store)
    Ctap2(device)  # works while the file is absent
    path.write_bytes(b"{broken")
    os.chmod(path, 0o600)
    with pytest.raises(StoreCorruptedError):
        Ctap2(device)
    assert path.read_bytes() == b"{broken"


# Encryption ------------------------------------------------------------------------------------


def test_encrypted_round_trip_hides_everything(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = FileCredentialStore(path, passphrase="correct horse")  # default scrypt work factor
    c = credential()
    store.add_credential(c)
    raw = path.read_bytes()
    for secret in (b"alice", b"example.com", c.private_key, c.private_key.hex().encode()):
        assert secret not in raw
    document = json.loads(raw)
    assert document["kdf"]["name"] == "scrypt"
    assert document["kdf"]["n"] == 2**17
    assert document["encrypted"]["cipher"] == "AES-256-GCM"
    assert "data" not in document

    reopened = FileCredentialStore(path, passphrase="correct horse")
    assert reopened.list_credentials() == [c]
    assert reopened.next_sign_count(c.credential_id) == 1
    assert json.loads(path.read_bytes())["kdf"] == document["kdf"]


def test_wrong_or_missing_passphrase_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    fast_encrypted(path, "right-passphrase").add_credential(credential())
    before = path.read_bytes()
    with pytest.raises(StoreLockedError, match="wrong passphrase"):
        FileCredentialStore(path, passphrase="wrong").list_credentials()
    with pytest.raises(StoreLockedError, match="passphrase is needed"):
        FileCredentialStore(path).add_credential(credential())
    with pytest.raises(StoreLockedError):
        SoftCtapDevice.open(path, passphrase="wrong")
    assert path.read_bytes() == before


def test_tampered_ciphertext_or_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    fast_encrypted(path).add_credential(credential())
    document = json.loads(path.read_bytes())

    flipped = json.loads(json.dumps(document))
    ciphertext = flipped["encrypted"]["ciphertext"]
    flipped["encrypted"]["ciphertext"] = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    path.write_text(json.dumps(flipped))
    with pytest.raises(StoreLockedError):
        FileCredentialStore(path, passphrase=PASSPHRASE).list_credentials()

    hostile = json.loads(json.dumps(document))
    hostile["kdf"]["n"] = 2**30  # would need 1 TiB of memory
    path.write_text(json.dumps(hostile))
    with pytest.raises(StoreCorruptedError, match="scrypt"):
        FileCredentialStore(path, passphrase=PASSPHRASE).list_credentials()


def test_passphrase_for_a_plain_store_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    FileCredentialStore(path).add_credential(credential())
    with pytest.raises(CredentialStoreError, match="not encrypted"):
        FileCredentialStore(path, passphrase="pw").list_credentials()


def test_weaker_scrypt_parameters_are_upgraded_on_the_next_write(tmp_path: Path) -> None:
    """A file written with N=2**15 (the earlier default) still opens, and its next write
    re-keys it with N=2**17 and a fresh salt."""
    path = tmp_path / "store.json"
    old = FileCredentialStore(
        path, passphrase=PASSPHRASE, scrypt_n=2**15, allow_weak_scrypt_for_tests=True
    )
    first = credential(user_id=b"a")
    old.add_credential(first)
    before = json.loads(path.read_bytes())["kdf"]
    assert (before["n"], before["r"], before["p"]) == (2**15, 8, 1)

    store = FileCredentialStore(path, passphrase=PASSPHRASE)
    assert store.list_credentials() == [first]  # read with the file's own parameters
    assert json.loads(path.read_bytes())["kdf"] == before  # reading writes nothing
    second = credential(user_id=b"b")
    store.add_credential(second)
    after = json.loads(path.read_bytes())["kdf"]
    assert (after["n"], after["r"], after["p"]) == (2**17, 8, 1)
    assert after["salt"] != before["salt"]
    assert FileCredentialStore(path, passphrase=PASSPHRASE).list_credentials() == [first, second]


def test_a_weak_work_factor_needs_the_test_knob(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"at least 131072"):
        FileCredentialStore(tmp_path / "store.json", passphrase=PASSPHRASE, scrypt_n=2**15)


@pytest.mark.parametrize("passphrase", ["x", "1234567"])
def test_a_short_passphrase_is_refused_for_a_new_store(tmp_path: Path, passphrase: str) -> None:
    from cognito_passkey.authenticator import WeakPassphraseError, open_store

    path = tmp_path / "store.json"
    with pytest.raises(WeakPassphraseError, match="at least 8 characters"):
        fast_encrypted(path, passphrase).add_credential(credential())
    assert not path.exists()
    with pytest.raises(WeakPassphraseError):
        open_store(path, passphrase=passphrase, create=True)  # refused before any operation
    assert not path.exists()
    fast_encrypted(path, "12345678").add_credential(credential())  # eight characters do


def test_an_existing_store_with_a_short_passphrase_still_opens(tmp_path: Path) -> None:
    """Files written before the minimum length keep working (and keep their passphrase)."""
    from cognito_passkey.authenticator.soft import store_crypto, store_file

    path = tmp_path / "store.json"
    params = store_crypto.KdfParams.fresh(FAST_SCRYPT)
    document: dict[str, object] = {
        "format": store_file.STORE_FORMAT,
        "version": store_file.STORE_VERSION,
        "kdf": params.to_json(),
    }
    payload = {"device": {"pin": None, "pin_retries": 8, "uv_retries": 8}, "credentials": []}
    document["encrypted"] = store_crypto.encrypt(
        store_crypto.derive_key("pw", params),
        json.dumps(payload).encode(),
        store_file._associated_data(document),
    )
    path.write_text(json.dumps(document))
    os.chmod(path, 0o600)
    store = FileCredentialStore(path, passphrase="pw")
    store.add_credential(credential())  # re-keyed with 2**17, same passphrase
    assert len(store.list_credentials()) == 1
    assert json.loads(path.read_bytes())["kdf"]["n"] == 2**17


# Several processes at once -----------------------------------------------------------------------


def _sign_many(path: str, credential_id: bytes, count: int) -> None:
    ctap = Ctap2(SoftCtapDevice(FileCredentialStore(path)))
    allow = [{"type": "public-key", "id": credential_id}]
    for _ in range(count):
        ctap.get_assertion("example.com", CDH, allow)


def _add_many(path: str, label: str, count: int) -> None:
    store = FileCredentialStore(path)
    for n in range(count):
        store.add_credential(credential(user_id=f"{label}-{n}".encode()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_concurrent_processes_lose_no_counter_update(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    c = credential(discoverable=False)
    FileCredentialStore(path).add_credential(c)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_sign_many, args=(str(path), c.credential_id, 25)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    json.loads(path.read_text())  # whole, parseable file
    stored = FileCredentialStore(path).get_credential(c.credential_id)
    assert stored is not None and stored.sign_count == 100


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_concurrent_processes_lose_no_credential(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_many, args=(str(path), f"p{i}", 10)) for i in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(FileCredentialStore(path).list_credentials()) == 30


class _CountingParses(FileCredentialStore):
    """A real file store that counts how often it parses what it read."""

    parses = 0

    def contents_from_bytes(self, raw: bytes) -> Any:
        self.parses += 1
        return super().contents_from_bytes(raw)


@pytest.mark.parametrize("encrypted", [False, True])
def test_an_unchanged_file_is_read_every_time_but_parsed_once(
    tmp_path: Path, encrypted: bool
) -> None:
    path = tmp_path / "store.json"
    writer = fast_encrypted(path) if encrypted else FileCredentialStore(path)
    first = credential()
    writer.add_credential(first)
    kwargs: dict[str, Any] = (
        {"passphrase": PASSPHRASE, "scrypt_n": FAST_SCRYPT, "allow_weak_scrypt_for_tests": True}
        if encrypted
        else {}
    )
    reader = _CountingParses(path, **kwargs)
    assert reader.list_credentials() == [first]
    assert reader.get_credential(first.credential_id) == first
    assert reader.parses == 1
    # Another store object (another process) replaces the file: the reader sees it.
    assert writer.next_sign_count(first.credential_id) == 1
    found = reader.get_credential(first.credential_id)
    assert found is not None and found.sign_count == 1
    assert reader.parses == 2
    # A change through the reader starts from what it read, and keeps the cached parse intact.
    assert reader.next_sign_count(first.credential_id) == 2
    assert writer.next_sign_count(first.credential_id) == 3
    os.chmod(path, 0o644)  # the file's checks still run on every read
    with pytest.raises(StorePermissionError):
        reader.list_credentials()


@pytest.mark.parametrize(
    ("content", "expected", "read"),
    [
        (b"", 0, b""),
        (b"abc", 3, b"abc"),
        (b"abcdef", 3, b"abcde"),  # grew after fstat: read on, up to the limit
        (b"abc", 10, b"abc"),  # shrank: what is there
        (b"abcdefgh", 8, b"abcde"),  # larger than the limit: the limit, so it is refused
    ],
)
def test_a_store_read_stops_at_the_limit_whatever_fstat_said(
    content: bytes, expected: int, read: bytes
) -> None:
    import io

    from cognito_passkey.authenticator._files import read_at_most

    assert read_at_most(io.BytesIO(content), 5, expected) == read
