"""A ``soft:PATH`` names an existing store: a missing file or a directory is said so, and a
new store is made only on purpose (``create=True``, ``soft create``, ``--create-store``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import errors, open_authenticator, open_store
from cognito_passkey.authenticator.soft_authenticator import SoftAuthenticator, create_store
from cognito_passkey.client import exit_codes
from cognito_passkey.client.lazy_authenticator import LazyAuthenticator


def test_a_missing_store_is_named_not_read_as_an_empty_key(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "file.json"
    with pytest.raises(errors.StoreNotFoundError) as caught:
        open_authenticator(f"soft:{missing}")
    assert str(missing) in str(caught.value)
    assert f"soft create {missing}" in str(caught.value)
    assert exit_codes.for_exception(caught.value) == exit_codes.CONFIG
    assert not missing.parent.exists()  # nothing was made on the way


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    for opening in (
        lambda: open_authenticator(f"soft:{tmp_path}"),
        lambda: open_authenticator(f"soft:{tmp_path}", create=True),
        lambda: SoftAuthenticator(tmp_path),
        lambda: open_store(tmp_path, create=True),
    ):
        with pytest.raises(errors.CredentialStoreError, match="is a directory, not a store"):
            opening()
    assert sorted(tmp_path.iterdir()) == []


def test_the_store_reader_says_directory_too(tmp_path: Path) -> None:
    """Even past the path check (a directory appearing later), never an IsADirectoryError."""
    from cognito_passkey.authenticator.soft import FileCredentialStore

    with pytest.raises(errors.CredentialStoreError, match="is a directory, not a store"):
        FileCredentialStore(tmp_path).list_credentials()


def test_create_is_explicit(tmp_path: Path, rp: Any) -> None:
    path = tmp_path / "new.json"
    auth = open_authenticator(f"soft:{path}", create=True)
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, rp_id="example.com"))
    assert path.is_file()
    assert open_authenticator(f"soft:{path}") is not None  # it exists now: no flag needed


def test_create_store_writes_an_empty_private_file_and_keeps_an_existing_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state" / "authenticator.json"
    create_store(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert open_store(path).list_credentials() == []
    open_store(path).set_builtin_uv(True)
    before = path.read_bytes()
    create_store(path)
    assert path.read_bytes() == before


def test_the_lazy_authenticator_refuses_a_missing_store_unless_told(tmp_path: Path) -> None:
    missing = tmp_path / "typo.json"
    lazy = LazyAuthenticator(f"soft:{missing}", interactive=False)
    with pytest.raises(errors.StoreNotFoundError):
        lazy.get(
            {"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "example.com"},
            origin="https://example.com",
            rp_id="example.com",
        )
    created = LazyAuthenticator(f"soft:{missing}", interactive=False, create_store=True)
    with pytest.raises(errors.NoCredentialsError):  # an empty new key: now it is "no passkey"
        created.get(
            {"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "example.com"},
            origin="https://example.com",
            rp_id="example.com",
        )


def test_local_profiles_name_a_store_that_exists(tmp_path: Path) -> None:
    """``local up`` writes ``soft:<state dir>/authenticator.json``: it creates that store."""
    from cognito_passkey.client.config import load_profile
    from cognito_passkey.local.deploy import Deployment
    from cognito_passkey.local.local_aws import LocalAws

    deployment = Deployment(
        stack_name="s",
        backend="selfhosted",
        endpoint="http://127.0.0.1:9",
        outputs={"UserPoolId": "us-east-1_abc", "UserPoolClientId": "client"},
        rp_id="localhost",
        origin="https://localhost",
    )
    state = tmp_path / "state"
    config = tmp_path / "config.ini"
    LocalAws(state).write_profile(deployment, path=config)
    store = state / "authenticator.json"
    assert load_profile("local", path=config)["authenticator"] == f"soft:{store}"
    assert open_authenticator(f"soft:{store}") is not None


def test_an_encrypted_store_nobody_can_unlock_names_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    create_store(path, passphrase="correct horse battery", environ={})
    with pytest.raises(errors.StorePassphraseRequiredError) as caught:
        open_store(path, environ={})
    assert str(caught.value) == (
        f"{path}: the store is encrypted: set COGNITO_PASSKEY_SOFT_PASSPHRASE "
        "(no prompt without a terminal)"
    )
    assert exit_codes.for_exception(caught.value) == exit_codes.USAGE
    with pytest.raises(errors.StoreLockedError):  # an existing store is opened as it is
        create_store(path, passphrase="not the passphrase", environ={})
    assert create_store(path, passphrase="correct horse battery", environ={}).path == path
