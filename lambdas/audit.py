"""Audit events: one record for every passkey added or removed.

A passkey is a lasting credential, so each change leaves one JSON log line
(``{"message": "audit", "event_type": "passkey_added" | "passkey_removed", "user", "sub",
"credential_id", "backend", "time"}``) and, when the deployment names an SNS topic
(``PASSKEY_AUDIT_TOPIC_ARN``), the same JSON published there. The credential id is
base64url and not secret; no token or key is ever part of an event.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any, Final

from cognito_passkey.lambdas import aws_clients
from cognito_passkey.lambdas.log import log_rejection, logger

PASSKEY_ADDED: Final = "passkey_added"
PASSKEY_REMOVED: Final = "passkey_removed"
AUDIT_MESSAGE: Final = "audit"
"""The ``message`` of every audit log line (what a metric filter matches)."""
PUBLISH_FAILED: Final = "audit_publish_failed"
"""Logged when the SNS topic could not take an event (the log line stands regardless)."""


def event(
    event_type: str, *, user: str, sub: str | None, credential_id: str, backend: str
) -> dict[str, Any]:
    """The audit record of one change."""
    return {
        "event_type": event_type,
        "user": user,
        "sub": sub,
        "credential_id": credential_id,
        "backend": backend,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def record(
    event_type: str,
    *,
    user: str,
    sub: str | None,
    credential_id: str,
    backend: str,
    topic_arn: str = "",
) -> dict[str, Any]:
    """Log the change (always) and publish it to ``topic_arn`` (when set); returns the record.

    The change has already happened when this runs, so a topic that cannot be reached is
    logged as :data:`PUBLISH_FAILED` and does not undo or refuse it.
    """
    fields = event(event_type, user=user, sub=sub, credential_id=credential_id, backend=backend)
    logger.info(AUDIT_MESSAGE, extra=fields)
    if topic_arn:
        try:
            _sns_client(_region_of_arn(topic_arn)).publish(
                TopicArn=topic_arn,
                Message=json.dumps(fields, separators=(",", ":")),
                Subject=event_type,
            )
        except Exception as exc:  # any failure of the optional copy; the log line stands
            log_rejection(
                PUBLISH_FAILED,
                detail=type(exc).__name__,
                trigger="audit",
                user=user,
                event_type=event_type,
            )
    return fields


def _region_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else os.environ.get("AWS_REGION", "")


def _sns_client(region: str) -> Any:
    return aws_clients.client("sns", region=region)
