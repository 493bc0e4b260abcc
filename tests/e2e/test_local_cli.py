"""``cognito-passkey local`` up / status / reset / down, on a server of its own (its lifecycle
is what is tested), then the main CLI signing in through the profile ``up`` wrote."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.client.config import load_profile
from cognito_passkey.local import LocalAws
from cognito_passkey.local.cli import NOT_RUNNING_EXIT, local
from cognito_passkey.local.deploy import client
from e2e_support import PASSWORD, create_user, unique_username

pytestmark = pytest.mark.e2e
CANARY = "host-secret-never-to-reach-the-server"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("local-cli")
    env = {
        "COGNITO_PASSKEY_CONFIG": str(root / "config.ini"),
        "COGNITO_PASSKEY_CACHE_DIR": str(root / "cache"),
        "COGNITO_PASSKEY_LOCAL_DIR": str(root / "state"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        # Credentials of the caller must never reach the local server or its Lambdas.
        patch.setenv("AWS_SECRET_ACCESS_KEY", CANARY)
        patch.setenv("AWS_SESSION_TOKEN", CANARY)
        try:
            yield {"root": root, "state": root / "state", "env": env}
        finally:
            LocalAws(root / "state").stop()


def run_local(*args: str) -> Any:
    return CliRunner().invoke(local, list(args), catch_exceptions=False)


def test_up_deploys_and_writes_the_profile(workspace: dict[str, Any]) -> None:
    result = run_local("up", "--profile", "cli-e2e")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    profile = load_profile("cli-e2e")
    for key in ("user_pool_id", "client_id", "endpoint_url", "management_url", "rp_id", "origin"):
        assert profile[key] == summary[key], key
    assert profile["region"] == "us-east-1"
    assert profile["endpoint_url"].startswith("http://127.0.0.1:")
    assert profile["authenticator"] == f"soft:{workspace['state'] / 'authenticator.json'}"
    config = Path(workspace["env"]["COGNITO_PASSKEY_CONFIG"])
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(workspace["state"].stat().st_mode) == 0o700
    workspace["first_pool"] = summary["user_pool_id"]


def test_server_runs_on_loopback_without_the_callers_credentials(
    workspace: dict[str, Any],
) -> None:
    info = LocalAws(workspace["state"]).info()
    assert info is not None
    environ = Path(f"/proc/{info.pid}/environ").read_bytes().split(b"\0")
    assert not any(CANARY.encode() in entry for entry in environ)
    assert b"AWS_SECRET_ACCESS_KEY=test" in environ
    assert b"BIND_HOST=127.0.0.1" in environ
    assert b"SFTP_ENABLED=0" in environ and b"IOT_MTLS_ENABLED=0" in environ
    # Unpacked Lambdas go to the state directory, not the machine's /tmp.
    assert f"TMPDIR={workspace['state'] / 'tmp'}".encode() in environ


def test_up_again_keeps_the_running_stack(workspace: dict[str, Any]) -> None:
    result = run_local("up", "--no-profile")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["user_pool_id"] == workspace["first_pool"]


def test_status_reports_the_stack(workspace: dict[str, Any]) -> None:
    result = run_local("status")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["running"] is True and report["answers"] is True
    stack = report["stacks"]["cognito-passkey"]
    assert stack == {
        "backend": "selfhosted",
        "deployed": True,
        "user_pool_id": workspace["first_pool"],
        "client_id": load_profile("cli-e2e")["client_id"],
        "management_url": load_profile("cli-e2e")["management_url"],
    }


def test_main_cli_signs_in_through_the_profile(workspace: dict[str, Any]) -> None:
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.client import PasskeyClient
    from cognito_passkey.local.deploy import session

    profile = load_profile("cli-e2e")
    username = unique_username("cli-")
    idp = client(profile["endpoint_url"], "cognito-idp")
    deployment = LocalAws(workspace["state"]).deployments()["cognito-passkey"]
    create_user(idp, deployment, username, PASSWORD)
    store = profile["authenticator"].removeprefix("soft:")
    api = PasskeyClient(
        user_pool_id=profile["user_pool_id"],
        client_id=profile["client_id"],
        endpoint_url=profile["endpoint_url"],
        rp_id=profile["rp_id"],
        origin=profile["origin"],
        authenticator=SoftAuthenticator(store),
        boto_session=session(),
    )
    api.add_passkey(username, api.sign_in_password(username, PASSWORD).id_token)

    command = Path(sys.executable).parent / "cognito-passkey"
    # The config and the token cache are the workspace's, never the user's own.
    env = {
        **os.environ,
        **workspace["env"],
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    env.pop("AWS_SESSION_TOKEN", None)
    cache = Path(workspace["env"]["COGNITO_PASSKEY_CACHE_DIR"])
    before = set(cache.rglob("*.json")) if cache.exists() else set()
    result = subprocess.run(
        [str(command), "sign-in", username, "--profile", "cli-e2e", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    claims = api.verify_token(tokens["id_token"])
    assert claims["cognito:username"] == username
    assert set(cache.rglob("*.json")) - before, "the sign-in is cached in the workspace"


def test_main_cli_reaches_the_local_group(workspace: dict[str, Any]) -> None:
    from cognito_passkey.client.cli import cli

    result = CliRunner().invoke(cli, ["local", "status"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["running"] is True


def test_reset_empties_and_redeploys(workspace: dict[str, Any]) -> None:
    assert list(workspace["state"].glob("tmp/ministack-lambda-*")), "Lambdas unpack here"
    result = run_local("reset", "--profile", "cli-e2e")
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)
    assert summary["user_pool_id"] != workspace["first_pool"]
    assert load_profile("cli-e2e")["user_pool_id"] == summary["user_pool_id"]
    idp = client(summary["endpoint_url"], "cognito-idp")
    pools = idp.list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Id"] for p in pools] == [summary["user_pool_id"]]


def test_down_stops_the_server(workspace: dict[str, Any]) -> None:
    info = LocalAws(workspace["state"]).info()
    assert info is not None
    result = run_local("down")
    assert result.exit_code == 0, result.output
    assert (
        not Path(f"/proc/{info.pid}").exists()
        or b"ministack" not in Path(f"/proc/{info.pid}/cmdline").read_bytes()
    )
    assert list(workspace["state"].glob("tmp/ministack-lambda-*")) == []
    assert not (workspace["state"] / "tmp").exists()
    status = run_local("status")
    assert status.exit_code == NOT_RUNNING_EXIT
    assert json.loads(status.stdout)["running"] is False
    again = run_local("down")
    assert again.exit_code == 0
    assert "no local AWS was running" in again.output
