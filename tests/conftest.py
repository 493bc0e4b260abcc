"""Suite-wide pytest settings; each area keeps its own fixtures in its own conftest.

The local AWS fixtures (one ministack per session, started on first use) live in the
``stack_fixtures`` plugin beside this file, so every suite shares the same server. The folders
whose helper modules tests import by bare name are on ``pythonpath`` (pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["stack_fixtures", "pytester"]

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SERVER_FIXTURES = frozenset({"local_aws"})
"""Fixtures that start the local AWS: a test that uses one, directly or through another
fixture, is end-to-end. The LoginID-compatible test server is not among them: it runs inside
the test process on loopback, as the client tests' fake endpoints do."""

_scratch: str | None = None


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the local AWS ``e2e``, so ``-m "not e2e"`` runs offline."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config: pytest.Config) -> None:
    """Keep the suite off the user's own config file and token cache, and out of the CI
    runner's ``CI=true`` (which makes the CLI non-interactive; the tests of that mode set it
    themselves, and the CLI processes other tests start must not inherit it).

    Tests that care set their own paths; this is the net under those that forget.
    """
    os.environ.pop("CI", None)
    global _scratch
    _scratch = tempfile.mkdtemp(prefix="cognito-passkey-tests-")
    os.environ.setdefault("COGNITO_PASSKEY_CONFIG", str(Path(_scratch) / "config.ini"))
    os.environ.setdefault("COGNITO_PASSKEY_CACHE_DIR", str(Path(_scratch) / "cache"))
    # Where `local up` records the running server (platformdirs' user state dir on Linux).
    os.environ.setdefault("XDG_STATE_HOME", str(Path(_scratch) / "state"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)
