"""The credential store interface and the in-memory store.

Every change is a read-modify-write of the whole contents inside one
transaction, so a store backed by a file shared between processes loses no
update (a signature counter bumped by two processes at once ends up +2).
Subclasses provide only :meth:`CredentialStore._read` and
:meth:`CredentialStore._update`.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .credential import StoredCredential
from .device_state import DeviceState

T = TypeVar("T")

_snapshots = threading.local()  # per thread: id(store) -> the open snapshot (None: not read yet)


def _held() -> dict[int, StoreContents | None]:
    held: dict[int, StoreContents | None] | None = getattr(_snapshots, "held", None)
    if held is None:
        held = _snapshots.held = {}
    return held


class _OneSnapshot:
    """``CredentialStore.one_snapshot``'s context (a class: entered on every CTAP command,
    where a generator-based context manager costs several times as much)."""

    __slots__ = ("_key", "_outer")

    def __init__(self, key: int) -> None:
        self._key = key
        self._outer = False

    def __enter__(self) -> None:
        held = _held()
        self._outer = self._key not in held  # nested: the outer snapshot serves
        if self._outer:
            held[self._key] = None

    def __exit__(self, *exc_info: object) -> None:
        if self._outer:
            del _held()[self._key]


@dataclass
class StoreContents:
    """Everything a store holds; mutable only inside a transaction."""

    credentials: dict[bytes, StoredCredential] = field(default_factory=dict)
    state: DeviceState = field(default_factory=DeviceState)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.state.to_json(),
            "credentials": [c.to_json() for c in self.credentials.values()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoreContents:
        """Parse :meth:`to_json` output; ValueError says what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("store payload is not an object")
        entries = data.get("credentials")
        if not isinstance(entries, list):
            raise ValueError("'credentials' is missing or not a list")
        credentials: dict[bytes, StoredCredential] = {}
        for entry in entries:
            credential = StoredCredential.from_json(entry)
            if credential.credential_id in credentials:
                raise ValueError("duplicate credential id")
            credentials[credential.credential_id] = credential
        return cls(credentials, DeviceState.from_json(data.get("device")))

    def copy(self) -> StoreContents:
        return StoreContents(dict(self.credentials), self.state)


class CredentialStore(abc.ABC):
    """Where the software authenticator keeps credentials, PIN and counters."""

    @abc.abstractmethod
    def _read(self) -> StoreContents:
        """A consistent snapshot of the contents."""

    @abc.abstractmethod
    def _update(self, change: Callable[[StoreContents], T]) -> T:
        """Apply ``change`` to the contents atomically and persist the result.

        If ``change`` raises, nothing is written.
        """

    # One snapshot per command ------------------------------------------------

    def one_snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Reads on this thread inside share one snapshot, taken on the first read.

        One CTAP command then reads a consistent store once rather than once per
        question (a file store: one locked read). A change inside drops the snapshot, and
        changes always read afresh under the store's lock, so no update is lost.
        """
        return _OneSnapshot(id(self))

    def _snapshot(self) -> StoreContents:
        held = _held()
        key = id(self)
        if key not in held:
            return self._read()
        contents = held[key]
        if contents is None:
            contents = held[key] = self._read()
        return contents

    def _write(self, change: Callable[[StoreContents], T]) -> T:
        held = _held()
        if id(self) in held:
            held[id(self)] = None
        return self._update(change)

    # Credentials -----------------------------------------------------------

    def list_credentials(self, rp_id: str | None = None) -> list[StoredCredential]:
        """Credentials (all, or of one RP), oldest first."""
        found = [
            c for c in self._snapshot().credentials.values() if rp_id is None or c.rp_id == rp_id
        ]
        return sorted(found, key=lambda c: c.created_at)

    def get_credential(self, credential_id: bytes) -> StoredCredential | None:
        return self._snapshot().credentials.get(bytes(credential_id))

    def add_credential(self, credential: StoredCredential) -> None:
        """Store ``credential``; a discoverable one replaces the RP's one for the same user."""

        def add(contents: StoreContents) -> None:
            if credential.discoverable:
                for old in list(contents.credentials.values()):
                    if (
                        old.discoverable
                        and old.rp_id == credential.rp_id
                        and old.user_id == credential.user_id
                    ):
                        del contents.credentials[old.credential_id]
            contents.credentials[credential.credential_id] = credential

        self._write(add)

    def delete_credential(self, credential_id: bytes) -> bool:
        """Remove a credential; False when there was none with that ID."""

        def delete(contents: StoreContents) -> bool:
            return contents.credentials.pop(bytes(credential_id), None) is not None

        return self._write(delete)

    def next_sign_count(self, credential_id: bytes) -> int | None:
        """Bump and return the credential's signature counter (None if it is gone).

        A ``counterless`` store (:class:`DeviceState`) returns the count unchanged.
        """

        def bump(contents: StoreContents) -> int | None:
            credential = contents.credentials.get(bytes(credential_id))
            if credential is None:
                return None
            if contents.state.counterless:
                return credential.sign_count
            count = min(credential.sign_count + 1, 0xFFFFFFFF)
            contents.credentials[credential.credential_id] = replace(credential, sign_count=count)
            return count

        return self._write(bump)

    # Device state ----------------------------------------------------------

    def device_state(self) -> DeviceState:
        return self._snapshot().state

    def update_device_state(self, change: Callable[[DeviceState], DeviceState]) -> DeviceState:
        """Atomically replace the device state with ``change(current)``."""

        def apply(contents: StoreContents) -> DeviceState:
            contents.state = change(contents.state)
            return contents.state

        return self._write(apply)

    def set_builtin_uv(self, enabled: bool) -> DeviceState:
        """Let built-in verification stand in for a set PIN (on), or keep UV to the PIN (off)."""
        return self.update_device_state(lambda s: replace(s, builtin_uv=enabled))

    def set_counterless(self, enabled: bool) -> DeviceState:
        """Keep signature counters still (on: for stores many jobs share), or count (off)."""
        return self.update_device_state(lambda s: replace(s, counterless=enabled))

    def wipe(self) -> None:
        """Forget every credential and the PIN (authenticatorReset)."""

        def clear(contents: StoreContents) -> None:
            contents.credentials.clear()
            contents.state = DeviceState()

        self._write(clear)


class MemoryCredentialStore(CredentialStore):
    """A store that lives as long as the object: for tests and throw-away sessions."""

    def __init__(self) -> None:
        self._contents = StoreContents()
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MemoryCredentialStore(<{len(self._contents.credentials)} credentials>)"

    def _read(self) -> StoreContents:
        with self._lock:
            return self._contents.copy()

    def _update(self, change: Callable[[StoreContents], T]) -> T:
        with self._lock:
            working = self._contents.copy()
            result = change(working)
            self._contents = working
            return result
