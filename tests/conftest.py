"""Suite-wide pytest settings; each area keeps its own fixtures in its own conftest.

The local AWS fixtures (one ministack per session, started on first use) live in the
``stack_fixtures`` plugin beside this file, so every suite shares the same server.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:  # importlib mode puts no test folder on sys.path by itself
    sys.path.insert(0, _TESTS)

pytest_plugins = ["stack_fixtures"]

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci")

_scratch: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Keep the suite off the user's own config file and token cache.

    Tests that care set their own paths; this is the net under those that forget.
    """
    global _scratch
    _scratch = tempfile.mkdtemp(prefix="cognito-passkey-tests-")
    os.environ.setdefault("COGNITO_PASSKEY_CONFIG", str(Path(_scratch) / "config.ini"))
    os.environ.setdefault("COGNITO_PASSKEY_CACHE_DIR", str(Path(_scratch) / "cache"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)
