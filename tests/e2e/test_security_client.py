"""The CLI with the profile ``local up`` writes: it carries the RP ID, the normal flows work,
and the client signs for no other RP (against the session's local AWS).

``local up`` runs here against the session's running server with a stack of its own, as a
user runs it; the CLI then runs as a process, with its config and cache under the test's
directory.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.soft import FileCredentialStore
from cognito_passkey.client.config import load_profile, write_profile
from cognito_passkey.local import LocalAws
from cognito_passkey.local.cli import local
from cognito_passkey.local.deploy import Deployment
from e2e_support import PASSWORD, api_client, new_user, run_cli

STACK = "security-client"
PROFILE = "sec-local"


@pytest.fixture(scope="module")
def home(local_aws: LocalAws, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    """``cognito-passkey local up --stack-name security-client --profile sec-local``."""
    root = tmp_path_factory.mktemp("security-client")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COGNITO_PASSKEY_CONFIG", str(root / "config.ini"))
        patch.setenv("COGNITO_PASSKEY_LOCAL_DIR", str(local_aws.state_dir))
        result = CliRunner().invoke(
            local,
            [
                "up",
                "--stack-name",
                STACK,
                "--profile",
                PROFILE,
                "--authenticator",
                f"soft:{root / 'key.json'}",
            ],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.stderr
    return root, local_aws.deployments()[STACK]


def _sign_counts(store: Path) -> dict[str, int]:
    return {
        cred.rp_id: cred.sign_count for cred in FileCredentialStore(store).list_credentials(None)
    }


def _enrolled(idp: Any, deployment: Deployment, store: Path) -> str:
    username = new_user(idp, deployment, "sec-client-")
    enroller = api_client(deployment, SoftAuthenticator(store))
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)
    return username


def test_local_up_writes_the_rp_id_into_the_profile(home: tuple[Path, Deployment]) -> None:
    root, deployment = home
    profile = load_profile(PROFILE, path=root / "config.ini")
    assert profile["rp_id"] == deployment.rp_id == "localhost"
    assert profile["origin"] == deployment.origin
    assert stat.S_IMODE((root / "config.ini").stat().st_mode) == 0o600


def test_normal_flows_work_with_the_profile(home: tuple[Path, Deployment], idp: Any) -> None:
    root, deployment = home
    username = _enrolled(idp, deployment, root / "key.json")
    before = _sign_counts(root / "key.json")

    signed_in = run_cli(root, "sign-in", username, "--profile", PROFILE, "-o", "json")
    assert signed_in.returncode == 0, signed_in.stderr
    tokens = json.loads(signed_in.stdout)
    claims = api_client(deployment, None).verify_token(tokens["id_token"])
    assert claims["cognito:username"] == username
    assert _sign_counts(root / "key.json")["localhost"] == before["localhost"] + 1

    cached = run_cli(root, "token", username, "--profile", PROFILE, "--verify", "--cached-only")
    assert cached.returncode == 0, cached.stderr
    same = cached.stdout.strip() == tokens["id_token"]
    assert same, "the cached ID token is printed"
    cache_dir = root / "cache"
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700

    again = run_cli(root, "sign-in", username, "--profile", PROFILE, "--force")
    assert again.returncode == 0, again.stderr
    out = run_cli(root, "sign-out", username, "--profile", PROFILE)
    assert out.returncode == 0, out.stderr
    assert list(cache_dir.glob("*.json")) == []


def test_another_rp_id_signs_nothing(home: tuple[Path, Deployment], idp: Any) -> None:
    """The pool's challenge names localhost; a client configured for another RP refuses."""
    root, deployment = home
    username = _enrolled(idp, deployment, root / "key.json")
    before = _sign_counts(root / "key.json")
    args = ("sign-in", username, "--profile", PROFILE, "--rp-id", "victim.example")
    refused = run_cli(root, *args, "--origin", "https://victim.example")
    assert refused.returncode == 1, refused.stderr
    assert "'localhost'" in refused.stderr and "'victim.example'" in refused.stderr
    assert refused.stdout == ""
    assert _sign_counts(root / "key.json") == before


def test_a_profile_without_rp_id_signs_nothing(
    home: tuple[Path, Deployment], idp: Any, tmp_path: Path
) -> None:
    root, deployment = home
    username = _enrolled(idp, deployment, root / "key.json")
    before = _sign_counts(root / "key.json")
    settings = load_profile(PROFILE, path=root / "config.ini")
    for key in ("rp_id", "origin"):
        settings.pop(key)
    write_profile("no-rp", settings, path=tmp_path / "config.ini")

    refused = run_cli(tmp_path, "sign-in", username, "--profile", "no-rp")

    assert refused.returncode == 5, refused.stderr
    assert "no RP ID is configured" in refused.stderr and "--rp-id" in refused.stderr
    assert _sign_counts(root / "key.json") == before
