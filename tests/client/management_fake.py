"""A passkey management API on 127.0.0.1 (contracts: GET/PATCH/DELETE /passkeys)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from .loopback import Loopback


@dataclass
class ManagementFake:
    token: str
    passkeys: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""

    def serve(self) -> Loopback:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _authorised(self) -> bool:
                auth = self.headers.get("Authorization", "")
                fake.requests.append((self.command, self.path, auth))
                if auth != f"Bearer {fake.token}":
                    self._reply(401, {"error": "unauthorized", "message": "bad token"})
                    return False
                return True

            def _item(self) -> str | None:
                prefix = "/passkeys/"
                return unquote(self.path[len(prefix) :]) if self.path.startswith(prefix) else None

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path != "/passkeys":
                    self._reply(404, {"error": "not_found", "message": "no route"})
                    return
                self._reply(200, {"passkeys": list(fake.passkeys.values())})

            def do_PATCH(self) -> None:
                if not self._authorised():
                    return
                item = self._item()
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if item not in fake.passkeys:
                    self._reply(404, {"error": "not_found", "message": "no such passkey"})
                    return
                if not isinstance(body.get("name"), str) or len(body["name"]) > 64:
                    self._reply(400, {"error": "bad_request", "message": "name is invalid"})
                    return
                fake.passkeys[item]["name"] = body["name"]
                self._reply(200, fake.passkeys[item])

            def do_DELETE(self) -> None:
                if not self._authorised():
                    return
                item = self._item()
                if item not in fake.passkeys:
                    self._reply(404, {"error": "not_found", "message": "no such passkey"})
                    return
                del fake.passkeys[item]
                self.send_response(204)
                self.end_headers()

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        running = Loopback(Handler)
        self.url = running.url
        return running


def sample_passkey(passkey_id: str, name: str) -> dict[str, Any]:
    return {
        "id": passkey_id,
        "name": name,
        "created_at": "2026-01-01T00:00:00Z",
        "last_used_at": None,
        "sign_count": 3,
        "aaguid": "e5eeefb6-6e46-4057-ba36-6bc8f6a89f76",
        "transports": ["usb"],
    }
