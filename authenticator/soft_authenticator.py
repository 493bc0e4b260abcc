"""SoftAuthenticator: the software key behind the same client code as a USB key.

It is a ClientAuthenticator whose only device is an in-process
``SoftCtapDevice``, so everything a USB key goes through (client data, RP ID
rules, PIN handling, response JSON) is exercised the same way. It never asks:
the PIN (if the store has one) comes from ``pin=`` or ``COGNITO_PASSKEY_PIN``.

User verification, as a store decides it:

- no PIN set (headless QA, the default): built-in verification approves at once,
  also for a relying party that requires user verification;
- a PIN set: user verification means the PIN, sent as a pinUvAuthToken; without
  it a sign-in that needs verification fails with PinRequiredError;
- a PIN set and the store's ``builtin_uv`` setting on
  (``cognito-passkey soft info PATH --builtin-uv``, or
  ``store.set_builtin_uv(True)``): built-in verification again, no PIN needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import CredentialStoreError, StoreNotFoundError, StorePassphraseRequiredError
from .fido2_authenticator import ClientAuthenticator
from .interaction import TerminalInteraction, passphrase_refusal

if TYPE_CHECKING:
    from .soft import FileCredentialStore, SoftCtapDevice
    from .soft.store import CredentialStore

PASSPHRASE_ENV = "COGNITO_PASSKEY_SOFT_PASSPHRASE"  # noqa: S105  (a variable name)
STORE_ENV = "COGNITO_PASSKEY_SOFT_STORE"
"""Base64 of an encrypted, counterless store file (``soft export``), for ``soft:env``."""


def open_env_store(
    environ: Mapping[str, str] | None = None, *, passphrase: str | None = None
) -> CredentialStore:
    """The in-memory store held in ``COGNITO_PASSKEY_SOFT_STORE`` (never written to disk).

    Its passphrase comes from ``passphrase`` or ``COGNITO_PASSKEY_SOFT_PASSPHRASE``.
    See :mod:`cognito_passkey.authenticator.soft.store_env` for why it is counterless.
    """
    from .soft.store_env import decode_store

    env = os.environ if environ is None else environ
    return decode_store(
        env.get(STORE_ENV),
        passphrase if passphrase is not None else env.get(PASSPHRASE_ENV),
        name=STORE_ENV,
        passphrase_name=PASSPHRASE_ENV,
    )


def export_env_store(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> str:
    """The ``COGNITO_PASSKEY_SOFT_STORE`` value for the store file at ``path``."""
    from .soft.store_env import export_store

    env = os.environ if environ is None else environ
    return export_store(path, env.get(PASSPHRASE_ENV) or None, passphrase_name=PASSPHRASE_ENV)


def open_store(
    store: CredentialStore | str | os.PathLike[str] | None,
    *,
    passphrase: str | None = None,
    environ: Mapping[str, str] | None = None,
    create: bool = False,
    ask_passphrase: Callable[[str], str] | None = None,
) -> CredentialStore:
    """A store object from a store, a file path, or None (in memory).

    A missing file is refused (:class:`StoreNotFoundError`) unless ``create``: a mistyped
    path must not read as an empty key, nor leave a new store where nobody looks. The new
    file is written on the first change. A directory is never a store.

    A file store's passphrase defaults to ``COGNITO_PASSKEY_SOFT_PASSPHRASE``; an encrypted
    file without one calls ``ask_passphrase(prompt)`` (a terminal prompt) once, and without
    an asker raises :class:`StorePassphraseRequiredError` naming the variable.
    """
    from .soft import FileCredentialStore, MemoryCredentialStore

    if store is None:
        return MemoryCredentialStore()
    if not isinstance(store, (str, os.PathLike)):
        return store
    env = os.environ if environ is None else environ
    if passphrase is None:
        passphrase = env.get(PASSPHRASE_ENV) or None
    file_store = FileCredentialStore(store, passphrase=passphrase)
    if file_store.path.is_dir():
        raise CredentialStoreError(file_store.directory_message())
    if not create and not file_store.exists:
        raise StoreNotFoundError(
            f"{file_store.path}: no such store file; create one with "
            f"`cognito-passkey soft create {file_store.path}`"
        )
    try:
        file_store.check()  # a wrong passphrase or a damaged file fails here, not mid-sign-in
    except StorePassphraseRequiredError:
        if ask_passphrase is None:
            raise passphrase_refusal(file_store.path) from None
        file_store = FileCredentialStore(
            store, passphrase=ask_passphrase(f"Passphrase for {file_store.path}: ")
        )
        file_store.check()
    return file_store


def create_store(
    path: str | os.PathLike[str],
    *,
    passphrase: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> FileCredentialStore:
    """The store at ``path``, written now (empty, 0600) when it is not there yet.

    This is the explicit create that ``soft:PATH`` needs before its first use. An
    existing store is opened as it is (its passphrase as for :func:`open_store`).
    """
    from .soft import FileCredentialStore

    store = open_store(path, passphrase=passphrase, environ=environ, create=True)
    assert isinstance(store, FileCredentialStore)
    if not store.exists:  # an existing one was checked by open_store
        store.create()
    return store


class SoftAuthenticator(ClientAuthenticator):
    """A headless software authenticator (no prompts; user verification as above).

    ``store`` is a credential store, a path to a store file, or None for an
    in-memory store. A path names a file that is created on first write; with
    ``create=False`` it must exist already (what ``soft:PATH`` specs get, see
    :func:`open_store`). ``device_options`` go to ``SoftCtapDevice`` unchanged.
    """

    def __init__(
        self,
        store: CredentialStore | str | os.PathLike[str] | None = None,
        *,
        passphrase: str | None = None,
        pin: str | None = None,
        origin: str | None = None,
        allow_app_origin: bool = False,
        interaction: TerminalInteraction | None = None,
        device_options: Mapping[str, Any] | None = None,
        create: bool = True,
        ask_passphrase: Callable[[str], str] | None = None,
    ) -> None:
        from .soft import SoftCtapDevice

        self._store = open_store(
            store, passphrase=passphrase, create=create, ask_passphrase=ask_passphrase
        )
        self._device: SoftCtapDevice = SoftCtapDevice(self._store, **dict(device_options or {}))
        device = self._device
        super().__init__(
            origin=origin,
            allow_app_origin=allow_app_origin,
            interaction=interaction
            or TerminalInteraction(interactive=False, pin=pin, announce_touch=False),
            device_source=lambda: [device],
            close_devices=False,
        )

    _runs_inline = True  # the soft device answers in process

    @property
    def store(self) -> CredentialStore:
        """Where the credentials live (list or delete them here)."""
        return self._store

    @property
    def device(self) -> SoftCtapDevice:
        """The CTAP device python-fido2 talks to."""
        return self._device
