"""The plugin's own tests: inner pytest runs (``pytester``) of test files written from
testing/README.md, against the suite's local AWS (``local_aws``), where the plugin's stack
is deployed beside the others with a user pool of its own.

``pytester`` is loaded by tests/conftest.py (``pytest_plugins`` works only there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from cognito_passkey.local import DeploySpec, LocalAws
from cognito_passkey.local.deploy import Deployment, client

README = Path(__file__).resolve().parents[2] / "testing" / "README.md"
USER_CACHE = platformdirs.user_cache_dir()
"""This run's cache folder, read before ``pytester`` moves HOME for an inner run."""


@pytest.fixture(scope="session")
def readme_example() -> str:
    """The example test file of testing/README.md (its first Python block), verbatim."""
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match is not None, "testing/README.md lost its example"
    return match.group(1)


@pytest.fixture(scope="session")
def plugin_aws(local_aws: LocalAws) -> tuple[LocalAws, Deployment]:
    """The suite's local AWS with the plugin's stack (``DeploySpec()``) deployed; inner runs
    reuse it through ``--passkey-local-dir``. No other test uses that stack, so its pool and
    table hold only what the inner runs leave (:func:`leftovers`)."""
    return local_aws, local_aws.deploy(DeploySpec())


@pytest.fixture
def local_args(plugin_aws: tuple[LocalAws, Deployment]) -> list[str]:
    """Inner-run arguments pointing the plugin at the shared local AWS."""
    return ["--passkey-local", "--passkey-local-dir", str(plugin_aws[0].state_dir)]


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs see no profile from the developer's environment, and use the
    caches of this run (pytester gives them a HOME of their own): a server they start must
    not make the local AWS's environment or the Lambda layer again."""
    monkeypatch.setenv("XDG_CACHE_HOME", USER_CACHE)
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
