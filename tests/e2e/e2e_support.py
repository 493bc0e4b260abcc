"""Helpers of the end-to-end tests (importable: this folder is on pytest's ``pythonpath``).

Users and clients come from the shared ``stack_fixtures`` plugin (re-exported here); the CLI
run as a process and the deployed triggers' logs are the end-to-end suite's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cognito_passkey.client.config import write_profile
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import (
    PASSWORD,
    api_client,
    create_user,
    enrolled_user,
    new_user,
    passkey_client,
    unique_username,
)

__all__ = [
    "CLI",
    "PASSWORD",
    "TriggerLog",
    "api_client",
    "cli_env",
    "cli_profile",
    "create_user",
    "enrolled_user",
    "new_user",
    "passkey_client",
    "respond",
    "run_cli",
    "start",
    "unique_username",
]

CLI = Path(sys.executable).parent / "cognito-passkey"


def start(client: Any, username: str) -> dict[str, Any]:
    """A raw ``InitiateAuth(CUSTOM_AUTH)`` of ``client``'s app client (no secret hash)."""
    reply: dict[str, Any] = client.api.call(
        "initiate_auth",
        AuthFlow="CUSTOM_AUTH",
        ClientId=client.client_id,
        AuthParameters={"USERNAME": username},
    )
    return reply


def respond(
    client: Any, session: str, username: str, answer: str, meta: Mapping[str, str] | None
) -> dict[str, Any]:
    """A raw custom-challenge answer; ``meta`` None sends no ClientMetadata at all."""
    extra: dict[str, Any] = {"ClientMetadata": dict(meta)} if meta is not None else {}
    reply: dict[str, Any] = client.api.call(
        "respond_to_auth_challenge",
        ClientId=client.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=session,
        ChallengeResponses={"USERNAME": username, "ANSWER": answer},
        **extra,
    )
    return reply


def cli_env(home: Path, *, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This environment without its ``AWS_*`` and ``COGNITO_PASSKEY_*`` variables (nor
    ``drop``), the CLI's config file and token cache under ``home``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "COGNITO_PASSKEY_")) and key not in drop
    }
    env.update(
        COGNITO_PASSKEY_CONFIG=str(home / "config.ini"),
        COGNITO_PASSKEY_CACHE_DIR=str(home / "cache"),
    )
    return env


def run_cli(
    home: Path, *args: str, input: str | None = None, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The installed ``cognito-passkey`` with its config and token cache under ``home``
    (:func:`cli_env`), dummy AWS credentials, and ``input`` on stdin (else none)."""
    env = cli_env(home, drop=drop)
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    return subprocess.run(
        [str(CLI), *args],
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def cli_profile(home: Path, deployment: Deployment, store: Path, name: str) -> str:
    """Write profile ``name`` for ``deployment`` with the software key in ``store``."""
    settings = deployment.profile_settings()
    settings["authenticator"] = f"soft:{store}"
    write_profile(name, settings, path=home / "config.ini")
    return name


class TriggerLog:
    """The JSON lines a deployed trigger logged for one user (CloudWatch Logs, locally).

    ``from_now`` (the default) marks what is already logged as seen, so that
    :meth:`new_records` returns only what comes after; :meth:`records` returns all.
    """

    def __init__(
        self, deployment: Deployment, function_output: str, username: str, *, from_now: bool = True
    ) -> None:
        functions = deploying.client(deployment.endpoint, "lambda")
        config = functions.get_function_configuration(
            FunctionName=deployment.outputs[function_output]
        )
        self.group = config["LoggingConfig"]["LogGroup"]
        self.logs = deploying.client(deployment.endpoint, "logs")
        self.username = username
        self.seen = {_event_key(event) for event in self._events()} if from_now else set()

    def _events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"logGroupName": self.group}
        while True:
            page = self.logs.filter_log_events(**kwargs)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def _user_record(self, event: dict[str, Any]) -> dict[str, Any] | None:
        try:
            record = json.loads(event["message"])
        except ValueError:
            return None  # START / END / REPORT lines
        if isinstance(record, dict) and record.get("user") == self.username:
            return record
        return None

    def records(self) -> list[dict[str, Any]]:
        """All the user's records in the log group, in the order the log returns them."""
        return [r for r in map(self._user_record, self._events()) if r is not None]

    def new_records(self) -> list[dict[str, Any]]:
        """The user's records logged since this object was made (or last asked)."""
        records = []
        for event in self._events():
            if _event_key(event) in self.seen:
                continue
            self.seen.add(_event_key(event))
            record = self._user_record(event)
            if record is not None:
                records.append(record)
        return records


def _event_key(event: dict[str, Any]) -> tuple[Any, ...]:
    """Events carry no id locally; stream, time and text tell them apart."""
    return (event.get("logStreamName"), event.get("timestamp"), event.get("message"))
