"""The end-to-end suite's fixtures come from the ``stack_fixtures`` plugin (tests/conftest.py
registers it): one local AWS per session, shared with the client tests, with the self-hosted
and LoginID stacks deployed from the real templates. This folder goes on ``sys.path`` for
``e2e_support``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
