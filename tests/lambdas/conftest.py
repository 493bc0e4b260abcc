"""Fixtures for the Lambda tests: a real DynamoDB/Secrets Manager (ministack), a JWKS
endpoint for Cognito-shaped tokens, and an environment per backend."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):  # lambdas_support, and the shared loginid_server
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from lambdas_support import ORIGIN, RP_ID, TokenMint, jwks_server  # noqa: E402

MINISTACK_VERSION = "1.5.33"


def _ministack_python() -> str:
    """ministack's interpreter: $COGNITO_PASSKEY_MINISTACK_PYTHON, or a venv in the cache dir.

    ministack pins botocore, so it lives in a venv of its own, made once and reused.
    """
    given = os.environ.get("COGNITO_PASSKEY_MINISTACK_PYTHON")
    if given:
        return given
    import platformdirs

    venv = Path(platformdirs.user_cache_dir("cognito-passkey")) / f"ministack-{MINISTACK_VERSION}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"ministack=={MINISTACK_VERSION}",
                "cryptography",
                "boto3",
            ],
            check=True,
        )
        stamp.touch()
    return str(python)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ministack on 127.0.0.1 for the whole session; yields its endpoint URL."""
    port = _free_port()
    state = tmp_path_factory.mktemp("ministack")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(state)),
        "BIND_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "IOT_MTLS_ENABLED": "0",
        "SFTP_ENABLED": "0",
        "STATE_DIR": str(state),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    log = (state / "ministack.log").open("wb")
    process = subprocess.Popen(
        [_ministack_python(), "-m", "ministack"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ministack exited; see {state / 'ministack.log'}")
            try:
                urllib.request.urlopen(endpoint + "/_ministack/health", timeout=1).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers: good enough
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("ministack did not start in 60 s") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
def jwks_endpoint(mint: TokenMint) -> Iterator[str]:
    with jwks_server(mint) as endpoint:
        yield endpoint


def _reset_caches() -> None:
    from aws_lambda_powertools.utilities import parameters
    from cognito_passkey.lambdas import runtime

    runtime.reset()
    parameters.clear_caches()


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, jwks_endpoint: str) -> Iterator[pytest.MonkeyPatch]:
    """A clean Lambda-like environment: no AWS credentials but dummies, JWKS on loopback."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "PASSKEY_", "LOGINID_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDP", jwks_endpoint)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "cognito-passkey-test")
    _reset_caches()
    yield monkeypatch
    _reset_caches()


def make_table(endpoint: str) -> str:
    import boto3

    name = f"passkeys-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    return name


@pytest.fixture
def selfhosted(lambda_env: pytest.MonkeyPatch, ministack: str) -> Iterator[dict[str, Any]]:
    """The self-hosted backend's environment on a fresh table; yields the settings used."""
    table = make_table(ministack)
    values = {
        "PASSKEY_BACKEND": "selfhosted",
        "PASSKEY_TABLE_NAME": table,
        "PASSKEY_RP_ID": RP_ID,
        "PASSKEY_RP_NAME": "Example App",
        "PASSKEY_ALLOWED_ORIGINS": f"{ORIGIN},android:apk-key-hash:Zm9vYmFyYmF6cXV4",
        "PASSKEY_USER_VERIFICATION": "preferred",
        "AWS_ENDPOINT_URL": ministack,
        "PASSKEY_USER_POOL_ID": "us-east-1_TestPool1",
        "PASSKEY_CLIENT_IDS": "3n4b5urk1ft4fl3mg5e62d9ado",
    }
    for name, value in values.items():
        lambda_env.setenv(name, value)
    _reset_caches()
    yield values


def put_secret(endpoint: str, value: str) -> str:
    import boto3

    name = f"loginid-key-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_secret(Name=name, SecretString=value)
    return name


@pytest.fixture
def loginid(lambda_env: pytest.MonkeyPatch, ministack: str) -> Iterator[Any]:
    """A LoginID-compatible server, its tenant key in Secrets Manager stored the way the
    LoginID guide says (newlines as the two characters backslash-n), and the Lambda env."""
    from loginid_server import LoginIdServer

    with LoginIdServer(rp_id=RP_ID, origins=(ORIGIN,)) as server:
        secret = put_secret(ministack, server.tenant_key_pem.strip().replace("\n", "\\n"))
        values = {
            "PASSKEY_BACKEND": "loginid",
            "LOGINID_BASE_URL": server.base_url,
            "LOGINID_SECRET_NAME": secret,
            "AWS_ENDPOINT_URL": ministack,
            "PASSKEY_USER_POOL_ID": "us-east-1_TestPool1",
            "PASSKEY_CLIENT_IDS": "3n4b5urk1ft4fl3mg5e62d9ado",
        }
        for name, value in values.items():
            lambda_env.setenv(name, value)
        _reset_caches()
        yield server
