"""The plugin's own tests: inner pytest runs (``pytester``) of test files written from
testing/README.md, against one local AWS shared by all of them.

``pytester`` is loaded by tests/conftest.py (``pytest_plugins`` works only there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.local import DeploySpec, LocalAws
from cognito_passkey.local.deploy import Deployment, client

README = Path(__file__).resolve().parents[2] / "testing" / "README.md"


@pytest.fixture(scope="session")
def readme_example() -> str:
    """The example test file of testing/README.md (its first Python block), verbatim."""
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match is not None, "testing/README.md lost its example"
    return match.group(1)


@pytest.fixture(scope="session")
def plugin_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalAws, Deployment]]:
    """A running local AWS with the plugin's stack (``DeploySpec()``) deployed; inner runs
    reuse it through ``--passkey-local-dir``."""
    aws = LocalAws(tmp_path_factory.mktemp("plugin-aws"), stop_with_parent=True)
    aws.start()
    try:
        yield aws, aws.deploy(DeploySpec())
    finally:
        aws.stop()


@pytest.fixture
def local_args(plugin_aws: tuple[LocalAws, Deployment]) -> list[str]:
    """Inner-run arguments pointing the plugin at the shared local AWS."""
    return ["--passkey-local", "--passkey-local-dir", str(plugin_aws[0].state_dir)]


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs see no profile from the developer's environment."""
    monkeypatch.delenv("COGNITO_PASSKEY_PROFILE", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    return pytester


@pytest.fixture
def leftovers(plugin_aws: tuple[LocalAws, Deployment]) -> Callable[[], tuple[list[str], int]]:
    """What is left in the shared pool: its users, and the passkey items in its table."""
    deployment = plugin_aws[1]
    return lambda: (pool_usernames(deployment), len(stored_passkeys(deployment)))


def pool_usernames(deployment: Deployment) -> list[str]:
    """Every user of the deployment's pool (admin API on the same local AWS)."""
    idp: Any = client(deployment.endpoint, "cognito-idp")
    names: list[str] = []
    for page in idp.get_paginator("list_users").paginate(UserPoolId=deployment.user_pool_id):
        names.extend(user["Username"] for user in page["Users"])
    return names


def stored_passkeys(deployment: Deployment) -> list[dict[str, Any]]:
    """Every credential (and credential owner) item of the deployment's passkey table."""
    dynamodb: Any = client(deployment.endpoint, "dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=deployment.outputs["PasskeyTableName"]
    ):
        items.extend(page["Items"])
    return [
        item
        for item in items
        if "CREDENTIAL#" in item["pk"]["S"] or item["sk"]["S"].startswith("CREDENTIAL#")
    ]
