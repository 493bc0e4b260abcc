"""Both backends x both sign-in dialects, through the Python API and the CLI as a process.

Which dialect ran is observed twice: on the client (the Cognito calls its boto3 client
made: 2 for fast sign-in, 3 for the original WebSDK dialect) and on the server (the rounds
the deployed Create trigger logged for the user). The CLI has no switch for the dialect, so
the 3-call dialect is forced from the server side by the session's second selfhosted stack,
deployed with the template parameter ``FastSignIn=false`` (``selfhosted_three_call``).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client.config import write_profile
from cognito_passkey.client.local import deploy as deploying
from cognito_passkey.client.local.deploy import Deployment, session

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-Horse-9-Battery"


# -- helpers ---------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    """A user name no other test uses, even on a pool kept from an earlier run."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def api_client(deployment: Deployment, authenticator: Any, *, fast: bool = True) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=deployment.user_pool_id,
        client_id=deployment.client_id,
        endpoint_url=deployment.endpoint,
        rp_id=deployment.rp_id,
        origin=deployment.origin,
        authenticator=authenticator,
        boto_session=session(),
        fast_signin=fast,
    )


def enrolled_user(idp: Any, deployment: Deployment, prefix: str, authenticator: Any) -> str:
    """A new user with a password and one passkey on ``authenticator``."""
    username = unique(prefix)
    idp.admin_create_user(
        UserPoolId=deployment.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=deployment.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    enroller = api_client(deployment, authenticator)
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)
    return username


def record_calls(client: PasskeyClient) -> list[str]:
    """The Cognito operations ``client`` makes from now on (a botocore event hook)."""
    calls: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.api.client.meta.events.register("before-call.cognito-idp", before_call)
    return calls


class TriggerLog:
    """The JSON lines a deployed trigger logged for one user (CloudWatch Logs, locally)."""

    def __init__(self, deployment: Deployment, function_output: str, username: str) -> None:
        functions = deploying.client(deployment.endpoint, "lambda")
        config = functions.get_function_configuration(
            FunctionName=deployment.outputs[function_output]
        )
        self.group = config["LoggingConfig"]["LogGroup"]
        self.logs = deploying.client(deployment.endpoint, "logs")
        self.username = username
        self.seen = {_event_key(event) for event in self._events()}

    def _events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"logGroupName": self.group}
        while True:
            page = self.logs.filter_log_events(**kwargs)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def new_records(self) -> list[dict[str, Any]]:
        """The user's records logged since this object was made (or last asked)."""
        records = []
        for event in self._events():
            if _event_key(event) in self.seen:
                continue
            self.seen.add(_event_key(event))
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue  # START / END / REPORT lines
            if isinstance(record, dict) and record.get("user") == self.username:
                records.append(record)
        return records


def _event_key(event: dict[str, Any]) -> tuple[Any, ...]:
    """Events carry no id locally; stream, time and text tell them apart."""
    return (event.get("logStreamName"), event.get("timestamp"), event.get("message"))


def rounds_issued(log: TriggerLog) -> list[int]:
    return [r["round"] for r in log.new_records() if r.get("message") == "challenge issued"]


def check_tokens(client: PasskeyClient, tokens: Any, username: str) -> None:
    claims = client.verify_token(tokens.id_token)
    assert claims["cognito:username"] == username
    assert client.verify_token(tokens.access_token, token_use="access")["username"] == username


# -- the Python API ---------------------------------------------------------------------------

BACKENDS = ["selfhosted", "loginid"]


@pytest.mark.parametrize("fast", [False, True], ids=["3-call", "2-call"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_python_api_dialects(
    backend: str, fast: bool, request: pytest.FixtureRequest, idp: Any
) -> None:
    deployment: Deployment = request.getfixturevalue(backend)
    key = SoftAuthenticator()
    username = enrolled_user(idp, deployment, f"mx-api-{backend}-", key)
    create_log = TriggerLog(deployment, "CreateAuthArn", username)

    client = api_client(deployment, key, fast=fast)
    calls = record_calls(client)
    tokens = client.sign_in_passkey(username)

    check_tokens(client, tokens, username)
    if fast:
        assert calls == ["InitiateAuth", "RespondToAuthChallenge"]
        assert rounds_issued(create_log) == [1]
    else:
        assert calls == ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]
        assert rounds_issued(create_log) == [1, 2]


def test_python_api_on_a_stack_without_fast_sign_in(
    selfhosted_three_call: Deployment, idp: Any
) -> None:
    """A client that would take the 2-call path gets the 3-call one from the server."""
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted_three_call, "mx-api-3stack-", key)
    create_log = TriggerLog(selfhosted_three_call, "CreateAuthArn", username)
    client = api_client(selfhosted_three_call, key, fast=True)
    calls = record_calls(client)
    tokens = client.sign_in_passkey(username)
    check_tokens(client, tokens, username)
    assert calls == ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]
    assert rounds_issued(create_log) == [1, 2]


