"""The names of the two passkey backends, as deployments, templates and the local AWS spell them."""

from __future__ import annotations

from typing import Final

LOGINID: Final = "loginid"
"""LoginID's API behind the triggers (docs/protocol.md, "LoginID's API")."""
SELFHOSTED: Final = "selfhosted"
"""Verification in the Lambda itself, passkeys in a DynamoDB table."""
BACKENDS: Final = (LOGINID, SELFHOSTED)
