"""One structured (JSON) logger for every trigger, and the single way to log a rejection.

A rejection is one line: ``{"message": "rejected", "reason": "<code>", ...}`` plus safe
context (trigger, user name, round). Callers pass only non-secret fields; tokens, keys,
signatures and answers are never handed to the logger.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from aws_lambda_powertools import Logger


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is now (Lambda's stdout, or a test's capture)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "cognito-passkey",
    stream=_CurrentStdout(),  # type: ignore[arg-type]
)


def log_rejection(reason: str, *, detail: str = "", **context: Any) -> None:
    """Log why a sign-in step was refused: exactly one warning line with a reason code."""
    fields: dict[str, Any] = {"reason": reason, **context}
    if detail:
        fields["detail"] = detail
    logger.warning("rejected", extra=fields)
