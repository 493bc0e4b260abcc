"""The one exception the local AWS raises."""

from __future__ import annotations

from cognito_passkey.client.errors import PasskeyClientError


class LocalAwsError(PasskeyClientError):
    """The local AWS could not be started, reached, deployed to or stopped; says why."""
