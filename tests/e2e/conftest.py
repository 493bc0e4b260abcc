"""One local AWS for the whole end-to-end session, with two stacks deployed from the real
templates: the self-hosted backend, and the LoginID backend against the LoginID-compatible
test server. Both stacks share one ministack; tests use distinct user names instead of
resetting it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client.local import DeploySpec, LocalAws
from cognito_passkey.client.local.deploy import Deployment, client

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):  # e2e_support, and the shared loginid_server
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    aws = LocalAws(tmp_path_factory.mktemp("local-aws"))
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()


@pytest.fixture(scope="session")
def selfhosted(local_aws: LocalAws) -> Deployment:
    return local_aws.deploy(DeploySpec(stack_name="passkey-selfhosted"))


def _load_loginid_server() -> Any:
    if not (HERE.parent / "loginid_server.py").is_file():
        pytest.skip("the LoginID-compatible test server (tests/loginid_server.py) is missing")
    import loginid_server

    return loginid_server


@pytest.fixture(scope="session")
def loginid_server() -> Iterator[Any]:
    module = _load_loginid_server()
    with module.LoginIDServer() as server:
        yield server


@pytest.fixture(scope="session")
def loginid(local_aws: LocalAws, loginid_server: Any) -> Deployment:
    return local_aws.deploy(
        DeploySpec(
            backend="loginid",
            stack_name="passkey-loginid",
            rp_id=loginid_server.rp_id,
            origins=(loginid_server.origin,),
            loginid_base_url=loginid_server.base_url,
            loginid_private_key=loginid_server.private_key_pem,
        )
    )


@pytest.fixture(scope="session")
def idp(local_aws: LocalAws) -> Any:
    """A cognito-idp client on the local AWS (dummy credentials, admin calls allowed)."""
    return client(local_aws.endpoint, "cognito-idp")
