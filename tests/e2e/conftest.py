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
    aws = LocalAws(tmp_path_factory.mktemp("local-aws"), stop_with_parent=True)
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()


@pytest.fixture(scope="session")
def selfhosted(local_aws: LocalAws) -> Deployment:
    return local_aws.deploy(DeploySpec(stack_name="passkey-selfhosted"))


LOGINID_RP_ID = "localhost"
LOGINID_ORIGIN = "https://localhost"


@pytest.fixture(scope="session")
def loginid_service() -> Iterator[Any]:
    """The LoginID-compatible test server (tests/loginid_server.py) on 127.0.0.1."""
    if not (HERE.parent / "loginid_server.py").is_file():
        pytest.skip("the LoginID-compatible test server (tests/loginid_server.py) is missing")
    from loginid_server import loginid_server

    with loginid_server(rp_id=LOGINID_RP_ID, origins=(LOGINID_ORIGIN,)) as server:
        yield server


@pytest.fixture(scope="session")
def loginid(local_aws: LocalAws, loginid_service: Any) -> Deployment:
    return local_aws.deploy(
        DeploySpec(
            backend="loginid",
            stack_name="passkey-loginid",
            rp_id=LOGINID_RP_ID,
            origins=(LOGINID_ORIGIN,),
            loginid_base_url=loginid_service.base_url,
            loginid_private_key=loginid_service.tenant_key_pem,
        )
    )


@pytest.fixture(scope="session")
def idp(local_aws: LocalAws) -> Any:
    """A cognito-idp client on the local AWS (dummy credentials, admin calls allowed)."""
    return client(local_aws.endpoint, "cognito-idp")
