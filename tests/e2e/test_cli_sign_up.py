"""``sign-up`` as a process on the local AWS: what confirmation needs is checked before the
user exists, and a user left half made is resumed (``--resume``) or removed (``--abandon``).

The local AWS accepts any confirmation or reset code (AWS checks the emailed one).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import errors as e
from cognito_passkey.client import exit_codes
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from e2e_support import CLI, PASSWORD, cli_env, cli_profile, passkey_client, unique_username

pytestmark = pytest.mark.e2e


def run(
    home: Path,
    *args: str,
    input: str | None = None,
    credentials: bool = True,
) -> subprocess.CompletedProcess[str]:
    """The installed CLI under ``home``; without ``credentials`` boto3 finds none at all."""
    env = cli_env(home, drop=("CI",))
    env.update(
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    return subprocess.run(
        [str(CLI), *args],
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def status(idp: Any, deployment: Deployment, username: str) -> str | None:
    try:
        user = idp.admin_get_user(UserPoolId=deployment.user_pool_id, Username=username)
    except idp.exceptions.UserNotFoundException:
        return None
    return str(user["UserStatus"])


@pytest.fixture
def home(tmp_path: Path, selfhosted: Deployment) -> Path:
    store = tmp_path / "key.json"
    created = run(tmp_path, "soft", "create", str(store))
    assert created.returncode == 0, created.stderr
    cli_profile(tmp_path, selfhosted, store, "default")
    return tmp_path


def unconfirmed_user(idp: Any, deployment: Deployment, prefix: str) -> str:
    """A user that signed up and stopped there, as an interrupted ``sign-up`` leaves it."""
    username = unique_username(prefix)
    idp.sign_up(ClientId=deployment.client_id, Username=username, Password=PASSWORD)
    assert status(idp, deployment, username) == "UNCONFIRMED"
    return username


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return "\n".join(lines)


def test_no_terminal_for_the_code_creates_nothing(
    home: Path, selfhosted: Deployment, idp: Any
) -> None:
    username = unique_username("su-notty-")
    result = run(home, "sign-up", username)  # stdin is /dev/null
    assert result.returncode == exit_codes.USAGE, result.stderr
    assert "--confirm admin" in one_error_line(result)
    assert status(idp, selfhosted, username) is None


def test_admin_confirmation_without_credentials_creates_nothing(
    home: Path, selfhosted: Deployment, idp: Any
) -> None:
    username = unique_username("su-nocreds-")
    result = run(home, "sign-up", username, "--confirm", "admin", credentials=False)
    assert result.returncode == exit_codes.CONFIG, result.stderr
    assert "AWS credentials" in one_error_line(result)
    assert status(idp, selfhosted, username) is None


def test_a_missing_store_creates_nothing(
    home: Path, selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    username = unique_username("su-nostore-")
    missing = tmp_path / "no-such-store.json"
    result = run(
        home, "sign-up", username, "--confirm", "admin", "--authenticator", f"soft:{missing}"
    )
    assert result.returncode != 0, result.stderr
    one_error_line(result)
    assert status(idp, selfhosted, username) is None
    assert not missing.exists()


def test_resume_an_unconfirmed_user_as_admin(home: Path, selfhosted: Deployment, idp: Any) -> None:
    username = unconfirmed_user(idp, selfhosted, "su-resume-admin-")
    retry = run(home, "sign-up", username, "--confirm", "admin")
    assert retry.returncode != 0
    said = one_error_line(retry)
    assert f"sign-up {username} --resume" in said and f"sign-up {username} --abandon" in said

    resumed = run(home, "sign-up", username, "--resume", "--confirm", "admin", "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert status(idp, selfhosted, username) == "CONFIRMED"
    signed_in = run(home, "sign-in", username, "--force", "-o", "json")
    assert signed_in.returncode == 0, signed_in.stderr
    assert PASSWORD not in resumed.stdout + resumed.stderr


def test_resume_an_unconfirmed_user_with_codes(
    home: Path, selfhosted: Deployment, idp: Any
) -> None:
    username = unconfirmed_user(idp, selfhosted, "su-resume-code-")
    # One code confirms the user, the second sets a new random password (ForgotPassword).
    resumed = run(home, "sign-up", username, "--resume", "-o", "json", input="123456\n654321\n")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count(f"Confirmation code for {username}") == 2
    assert status(idp, selfhosted, username) == "CONFIRMED"
    tokens = json.loads(resumed.stdout)
    passkeys = PasskeyManager(selfhosted.management_url, tokens["access_token"]).list()
    assert len(passkeys) == 1
    # The old password is gone: only the passkey signs in now.
    with pytest.raises(e.NotAuthorizedError):
        passkey_client(selfhosted).sign_in_password(username, PASSWORD)


def test_resume_needs_a_way_to_set_the_password(
    home: Path, selfhosted: Deployment, idp: Any
) -> None:
    username = unconfirmed_user(idp, selfhosted, "su-resume-auto-")
    result = run(home, "sign-up", username, "--resume", "--confirm", "auto")
    assert result.returncode == exit_codes.USAGE
    assert status(idp, selfhosted, username) == "UNCONFIRMED"


def test_abandon_removes_the_user(home: Path, selfhosted: Deployment, idp: Any) -> None:
    username = unconfirmed_user(idp, selfhosted, "su-abandon-")
    unasked = run(home, "sign-up", username, "--abandon")  # nobody to confirm it
    assert unasked.returncode == exit_codes.USAGE and "--yes" in unasked.stderr
    assert status(idp, selfhosted, username) == "UNCONFIRMED"
    declined = run(home, "sign-up", username, "--abandon", input="n\n")
    assert declined.returncode == 1
    assert f"Delete user {username!r} (UNCONFIRMED)" in declined.stderr
    assert status(idp, selfhosted, username) == "UNCONFIRMED"
    done = run(home, "sign-up", username, "--abandon", "--yes")
    assert done.returncode == 0, done.stderr
    assert status(idp, selfhosted, username) is None
