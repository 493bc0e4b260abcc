"""Ctrl-C at a terminal exits 130 with one line, ``error: interrupted``, wherever it lands:
a password or passphrase prompt, a confirmation, a network call, the PIN prompt."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import exit_codes
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, api_client, new_user

from .terminal import TerminalRun, after
from .test_cli_prompts import PASSKEY_ID, PASSPHRASE, encrypted_store, plain_store, pool_env

PIN = "2468-pin"


def interrupted_at(run: TerminalRun, prompt: str) -> None:
    run.wait_for(prompt)
    run.ctrl_c()
    code, screen, stdout = run.finish()
    assert code == exit_codes.INTERRUPTED, screen
    assert after(screen, prompt).strip() == "error: interrupted", screen
    assert "Aborted" not in screen and "Traceback" not in screen
    assert stdout == ""


def test_ctrl_c_at_the_password_prompt() -> None:
    run = TerminalRun(["add-passkey", "alice", "--with-password"], pool_env())
    interrupted_at(run, "Password for alice")


def test_ctrl_c_at_the_delete_confirmation(tmp_path: Path) -> None:
    store = plain_store(tmp_path)
    before = store.read_bytes()
    run = TerminalRun(["soft", "delete", str(store), PASSKEY_ID], pool_env())
    interrupted_at(run, f"Delete credential {PASSKEY_ID}?")
    assert store.read_bytes() == before


def test_ctrl_c_at_a_new_store_passphrase(tmp_path: Path) -> None:
    run = TerminalRun(["soft", "create", "--encrypt", str(tmp_path / "new.json")], pool_env())
    interrupted_at(run, "Passphrase for the new store")
    assert not (tmp_path / "new.json").exists()


def test_ctrl_c_at_a_store_passphrase(tmp_path: Path) -> None:
    run = TerminalRun(["soft", "info", str(encrypted_store(tmp_path))], pool_env())
    interrupted_at(run, "Passphrase for")


@pytest.fixture
def silent_server() -> Iterator[socket.socket]:
    """A loopback port that takes the connection and never answers (a hung network)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        server.settimeout(60)
        yield server


def test_ctrl_c_during_a_network_call(tmp_path: Path, silent_server: socket.socket) -> None:
    port = silent_server.getsockname()[1]
    env = {**pool_env(), "COGNITO_PASSKEY_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    run = TerminalRun(["sign-in", "alice", "--authenticator", f"soft:{plain_store(tmp_path)}"], env)
    connection, _ = silent_server.accept()  # the CLI is now waiting for Cognito
    with connection:
        run.ctrl_c()
        code, screen, stdout = run.finish()
    assert code == exit_codes.INTERRUPTED, screen
    assert screen.strip().splitlines()[-1] == "error: interrupted", screen
    assert "Traceback" not in screen and stdout == ""


# -- against the local AWS: a real sign-in reaches the software key's prompts ---------------


def profile_env(deployment: Deployment, store: Path) -> dict[str, str]:
    return {
        **pool_env(),
        "COGNITO_PASSKEY_USER_POOL_ID": deployment.user_pool_id,
        "COGNITO_PASSKEY_CLIENT_ID": deployment.client_id,
        "COGNITO_PASSKEY_ENDPOINT_URL": deployment.endpoint,
        "COGNITO_PASSKEY_RP_ID": deployment.rp_id,
        "COGNITO_PASSKEY_ORIGIN": deployment.origin,
        "COGNITO_PASSKEY_AUTHENTICATOR": f"soft:{store}",
    }


def test_ctrl_c_at_the_pin_prompt(selfhosted: Deployment, idp: Any, tmp_path: Path) -> None:
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.authenticator.soft import FileCredentialStore, SoftCtapDevice

    store = tmp_path / "pin.json"
    SoftCtapDevice(FileCredentialStore(store)).set_pin(PIN)
    username = new_user(idp, selfhosted, "ctrl-c-pin-")
    enroller = api_client(selfhosted, SoftAuthenticator(store, pin=PIN))
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)

    run = TerminalRun(["sign-in", username, "--no-cache"], profile_env(selfhosted, store))
    interrupted_at(run, "Enter the PIN of your security key")


def test_the_passphrase_is_asked_once_for_a_sign_in(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    from cognito_passkey.authenticator import SoftAuthenticator

    store = encrypted_store(tmp_path)
    username = new_user(idp, selfhosted, "passphrase-")
    enroller = api_client(selfhosted, SoftAuthenticator(store, passphrase=PASSPHRASE))
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)

    run = TerminalRun(
        ["sign-in", username, "--no-cache", "-o", "token"], profile_env(selfhosted, store)
    )
    run.wait_for("Passphrase for")
    run.type(PASSPHRASE + "\n")
    code, screen, stdout = run.finish()
    assert code == 0, screen
    assert stdout.count(".") == 2  # one JWT
    assert screen.count("Passphrase for") == 1 and PASSPHRASE not in screen
