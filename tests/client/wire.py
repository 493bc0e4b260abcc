"""What a client really sends to Cognito and gets back, read off botocore's event hooks.

The requests are the JSON bodies that go over HTTP (after serialisation), so a test sees
exactly what the user pool receives; nothing is changed or answered here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SERVICE = "cognito-identity-provider"


@dataclass
class Call:
    operation: str
    request: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)


class Wire:
    """Records the Cognito calls of one boto3 client (``PasskeyClient.api.client``)."""

    def __init__(self, boto_client: Any) -> None:
        self.calls: list[Call] = []
        events = boto_client.meta.events
        events.register(f"before-send.{SERVICE}", self._sent)
        events.register(f"after-call.{SERVICE}", self._answered)

    def _sent(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode()
        body = request.body or b"{}"
        if isinstance(body, bytes):
            body = body.decode()
        self.calls.append(Call(target.rpartition(".")[2], json.loads(body)))

    def _answered(self, parsed: Any, model: Any, **_: Any) -> None:
        if self.calls and self.calls[-1].operation == model.name:
            self.calls[-1].response = dict(parsed or {})

    def ops(self) -> list[str]:
        return [call.operation for call in self.calls]

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [call.request for call in self.calls if call.operation == operation]

    def text(self) -> str:
        """Everything sent, as one string (to look for what must never travel)."""
        return json.dumps([call.request for call in self.calls])

    def clear(self) -> None:
        self.calls.clear()
