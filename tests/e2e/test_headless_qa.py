"""A QA job with no person, no terminal and an empty home: settings and the passkey
store come from the environment only (``--authenticator soft:env``), through the local AWS.

The same exported store signs in jobs one after another and side by side; the backend's
stored counter stays 0 (the store is counterless) and never goes down.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.soft import FileCredentialStore
from cognito_passkey.authenticator.soft_authenticator import (
    PASSPHRASE_ENV,
    STORE_ENV,
    export_env_store,
)
from cognito_passkey.client import exit_codes
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, api_client, new_user

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "cognito-passkey"
PASSPHRASE = "qa passphrase for ci"
CHILD = """
import base64, hashlib, json, os, sys
token = os.environ["COGNITO_ID_TOKEN"]
claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
print(claims["cognito:username"], len(os.environ["COGNITO_ACCESS_TOKEN"]) > 0,
      hashlib.sha256(token.encode()).hexdigest())
sys.exit(7)
"""


def stored_counts(deployment: Deployment, username: str) -> list[int]:
    dynamodb = deploying.client(deployment.endpoint, "dynamodb")
    items = dynamodb.query(
        TableName=deployment.outputs["PasskeyTableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :credential)",
        ExpressionAttributeValues={
            ":pk": {"S": f"USER#{username}"},
            ":credential": {"S": "CREDENTIAL#"},
        },
    )["Items"]
    return [int(item["sign_count"]["N"]) for item in items]


@pytest.fixture(scope="module")
def qa(selfhosted: Deployment, idp: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A user with a passkey in a counterless encrypted store, and its exported value."""
    root = tmp_path_factory.mktemp("qa")
    store = FileCredentialStore(
        root / "key.json", passphrase=PASSPHRASE, scrypt_n=2**14, allow_weak_scrypt_for_tests=True
    )
    store.set_counterless(True)
    username = new_user(idp, selfhosted, "qa-")
    client = api_client(selfhosted, SoftAuthenticator(store))
    client.add_passkey(username, client.sign_in_password(username, PASSWORD).id_token)
    value = export_env_store(root / "key.json", {PASSPHRASE_ENV: PASSPHRASE})
    return username, value, root


def job_env(deployment: Deployment, home: Path, value: str, **extra: str) -> dict[str, str]:
    """Only what a CI job sets: an empty HOME, no config file, settings in variables."""
    home.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "COGNITO_PASSKEY_", "XDG_")) and k not in ("HOME", "CI")
    }
    env.update(HOME=str(home), AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    for key, setting in deployment.profile_settings().items():
        env["COGNITO_PASSKEY_" + key.upper()] = setting
    env[STORE_ENV] = value
    env[PASSPHRASE_ENV] = PASSPHRASE
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def sign_in_jobs(selfhosted: Deployment, qa: Any, names: list[str]) -> list[tuple[int, str, str]]:
    username, value, root = qa
    jobs = [
        start(
            ["sign-in", username, "--authenticator", "soft:env", "-o", "token"],
            job_env(selfhosted, root / name, value),
        )
        for name in names
    ]
    results = []
    for job in jobs:
        out, err = job.communicate(timeout=120)
        results.append((job.returncode, out, err))
    return results


def check(selfhosted: Deployment, qa: Any, results: list[tuple[int, str, str]]) -> None:
    username, value, _root = qa
    client = api_client(selfhosted, None)
    for code, out, err in results:
        assert code == 0, err
        token = out.strip()
        assert client.verify_token(token)["cognito:username"] == username
        assert token not in err and value not in out + err and PASSPHRASE not in out + err


def test_jobs_in_a_row_and_in_parallel_sign_in_from_the_environment(
    selfhosted: Deployment, qa: Any
) -> None:
    username, _value, root = qa
    seen = [stored_counts(selfhosted, username)]
    for name in ("row-1", "row-2"):
        check(selfhosted, qa, sign_in_jobs(selfhosted, qa, [name]))
        seen.append(stored_counts(selfhosted, username))
    check(selfhosted, qa, sign_in_jobs(selfhosted, qa, ["par-1", "par-2"]))
    seen.append(stored_counts(selfhosted, username))
    assert seen == [[0]] * 4  # counterless: 0 after 0, never lower
    for name in ("row-1", "row-2", "par-1", "par-2"):  # only the token cache was written
        home = root / name
        files = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
        assert files and all(p.parts[:3] == (".cache", "cognito-passkey", "tokens") for p in files)


def test_exec_from_the_environment(selfhosted: Deployment, qa: Any) -> None:
    username, value, root = qa
    job = start(
        ["exec", username, "--", sys.executable, "-c", CHILD],
        job_env(selfhosted, root / "exec", value, COGNITO_PASSKEY_AUTHENTICATOR="soft:env"),
    )
    out, err = job.communicate(timeout=120)
    assert job.returncode == 7, err
    name, has_access, _digest = out.split()
    assert (name, has_access) == (username, "True")
    assert "eyJ" not in out + err  # no JWT printed


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({PASSPHRASE_ENV: "not the passphrase"}, PASSPHRASE_ENV),
        ({STORE_ENV: "%%% not base64 %%%"}, STORE_ENV),
        ({STORE_ENV: ""}, STORE_ENV),
    ],
    ids=["wrong-passphrase", "garbled", "empty"],
)
def test_a_bad_store_variable_is_one_clear_line(
    selfhosted: Deployment, qa: Any, extra: dict[str, str], named: str
) -> None:
    username, value, root = qa
    env = job_env(selfhosted, root / f"bad-{named}-{len(extra[next(iter(extra))])}", value, **extra)
    job = start(["sign-in", username, "--authenticator", "soft:env", "-o", "token"], env)
    out, err = job.communicate(timeout=120)
    assert job.returncode == exit_codes.CONFIG, err
    assert out == "" and len(err.strip().splitlines()) == 1 and "$" + named in err
    for secret in (value, PASSPHRASE, *extra.values()):
        assert not secret or secret not in err