# -- the CLI as a process ---------------------------------------------------------------------

CLI = Path(sys.executable).parent / "cognito-passkey"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``cognito-passkey`` with its config and token cache under ``home``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "COGNITO_PASSKEY_"))
    }
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        COGNITO_PASSKEY_CONFIG=str(home / "config.ini"),
        COGNITO_PASSKEY_CACHE_DIR=str(home / "cache"),
    )
    return subprocess.run(
        [str(CLI), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def cli_profile(home: Path, deployment: Deployment, store: Path, name: str) -> str:
    settings = deployment.profile_settings()
    settings["authenticator"] = f"soft:{store}"
    write_profile(name, settings, path=home / "config.ini")
    return name


def three_call_or_fast(request: pytest.FixtureRequest, case: str) -> tuple[Deployment, bool]:
    if case == "selfhosted-3-call":
        return request.getfixturevalue("selfhosted_three_call"), False
    backend = case.removesuffix("-2-call")
    return request.getfixturevalue(backend), True


@pytest.mark.parametrize("case", ["selfhosted-2-call", "loginid-2-call", "selfhosted-3-call"])
def test_cli_sign_in(case: str, request: pytest.FixtureRequest, idp: Any, tmp_path: Path) -> None:
    deployment, fast = three_call_or_fast(request, case)
    store = tmp_path / "key.json"
    username = enrolled_user(idp, deployment, "mx-cli-", SoftAuthenticator(store))
    profile = cli_profile(tmp_path, deployment, store, "matrix")
    create_log = TriggerLog(deployment, "CreateAuthArn", username)

    result = run_cli(tmp_path, "sign-in", username, "--profile", profile, "-o", "json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["username"] == username
    verifier = api_client(deployment, None)
    assert verifier.verify_token(document["id_token"])["cognito:username"] == username
    access = verifier.verify_token(document["access_token"], token_use="access")
    assert access["client_id"] == deployment.client_id
    assert document["refresh_token"]
    for secret in (document["id_token"], document["access_token"], document["refresh_token"]):
        assert secret not in result.stderr
    assert "eyJ" not in result.stderr  # no JWT of any kind
    assert f"Signed in as {username}" in result.stderr
    assert rounds_issued(create_log) == ([1] if fast else [1, 2])
    (cached,) = (tmp_path / "cache").iterdir()
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert json.loads(cached.read_text())["tokens"]["id_token"] == document["id_token"]

    # The cached tokens serve the next run without the key or a new ceremony.
    again = run_cli(tmp_path, "sign-in", username, "--profile", profile, "-o", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["id_token"] == document["id_token"]
    assert rounds_issued(create_log) == []


def test_the_three_call_stack_offers_no_options_in_round_one(
    selfhosted_three_call: Deployment, idp: Any
) -> None:
    """What forces the CLI onto the 3-call path: round 1 is the original placeholder."""
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted_three_call, "mx-round1-", key)
    reply = idp.initiate_auth(
        ClientId=selfhosted_three_call.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    assert reply["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert reply["ChallengeParameters"].get("challenge") == "AUTH_PARAMS"
    assert "public_key" not in reply["ChallengeParameters"]
    functions = deploying.client(selfhosted_three_call.endpoint, "lambda")
    for output in ("DefineAuthArn", "CreateAuthArn", "VerifyAuthArn"):
        variables = functions.get_function_configuration(
            FunctionName=selfhosted_three_call.outputs[output]
        )["Environment"]["Variables"]
        assert variables["PASSKEY_FAST_SIGNIN"] == "false"
