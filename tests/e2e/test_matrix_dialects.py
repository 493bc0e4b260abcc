"""Both backends x both sign-in dialects, through the Python API and the CLI as a process.

Which dialect ran is observed twice: on the client (the Cognito calls its boto3 client
made: 2 for fast sign-in, 3 for the original WebSDK dialect) and on the server (the rounds
the deployed Create trigger logged for the user). The CLI has no switch for the dialect, so
the 3-call dialect is forced from the server side by the session's second selfhosted stack,
deployed with the template parameter ``FastSignIn=false`` (``selfhosted_three_call``).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from e2e_support import TriggerLog, api_client, cli_profile, enrolled_user, run_cli

pytestmark = pytest.mark.e2e


# -- helpers ---------------------------------------------------------------------------------


def record_calls(client: PasskeyClient) -> list[str]:
    """The Cognito operations ``client`` makes from now on (a botocore event hook)."""
    calls: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.api.client.meta.events.register("before-call.cognito-idp", before_call)
    return calls


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
