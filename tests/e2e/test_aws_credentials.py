"""``aws-credentials`` end to end on the local AWS: a passkey sign-in, the identity pool's
GetId/GetCredentialsForIdentity, and an AWS profile whose ``credential_process`` is the
command, used by botocore's own credential_process provider (the AWS CLI's)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import aws_credentials as aws
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.local.deploy import Deployment, client
from e2e_support import CLI, cli_env, cli_profile, enrolled_user

pytestmark = pytest.mark.e2e
PROFILE = "idp"


@dataclasses.dataclass(frozen=True)
class World:
    home: Path
    deployment: Deployment
    username: str
    env: dict[str, str]

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLI), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )

    def credentials(self, *args: str) -> dict[str, Any]:
        result = self.run("aws-credentials", self.username, "--profile", PROFILE, *args)
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def token_key(self) -> CacheKey:
        return CacheKey(
            PROFILE,
            self.deployment.user_pool_id,
            self.deployment.client_id,
            self.deployment.endpoint,
        )

    def credentials_key(self) -> aws.CredentialsKey:
        return aws.CredentialsKey(
            profile=PROFILE,
            username=self.username,
            user_pool_id=self.deployment.user_pool_id,
            client_id=self.deployment.client_id,
            identity_pool_id=self.deployment.outputs["IdentityPoolId"],
            endpoint_url=self.deployment.endpoint,
        )

    def credentials_file(self) -> Path:
        return aws.CredentialsCache(self.cache_dir).path_for(self.credentials_key())


@pytest.fixture(scope="module")
def world(
    selfhosted_identity_pool: Deployment, idp: Any, tmp_path_factory: pytest.TempPathFactory
) -> World:
    """A user with a passkey in a software key on disk, a profile with the identity pool, and
    an environment with no AWS credentials at all."""
    home = tmp_path_factory.mktemp("aws-credentials")
    store = home / "key.json"
    username = enrolled_user(idp, selfhosted_identity_pool, "awscred-", SoftAuthenticator(store))
    cli_profile(home, selfhosted_identity_pool, store, PROFILE)
    env = cli_env(home)
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
    )
    (home / "aws-config").write_text(
        "[profile pk]\n"
        f"credential_process = {CLI} aws-credentials {username} --profile {PROFILE}\n"
        "region = us-east-1\n",
        encoding="utf-8",
    )
    return World(home, selfhosted_identity_pool, username, env)


@pytest.fixture
def aws_profile_env(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's environment as the AWS CLI would see it: the pk profile, no keys."""
    for key in list(os.environ):
        if key.startswith(("AWS_", "COGNITO_PASSKEY_")):
            monkeypatch.delenv(key)
    for key in ("COGNITO_PASSKEY_CONFIG", "COGNITO_PASSKEY_CACHE_DIR"):
        monkeypatch.setenv(key, world.env[key])
    monkeypatch.setenv("AWS_CONFIG_FILE", world.env["AWS_CONFIG_FILE"])
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", world.env["AWS_SHARED_CREDENTIALS_FILE"])
    yield


def role_session_arn(deployment: Deployment) -> str:
    role_name = deployment.outputs["IdentityPoolAuthenticatedRoleArn"].rpartition("/")[2]
    return f"arn:aws:sts::000000000000:assumed-role/{role_name}/CognitoIdentityCredentials"


def test_an_aws_profile_with_credential_process_calls_aws_as_the_identity(
    world: World, aws_profile_env: None
) -> None:
    session = boto3.Session(profile_name="pk")
    sts = session.client("sts", endpoint_url=world.deployment.endpoint)
    caller = sts.get_caller_identity()
    # Only keys the identity pool issued resolve to its authenticated role's session.
    assert caller["Arn"] == role_session_arn(world.deployment)
    assert caller["UserId"].endswith(":CognitoIdentityCredentials")
    resolved = session.get_credentials()
    assert resolved is not None
    used = resolved.get_frozen_credentials()
    printed = world.credentials()  # from the cache the profile's first run left
    assert used.access_key == printed["AccessKeyId"]
    assert used.secret_key == printed["SecretAccessKey"]
    assert used.token == printed["SessionToken"]
    assert used.access_key.startswith("ASIA")
    identity = client(world.deployment.endpoint, "cognito-identity")
    listed = identity.list_identities(
        IdentityPoolId=world.deployment.outputs["IdentityPoolId"], MaxResults=60
    )["Identities"]
    cached = aws.CredentialsCache(world.cache_dir).load(world.credentials_key())
    assert cached is not None and cached.access_key_id == used.access_key
    assert cached.identity_id in {entry["IdentityId"] for entry in listed}


