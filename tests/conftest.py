"""Suite-wide pytest settings; each area keeps its own fixtures in its own conftest.

The local AWS fixtures (one ministack per session, started on first use) live in the
``stack_fixtures`` plugin beside this file, so every suite shares the same server.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
