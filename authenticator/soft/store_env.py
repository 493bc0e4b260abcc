"""A credential store carried in an environment variable, for CI jobs.

The variable holds base64 of a whole encrypted store file (what ``cognito-passkey
soft export PATH`` prints). It is decrypted once into memory and nothing is ever
written back: changes (PIN retries, a passkey added) live as long as the process.

Counters: a job cannot tell the next job what count it reached, and parallel jobs
start from the same copy. A counter taken from the clock would not do either: two
jobs signing at nearly the same time reach the relying party's conditional write in
either order, and the later clock value landing first makes the earlier one look
like a regression. So an exported store must be ``counterless``
(:class:`~.device_state.DeviceState`): its credentials always sign with count 0,
which WebAuthn §6.1.1 leaves unchecked when the stored count is 0 too, and which
the self-hosted backend accepts only while the stored count is still 0.
"""

from __future__ import annotations

import base64
import binascii
import os

from ..errors import CredentialStoreError
from .store import MemoryCredentialStore, StoreContents
from .store_file import FileCredentialStore


class EnvCredentialStore(MemoryCredentialStore):
    """An in-memory store initialised from an exported store file; never written anywhere."""

    def __init__(self, contents: StoreContents, *, name: str) -> None:
        super().__init__()
        self._contents = contents
        self.name = name

    def __repr__(self) -> str:
        return f"EnvCredentialStore(${self.name}, <{len(self._contents.credentials)} credentials>)"

    @property
    def encrypted(self) -> bool:
        """Always: an exported store is encrypted (see :func:`export_store`)."""
        return True


def decode_store(
    value: str | None, passphrase: str | None, *, name: str, passphrase_name: str
) -> EnvCredentialStore:
    """The store in ``value`` (base64 of an encrypted store file), unlocked by ``passphrase``.

    Errors name the variables, never their values.
    """
    if not value or not value.strip():
        raise CredentialStoreError(
            f"${name} is not set: put the output of `cognito-passkey soft export PATH` in it"
        )
    if not passphrase:
        raise CredentialStoreError(f"${name} holds an encrypted store: set ${passphrase_name}")
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CredentialStoreError(
            f"${name} is not base64 (expected the output of `cognito-passkey soft export PATH`)"
        ) from None
    reader = FileCredentialStore(os.devnull, passphrase=passphrase, label=f"${name}")
    try:
        contents = reader.contents_from_bytes(raw)
    except CredentialStoreError as exc:
        message = str(exc)
        if "wrong passphrase" in message:
            message = f"${name}: wrong passphrase in ${passphrase_name} (or the value was changed)"
        elif "not encrypted" in message:
            message = f"${name} holds an unencrypted store; export it again with `soft export`"
        raise type(exc)(message) from None
    return EnvCredentialStore(contents, name=name)


def export_store(
    path: str | os.PathLike[str], passphrase: str | None, *, passphrase_name: str
) -> str:
    """The variable's value for the store file at ``path``: base64 of the file's bytes.

    Refused unless the file is encrypted (the value lands in CI secrets and logs) and
    ``passphrase`` opens it, and unless the store is counterless with every credential
    still at count 0 (see the module docstring).
    """
    if not passphrase:
        raise CredentialStoreError(
            f"{path}: an exported store must be encrypted; set ${passphrase_name} to its passphrase"
        )
    store = FileCredentialStore(path, passphrase=passphrase)
    if not store.path.is_file():
        raise CredentialStoreError(f"{path}: no such store file")
    try:
        store.check()  # permissions, lock, passphrase
    except CredentialStoreError as exc:
        if "not encrypted" in str(exc):
            raise CredentialStoreError(
                f"{path}: an exported store must be encrypted; create one with "
                "`cognito-passkey soft create --encrypt --no-counter PATH`"
            ) from None
        raise
    raw = store.path.read_bytes()
    contents = store.contents_from_bytes(raw)
    if not contents.state.counterless:
        raise CredentialStoreError(
            f"{path}: the store counts signatures, which jobs sharing one copy cannot do; "
            "create it with `cognito-passkey soft create --encrypt --no-counter PATH`"
        )
    counted = [c for c in contents.credentials.values() if c.sign_count]
    if counted:
        raise CredentialStoreError(
            f"{path}: {len(counted)} credential(s) signed with a counter before the store "
            "became counterless; the backend would refuse count 0 for them"
        )
    return base64.b64encode(raw).decode("ascii")
