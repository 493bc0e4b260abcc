"""Names and defaults of the local AWS that the command line needs before it does anything.

Kept apart from the modules that do the work (boto3, the layer builder, the server launcher)
so that ``cognito-passkey local --help`` loads none of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from cognito_passkey.protocol.backends import LOGINID as BACKEND_LOGINID
from cognito_passkey.protocol.backends import SELFHOSTED as BACKEND_SELFHOSTED

__all__ = ["BACKEND_LOGINID", "BACKEND_SELFHOSTED"]
DEFAULT_RP_ID: Final = "localhost"
DEFAULT_ORIGIN: Final = "https://localhost"
DEFAULT_CHALLENGE_TTL_SECONDS: Final = 300
CHALLENGE_TTL_RANGE: Final = (10, 900)
"""The selfhosted templates' ``ChallengeTtlSeconds`` (MinValue, MaxValue)."""

ENV_STATE_DIR: Final = "COGNITO_PASSKEY_LOCAL_DIR"
DEFAULT_STATE_DIR: Final = ".local-aws"
DEFAULT_PROFILE: Final = "local"


def default_state_dir() -> Path:
    """``$COGNITO_PASSKEY_LOCAL_DIR``, else ``.local-aws`` in the working directory."""
    return Path(os.environ.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR).absolute()
