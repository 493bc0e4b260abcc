"""Misleading errors, end to end on the local AWS, and passkey names from the command line.

A copied store whose counter fell behind is refused by the Verify trigger
(``sign_count_regression``); Cognito words that as a wrong password, so the client says what a
person can check. A wrong pool id is caught before anything is cached. ``add-passkey --name``
names the new passkey through the management API, and ``passkeys delete`` asks by name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import exit_codes
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from e2e_support import PASSWORD, cli_profile, enrolled_user, new_user, run_cli

pytestmark = pytest.mark.e2e


def cached_files(home: Path) -> list[Path]:
    cache = home / "cache"
    return sorted(p for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def error_of(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr


def test_a_copied_store_behind_the_server_is_named(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    original = tmp_path / "key.json"
    username = enrolled_user(idp, selfhosted, "ce-clone-", SoftAuthenticator(original))
    clone_home = tmp_path / "clone"
    clone_home.mkdir()
    shutil.copy2(original, clone_home / "key.json")
    profile = cli_profile(tmp_path, selfhosted, original, "errors")
    assert run_cli(tmp_path, "sign-in", username, "--profile", profile).returncode == 0

    clone_profile = cli_profile(clone_home, selfhosted, clone_home / "key.json", "errors")
    result = run_cli(clone_home, "sign-in", username, "--profile", clone_profile)
    assert result.returncode == exit_codes.AUTH_FAILED, result.stderr
    said = error_of(result)
    assert "the passkey was refused" in said
    assert "signature counter may be behind the server's: a copied store?" in said
    assert "Incorrect username or password" not in said
    assert cached_files(clone_home) == []


def test_a_wrong_pool_id_caches_nothing(selfhosted: Deployment, idp: Any, tmp_path: Path) -> None:
    store = tmp_path / "key.json"
    username = enrolled_user(idp, selfhosted, "ce-pool-", SoftAuthenticator(store))
    profile = cli_profile(tmp_path, selfhosted, store, "errors")
    region = selfhosted.user_pool_id.split("_", 1)[0]
    wrong = f"{region}_NoSuchPool1"
    result = run_cli(tmp_path, "sign-in", username, "--profile", profile, "--user-pool-id", wrong)
    assert result.returncode == exit_codes.CONFIG, result.stderr
    said = error_of(result)
    assert f"issued by user pool {selfhosted.user_pool_id!r}" in said
    assert f"user_pool_id {wrong!r}" in said
    assert cached_files(tmp_path) == []


def test_add_passkey_name_and_delete_by_name(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    store = tmp_path / "key.json"
    username = new_user(idp, selfhosted, "ce-name-")
    assert run_cli(tmp_path, "soft", "create", str(store)).returncode == 0
    profile = cli_profile(tmp_path, selfhosted, store, "errors")
    result = run_cli(
        tmp_path,
        "add-passkey",
        username,
        "--password-stdin",
        "--name",
        "Work laptop",
        "--profile",
        profile,
        "-o",
        "json",
        input=PASSWORD + "\n",
        drop=("CI",),
    )
    assert result.returncode == 0, result.stderr
    assert "Named it 'Work laptop'" in result.stderr
    tokens = json.loads(result.stdout)
    (passkey,) = PasskeyManager(selfhosted.management_url, tokens["access_token"]).list()
    assert passkey.name == "Work laptop"

    declined = run_cli(
        tmp_path,
        *("passkeys", "delete", passkey.id, "--user", username, "--profile", profile),
        input="n\n",
        drop=("CI",),
    )
    assert f"Delete passkey 'Work laptop' ({passkey.id})?" in declined.stderr
    assert declined.returncode == 1
    unknown = run_cli(
        tmp_path, "passkeys", "rename", "bm8tc3VjaA", "x", "--user", username, "--profile", profile
    )
    assert unknown.returncode == exit_codes.FAILURE, unknown.stderr
    assert "no such passkey bm8tc3VjaA for this user" in unknown.stderr