def test_a_second_call_within_validity_reuses_the_cache(world: World) -> None:
    first = world.credentials()
    token_file = TokenCache(world.cache_dir).path_for(world.token_key(), world.username)
    token_text = token_file.read_text()
    again = world.run("aws-credentials", world.username, "--profile", PROFILE)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == first
    assert again.stderr == ""  # no sign-in, no refresh, no exchange
    assert token_file.read_text() == token_text  # the ID token was not asked for again
    path = world.credentials_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(world.cache_dir.stat().st_mode) == 0o700


def test_expired_credentials_are_refreshed_through_the_token_cache(world: World) -> None:
    first = world.credentials()
    cache = aws.CredentialsCache(world.cache_dir)
    cached = cache.load(world.credentials_key())
    assert cached is not None
    cache.save(world.credentials_key(), dataclasses.replace(cached, expiration=time.time() + 60))
    tokens = TokenCache(world.cache_dir)
    entry = tokens.load(world.token_key(), world.username)
    assert entry is not None
    expired = dataclasses.replace(entry.tokens, expires_at=int(time.time()) - 5)
    tokens.save(world.token_key(), world.username, expired)

    result = world.run("aws-credentials", world.username, "--profile", PROFILE)
    assert result.returncode == 0, result.stderr
    fresh = json.loads(result.stdout)
    assert fresh["AccessKeyId"] != first["AccessKeyId"]
    assert "refreshed tokens" in result.stderr
    renewed = tokens.load(world.token_key(), world.username)
    assert renewed is not None and not renewed.tokens.expires_within(600)
    sts = boto3.client(
        "sts",
        endpoint_url=world.deployment.endpoint,
        region_name="us-east-1",
        aws_access_key_id=fresh["AccessKeyId"],
        aws_secret_access_key=fresh["SecretAccessKey"],
        aws_session_token=fresh["SessionToken"],
    )
    assert sts.get_caller_identity()["Arn"] == role_session_arn(world.deployment)


def test_a_damaged_credentials_cache_is_reported_and_replaced(world: World) -> None:
    world.credentials()
    path = world.credentials_file()
    path.write_text('{"version": 1, "credentials": {"access_key_id": 7}}')
    result = world.run("aws-credentials", world.username, "--profile", PROFILE)
    assert result.returncode == 0, result.stderr
    assert f"ignoring damaged AWS credentials cache {path}" in result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    replaced = aws.CredentialsCache(world.cache_dir).load(world.credentials_key())
    assert replaced is not None
    assert replaced.access_key_id == json.loads(result.stdout)["AccessKeyId"]
    again = world.run("aws-credentials", world.username, "--profile", PROFILE)
    assert again.stderr == "" and again.stdout == result.stdout


def test_an_unknown_identity_pool_is_a_configuration_error(world: World) -> None:
    unknown = f"us-east-1:{uuid.uuid4()}"
    result = world.run(
        "aws-credentials", world.username, "--profile", PROFILE, "--identity-pool-id", unknown
    )
    assert result.returncode == 5, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"identity pool {unknown} not found" in result.stderr


AWS_CLI_VERSION = "1.46.3"
"""The AWS CLI v1 from PyPI (botocore's credential_process provider, as in v2), pinned."""


@pytest.fixture(scope="session")
def aws_cli() -> str:
    """``aws``: $COGNITO_PASSKEY_TEST_AWS_CLI, the one on PATH, else one installed once from
    PyPI into an environment of its own beside the local AWS's (it pins its own botocore)."""
    found = os.environ.get("COGNITO_PASSKEY_TEST_AWS_CLI") or shutil.which("aws")
    if found:
        return found
    import venv

    from cognito_passkey.local.runtime import default_cache_dir
    from filelock import FileLock

    home = (
        default_cache_dir().parent
        / f"awscli-{AWS_CLI_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    )
    program = home / "bin" / "aws"
    home.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(home) + ".lock", timeout=600):
        if not (home / ".ready").is_file():
            shutil.rmtree(home, ignore_errors=True)
            venv.EnvBuilder(with_pip=True).create(home)
            subprocess.run(
                [
                    str(home / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    f"awscli=={AWS_CLI_VERSION}",
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
            (home / ".ready").write_text(AWS_CLI_VERSION + "\n")
    return str(program)


def test_the_aws_cli_itself_uses_the_profile(aws_cli: str, world: World) -> None:
    """The AWS CLI itself: ``aws sts get-caller-identity --profile pk`` gets the identity
    pool's role through ``credential_process = cognito-passkey aws-credentials ...``."""
    found = aws_cli
    result = subprocess.run(
        [found, "sts", "get-caller-identity", "--profile", "pk"],
        env={**world.env, "AWS_ENDPOINT_URL": world.deployment.endpoint},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == role_session_arn(world.deployment)
