"""``soft:env``: a store from COGNITO_PASSKEY_SOFT_STORE, kept in memory, counterless."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator, open_authenticator
from cognito_passkey.authenticator.errors import CredentialStoreError, StoreLockedError
from cognito_passkey.authenticator.soft import FileCredentialStore
from cognito_passkey.authenticator.soft_authenticator import (
    PASSPHRASE_ENV,
    STORE_ENV,
    export_env_store,
    open_env_store,
)
from fido2.webauthn import AuthenticatorData

PASSPHRASE = "correct horse battery"


def counterless_store(path: Path, rp: Any, kit: Any) -> None:
    store = FileCredentialStore(
        path, passphrase=PASSPHRASE, scrypt_n=2**14, allow_weak_scrypt_for_tests=True
    )
    store.set_counterless(True)
    auth = SoftAuthenticator(store)
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, origin=kit.ORIGIN, rp_id=kit.RP_ID))


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def sign(auth: Any, rp: Any, kit: Any) -> int:
    options, state = rp.request_options()
    response = auth.get(options, origin=kit.ORIGIN, rp_id=kit.RP_ID)
    rp.authenticate(state, response)
    from fido2.utils import websafe_decode

    data = AuthenticatorData(websafe_decode(response["response"]["authenticatorData"]))
    return int(data.counter)


def test_env_store_signs_with_count_0_and_never_writes_a_file(
    tmp_path: Path, rp: Any, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "key.json"
    counterless_store(path, rp, kit)
    value = export_env_store(path, {PASSPHRASE_ENV: PASSPHRASE})
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = tree(tmp_path)

    def no_writes(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the env store wrote a file")

    monkeypatch.setattr("cognito_passkey.authenticator.soft.store_file.write_private", no_writes)
    monkeypatch.setenv(STORE_ENV, value)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    auth = open_authenticator("soft:env")
    assert [sign(auth, rp, kit) for _ in range(3)] == [0, 0, 0]
    again = SoftAuthenticator(open_env_store())  # a second job from the same value
    assert sign(again, rp, kit) == 0
    assert tree(tmp_path) == before  # nothing written, the exported file unchanged
    assert "EnvCredentialStore" in repr(again.store) and value not in repr(again.store)


def test_counterless_file_store_keeps_its_counts(tmp_path: Path, rp: Any, kit: Any) -> None:
    path = tmp_path / "key.json"
    counterless_store(path, rp, kit)
    store = FileCredentialStore(path, passphrase=PASSPHRASE)
    auth = SoftAuthenticator(store)
    assert [sign(auth, rp, kit) for _ in range(2)] == [0, 0]
    assert store.device_state().counterless
    assert [c.sign_count for c in store.list_credentials()] == [0]


@pytest.mark.parametrize(
    ("environ", "error", "named"),
    [
        ({}, CredentialStoreError, STORE_ENV),
        ({STORE_ENV: "  "}, CredentialStoreError, STORE_ENV),
        ({STORE_ENV: "not base64 at all!"}, CredentialStoreError, STORE_ENV),
        ({STORE_ENV: "aGVsbG8="}, CredentialStoreError, STORE_ENV),  # base64 of "hello"
    ],
    ids=["unset", "blank", "garbled", "not-a-store"],
)
def test_bad_values_name_the_variable(
    environ: dict[str, str], error: type[Exception], named: str
) -> None:
    environ = {PASSPHRASE_ENV: PASSPHRASE, **environ}
    with pytest.raises(error, match=r"\$" + named) as caught:
        open_env_store(environ)
    assert caught.value.exit_code == 5  # type: ignore[attr-defined]
    assert "\n" not in str(caught.value)
    if environ.get(STORE_ENV, "").strip():
        assert environ[STORE_ENV] not in str(caught.value)


def test_wrong_or_missing_passphrase(tmp_path: Path, rp: Any, kit: Any) -> None:
    path = tmp_path / "key.json"
    counterless_store(path, rp, kit)
    value = export_env_store(path, {PASSPHRASE_ENV: PASSPHRASE})
    with pytest.raises(StoreLockedError, match=r"\$COGNITO_PASSKEY_SOFT_PASSPHRASE") as caught:
        open_env_store({STORE_ENV: value, PASSPHRASE_ENV: "wrong passphrase!"})
    assert "wrong passphrase!" not in str(caught.value) and value not in str(caught.value)
    with pytest.raises(CredentialStoreError, match=PASSPHRASE_ENV):
        open_env_store({STORE_ENV: value})


def test_export_refuses_what_jobs_cannot_share(tmp_path: Path, rp: Any, kit: Any) -> None:
    plain = tmp_path / "plain.json"
    FileCredentialStore(plain).set_counterless(True)
    with pytest.raises(CredentialStoreError, match="must be encrypted"):
        export_env_store(plain, {})
    with pytest.raises(CredentialStoreError, match="must be encrypted"):
        export_env_store(plain, {PASSPHRASE_ENV: PASSPHRASE})
    counting = tmp_path / "counting.json"
    store = FileCredentialStore(
        counting, passphrase=PASSPHRASE, scrypt_n=2**14, allow_weak_scrypt_for_tests=True
    )
    auth = SoftAuthenticator(store)
    options, state = rp.registration_options()
    rp.register(state, auth.create(options, origin=kit.ORIGIN, rp_id=kit.RP_ID))
    with pytest.raises(CredentialStoreError, match="--no-counter"):
        export_env_store(counting, {PASSPHRASE_ENV: PASSPHRASE})
    assert sign(auth, rp, kit) == 1
    store.set_counterless(True)  # too late: the backend has seen count 1
    with pytest.raises(CredentialStoreError, match="signed with a counter"):
        export_env_store(counting, {PASSPHRASE_ENV: PASSPHRASE})
    assert os.stat(counting).st_mode & 0o077 == 0
