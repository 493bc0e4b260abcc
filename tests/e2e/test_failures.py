"""Failure paths end to end: every refusal is a clean NotAuthorized at the client (exit 3 or
4 from the CLI, one line on stderr, no traceback), and nothing is stored: no new or changed
credential in the backend (the DynamoDB table, or the LoginID server's passkeys), no tokens
in the client's token cache.

The attacks come from a hostile client: small authenticators that wrap the software key and
answer with their own credential whatever the server offers, or bend a byte of a real
assertion. Raw Cognito calls replay captured answers. What ministack does differently from
AWS (sessions not rotated between rounds, trigger exceptions, PreventUserExistenceErrors) is
not relied on; those behaviours are covered by the handler tests in tests/lambdas.
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.soft_authenticator import create_store
from cognito_passkey.client import PasskeyClient, exchange
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.errors import NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.client.token_source import obtain_tokens
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.protocol import dialect
from e2e_support import (
    PASSWORD,
    TriggerLog,
    api_client,
    cli_profile,
    enrolled_user,
    new_user,
    respond,
    run_cli,
    start,
)
from fido2.utils import websafe_encode
from stack_fixtures import CHALLENGE_TTL_SECONDS

pytestmark = pytest.mark.e2e

GET = {dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET}
FAST_GET = {**GET, dialect.META_FAST_SIGNIN: "true"}


# -- what the backend holds ----------------------------------------------------------------


class Backend:
    """What a deployment's backend holds for a user: passkey id -> signature counter."""

    def __init__(self, deployment: Deployment, loginid_service: Any = None) -> None:
        self.deployment = deployment
        self.loginid_service = loginid_service

    def passkeys(self, username: str) -> dict[str, int]:
        if self.deployment.backend == "loginid":
            user = self.loginid_service.users.get(username)
            return {p.id: p.sign_count for p in user.passkeys.values()} if user else {}
        dynamodb = deploying.client(self.deployment.endpoint, "dynamodb")
        items = dynamodb.query(
            TableName=self.deployment.outputs["PasskeyTableName"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :credential)",
            ExpressionAttributeValues={
                ":pk": {"S": f"USER#{username}"},
                ":credential": {"S": "CREDENTIAL#"},
            },
        )["Items"]
        return {
            item["sk"]["S"].removeprefix("CREDENTIAL#"): int(item["sign_count"]["N"])
            for item in items
        }


def backend_for(request: pytest.FixtureRequest, name: str) -> tuple[Deployment, Backend]:
    deployment: Deployment = request.getfixturevalue(name)
    service = request.getfixturevalue("loginid_service") if name == "loginid" else None
    return deployment, Backend(deployment, service)


class VerifyLog(TriggerLog):
    """The reasons the deployed Verify trigger logged for refusing one user's answers."""

    def __init__(self, deployment: Deployment, username: str) -> None:
        super().__init__(deployment, "VerifyAuthArn", username, from_now=False)

    def reasons(self) -> list[str]:
        return [r["reason"] for r in self.records() if r.get("message") == "rejected"]


def refusal(backend: str, selfhosted_reason: str) -> str:
    """The reason Verify logs: its own check's (selfhosted), or LoginID's refusal."""
    return selfhosted_reason if backend == "selfhosted" else "backend_rejected"


def refused_sign_in(client: PasskeyClient, username: str, cache_dir: Path) -> None:
    """Sign in through the token-caching path; assert NotAuthorized and an empty cache."""
    cache = TokenCache(cache_dir)
    key = CacheKey("failures", client.user_pool_id, client.client_id, client.endpoint_url)
    with pytest.raises(NotAuthorizedError):
        obtain_tokens(client, cache, key, username, force_key=True)
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


# -- hostile authenticators -------------------------------------------------------------------


class OwnCredentials:
    """Answers with its own passkeys whatever credentials the server offers."""

    def __init__(self, inner: SoftAuthenticator) -> None:
        self.inner = inner

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self.inner.create(options, origin=origin, rp_id=rp_id)

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        own = [
            {"type": "public-key", "id": websafe_encode(c.credential_id)}
            for c in self.inner.store.list_credentials(rp_id)
        ]
        assert own, "the authenticator holds no passkey to force"
        return self.inner.get({**options, "allowCredentials": own}, origin=origin, rp_id=rp_id)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def _bend_challenge(client_data: bytes) -> bytes:
    parsed = json.loads(client_data)
    challenge = parsed["challenge"]
    parsed["challenge"] = ("A" if challenge[0] != "A" else "B") + challenge[1:]
    return json.dumps(parsed, separators=(",", ":")).encode()


BENDS: dict[str, Callable[[bytes], bytes]] = {
    "signature": _flip_last_byte,
    "authenticatorData": _flip_last_byte,  # the counter's low byte: the signature breaks
    "clientDataJSON": _bend_challenge,
}


class Tampering:
    """A real key whose assertions get one field bent on the way out."""

    def __init__(self, inner: SoftAuthenticator, field: str) -> None:
        self.inner, self.field = inner, field

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        return self.inner.create(options, origin=origin, rp_id=rp_id)

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> dict[str, Any]:
        credential = self.inner.get(options, origin=origin, rp_id=rp_id)
        response = dict(credential["response"])
        response[self.field] = _b64(BENDS[self.field](_unb64(response[self.field])))
        return {**credential, "response": response}


# -- wrong user's passkey ---------------------------------------------------------------------

BACKENDS = ["selfhosted", "loginid"]
DIALECTS = pytest.mark.parametrize("fast", [False, True], ids=["3-call", "2-call"])


@DIALECTS
@pytest.mark.parametrize("backend", BACKENDS)
def test_alices_passkey_cannot_sign_in_bob(
    backend: str, fast: bool, request: pytest.FixtureRequest, idp: Any, tmp_path: Path
) -> None:
    deployment, held = backend_for(request, backend)
    alices_key = SoftAuthenticator()
    alice = enrolled_user(idp, deployment, "fx-alice-", alices_key)
    bob = enrolled_user(idp, deployment, "fx-bob-", SoftAuthenticator())
    before = {alice: held.passkeys(alice), bob: held.passkeys(bob)}

    refused_sign_in(api_client(deployment, OwnCredentials(alices_key), fast=fast), bob, tmp_path)

    assert {alice: held.passkeys(alice), bob: held.passkeys(bob)} == before
    assert VerifyLog(deployment, bob).reasons() == [refusal(backend, "unknown_credential")]
    # Alice's key still signs Alice in.
    assert api_client(deployment, alices_key).sign_in_passkey(alice).id_token


# -- removed passkey --------------------------------------------------------------------------


def remove_passkey(
    request: pytest.FixtureRequest,
    deployment: Deployment,
    held: Backend,
    username: str,
    key: SoftAuthenticator,
) -> None:
    """Delete the user's one passkey in the backend (the key keeps its copy)."""
    (passkey_id,) = held.passkeys(username)
    if deployment.backend == "selfhosted":
        assert deployment.management_url is not None
        tokens = api_client(deployment, key).sign_in_passkey(username)
        PasskeyManager(deployment.management_url, tokens.access_token).delete(passkey_id)
    else:
        service = request.getfixturevalue("loginid_service")
        with service.lock:  # what LoginID's dashboard or passkey API would do
            del service.users[username].passkeys[passkey_id]
    assert held.passkeys(username) == {}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_removed_passkey_cannot_sign_in(
    backend: str, request: pytest.FixtureRequest, idp: Any, tmp_path: Path
) -> None:
    deployment, held = backend_for(request, backend)
    key = SoftAuthenticator()
    username = enrolled_user(idp, deployment, "fx-removed-", key)
    remove_passkey(request, deployment, held, username, key)

    for fast in (False, True):
        refused_sign_in(api_client(deployment, OwnCredentials(key), fast=fast), username, tmp_path)
    assert held.passkeys(username) == {}
    # Offered decoys (selfhosted: a decoy challenge with HMAC-derived ids; loginid: LoginID
    # answered 404 and Create made the decoy), answered with the deleted credential.
    expected = "unknown_credential" if backend == "selfhosted" else "decoy_challenge"
    assert VerifyLog(deployment, username).reasons() == [expected] * 2


# -- tampered assertions ----------------------------------------------------------------------

EXPECTED_REASON = {
    "signature": "signature",
    "authenticatorData": "signature",
    "clientDataJSON": "challenge",
}


# The dialect changes the trigger flow, not the backend's check: LoginID in one dialect.
TAMPER_CASES = [
    pytest.param(backend, field, fast, id=f"{backend}-{field}-{'2' if fast else '3'}-call")
    for backend, dialects in (("selfhosted", (False, True)), ("loginid", (False,)))
    for field in BENDS
    for fast in dialects
]


@pytest.mark.parametrize(("backend", "field", "fast"), TAMPER_CASES)
def test_a_tampered_assertion_is_refused(
    backend: str,
    field: str,
    fast: bool,
    request: pytest.FixtureRequest,
    idp: Any,
    tmp_path: Path,
) -> None:
    deployment, held = backend_for(request, backend)
    key = SoftAuthenticator()
    username = enrolled_user(idp, deployment, "fx-tamper-", key)
    before = held.passkeys(username)

    refused_sign_in(api_client(deployment, Tampering(key, field), fast=fast), username, tmp_path)

    assert held.passkeys(username) == before
    assert VerifyLog(deployment, username).reasons() == [refusal(backend, EXPECTED_REASON[field])]
    # Nothing was burned: the untouched key still signs in.
    assert api_client(deployment, key, fast=fast).sign_in_passkey(username).id_token


# -- replayed answers -------------------------------------------------------------------------


def capture_answers(client: PasskeyClient) -> list[dict[str, Any]]:
    """The RespondToAuthChallenge parameters ``client`` sends from now on."""
    sent: list[dict[str, Any]] = []

    def before_build(params: dict[str, Any], **_: Any) -> None:
        sent.append(copy.deepcopy(params))

    client.api.client.meta.events.register(
        "before-parameter-build.cognito-idp.RespondToAuthChallenge", before_build
    )
    return sent


@DIALECTS
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_replayed_answer_is_refused(
    backend: str, fast: bool, request: pytest.FixtureRequest, idp: Any
) -> None:
    deployment, held = backend_for(request, backend)
    key = SoftAuthenticator()
    username = enrolled_user(idp, deployment, "fx-replay-", key)
    client = api_client(deployment, key, fast=fast)
    sent = capture_answers(client)
    assert client.sign_in_passkey(username).id_token
    captured = sent[-1]
    answer = captured["ChallengeResponses"]["ANSWER"]
    assert dialect.ANSWER_ASSERTION in json.loads(answer)
    assert captured["ClientMetadata"] == (FAST_GET if fast else GET)
    after_success = held.passkeys(username)

    raw = api_client(deployment, None)  # no authenticator: only raw calls from here
    first = start(raw, username)
    if fast:
        with pytest.raises(NotAuthorizedError):
            respond(raw, first["Session"], username, answer, FAST_GET)
    else:
        second = respond(raw, first["Session"], username, dialect.AUTH_PARAMS, GET)
        assert dialect.PARAM_PUBLIC_KEY in second["ChallengeParameters"]
        with pytest.raises(NotAuthorizedError):
            respond(raw, second["Session"], username, answer, GET)

    assert held.passkeys(username) == after_success
    assert VerifyLog(deployment, username).reasons() == [refusal(backend, "challenge")]


# -- expired challenges (selfhosted) ----------------------------------------------------------


def test_challenges_expire_after_the_ttl_in_both_dialects(selfhosted: Deployment, idp: Any) -> None:
    """Answers signed in time but sent after the stack's 10 s TTL are refused (one wait
    serves both dialects); Cognito's own session (3 minutes) is still valid. The stack offers
    fast sign-in, so the 3-call dialect is the client's choice: it answers AUTH_PARAMS."""
    functions = deploying.client(selfhosted.endpoint, "lambda")
    for output in ("CreateAuthArn", "VerifyAuthArn"):
        variables = functions.get_function_configuration(FunctionName=selfhosted.outputs[output])[
            "Environment"
        ]["Variables"]
        assert variables["PASSKEY_CHALLENGE_TTL_SECONDS"] == str(CHALLENGE_TTL_SECONDS)
    held = Backend(selfhosted)
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "fx-expired-", key)
    before = held.passkeys(username)
    client = api_client(selfhosted, key)

    def signed_answer(reply: dict[str, Any]) -> str:
        options = exchange.parse_options(reply["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
        signed = key.get(options, origin=selfhosted.origin, rp_id=selfhosted.rp_id)
        return exchange.assertion_answer(options, signed)

    fast_round = start(client, username)  # 2-call: the options come in round 1
    fast_answer = signed_answer(fast_round)
    first = start(client, username)  # 3-call: AUTH_PARAMS, then round 2's options
    second = respond(client, first["Session"], username, dialect.AUTH_PARAMS, GET)
    slow_answer = signed_answer(second)
    time.sleep(CHALLENGE_TTL_SECONDS + 1.5)
    with pytest.raises(NotAuthorizedError):
        respond(client, fast_round["Session"], username, fast_answer, FAST_GET)
    with pytest.raises(NotAuthorizedError):
        respond(client, second["Session"], username, slow_answer, GET)

    assert held.passkeys(username) == before
    assert VerifyLog(selfhosted, username).reasons() == ["challenge_expired"] * 2
    assert client.sign_in_passkey(username).id_token  # a fresh challenge works


# -- adding a passkey with another user's ID token --------------------------------------------


@pytest.mark.parametrize("early_token", [True, False], ids=["client-metadata", "answer-only"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bobs_id_token_cannot_add_a_passkey_to_alice(
    backend: str, early_token: bool, request: pytest.FixtureRequest, idp: Any
) -> None:
    deployment, held = backend_for(request, backend)
    alice = new_user(idp, deployment, "fx-alice-")
    bob = enrolled_user(idp, deployment, "fx-bob-", SoftAuthenticator())
    before = {alice: held.passkeys(alice), bob: held.passkeys(bob)}
    attacker_key = SoftAuthenticator()
    client = api_client(deployment, attacker_key)
    bobs_id_token = client.sign_in_password(bob, PASSWORD).id_token
    service = request.getfixturevalue("loginid_service") if backend == "loginid" else None
    requests_before = len(service.requests) if service else 0

    if early_token:  # the project's client: the token also rides in ClientMetadata
        with pytest.raises(NotAuthorizedError):
            client.add_passkey(alice, bobs_id_token)
    else:  # the original WebSDK: the token only in the final answer
        metadata = {
            dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_CREATE,
            dialect.META_ATTESTATION_OPTIONS: "{}",
        }
        first = start(client, alice)
        second = respond(client, first["Session"], alice, dialect.AUTH_PARAMS, metadata)
        options = exchange.parse_options(second["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
        made = attacker_key.create(options, origin=deployment.origin, rp_id=deployment.rp_id)
        answer = exchange.attestation_answer(options, made, bobs_id_token)
        with pytest.raises(NotAuthorizedError):
            respond(client, second["Session"], alice, answer, metadata)

    assert {alice: held.passkeys(alice), bob: held.passkeys(bob)} == before
    # Verify checks the answer's ID token before the backend is asked anything.
    assert VerifyLog(deployment, alice).reasons() == ["token_user"]
    if service is not None:
        assert alice not in service.users  # no LoginID user was made for Alice
        paths = [path for _method, path in service.requests[requests_before:]]
        assert not any(p.startswith("/fido2/v2/reg/complete") for p in paths), paths


# -- the CLI as a process ---------------------------------------------------------------------


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert "eyJ" not in result.stderr


def cached_files(home: Path) -> list[Path]:
    cache = home / "cache"
    return sorted(cache.iterdir()) if cache.exists() else []


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_another_users_key_is_refused_before_any_answer(
    backend: str, request: pytest.FixtureRequest, idp: Any, tmp_path: Path
) -> None:
    """Alice's key file names no credential Bob's challenge offers: exit 4, nothing sent."""
    deployment, held = backend_for(request, backend)
    store = tmp_path / "alice.json"
    enrolled_user(idp, deployment, "fx-cli-alice-", SoftAuthenticator(store))
    bob = enrolled_user(idp, deployment, "fx-cli-bob-", SoftAuthenticator())
    before = held.passkeys(bob)
    profile = cli_profile(tmp_path, deployment, store, "failures")

    result = run_cli(tmp_path, "sign-in", bob, "--profile", profile, "-o", "json")

    assert_clean_failure(result, 4)
    assert cached_files(tmp_path) == []
    assert held.passkeys(bob) == before
    if backend == "selfhosted":
        assert VerifyLog(deployment, bob).reasons() == []  # no answer reached Verify


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_a_removed_passkey_is_refused_before_any_answer(
    backend: str, request: pytest.FixtureRequest, idp: Any, tmp_path: Path
) -> None:
    """The key file still holds the passkey the backend deleted: decoys only, exit 4."""
    deployment, held = backend_for(request, backend)
    store = tmp_path / "key.json"
    key = SoftAuthenticator(store)
    username = enrolled_user(idp, deployment, "fx-cli-removed-", key)
    remove_passkey(request, deployment, held, username, key)
    profile = cli_profile(tmp_path, deployment, store, "failures")

    result = run_cli(tmp_path, "sign-in", username, "--profile", profile, "-o", "json")

    assert_clean_failure(result, 4)
    assert cached_files(tmp_path) == []
    assert held.passkeys(username) == {}
    if backend == "selfhosted":
        assert VerifyLog(deployment, username).reasons() == []


def test_cli_a_cloned_key_is_refused(selfhosted: Deployment, idp: Any, tmp_path: Path) -> None:
    """A copy of the key file, used after the original moved on: the counter went back."""
    held = Backend(selfhosted)
    original = tmp_path / "key.json"
    username = enrolled_user(idp, selfhosted, "fx-cli-clone-", SoftAuthenticator(original))
    clone_home = tmp_path / "clone"
    clone_home.mkdir()
    clone = clone_home / "key.json"
    shutil.copy2(original, clone)
    profile = cli_profile(tmp_path, selfhosted, original, "failures")
    ok = run_cli(tmp_path, "sign-in", username, "--profile", profile)
    assert ok.returncode == 0, ok.stderr
    after_original = held.passkeys(username)

    clone_profile = cli_profile(clone_home, selfhosted, clone, "failures")
    result = run_cli(clone_home, "sign-in", username, "--profile", clone_profile)

    assert_clean_failure(result, 3)
    assert cached_files(clone_home) == []
    assert held.passkeys(username) == after_original
    assert VerifyLog(selfhosted, username).reasons() == ["sign_count_regression"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_add_passkey_with_another_users_cached_token(
    backend: str, request: pytest.FixtureRequest, idp: Any, tmp_path: Path
) -> None:
    """A token cache that holds Bob's tokens under Alice's name cannot add Alice a passkey."""
    deployment, held = backend_for(request, backend)
    alice = new_user(idp, deployment, "fx-cli-alice-")
    bob = enrolled_user(idp, deployment, "fx-cli-bob-", SoftAuthenticator())
    before = {alice: held.passkeys(alice), bob: held.passkeys(bob)}
    bobs_tokens = api_client(deployment, None).sign_in_password(bob, PASSWORD)
    store = create_store(tmp_path / "key.json").path  # an empty key of Alice's
    profile = cli_profile(tmp_path, deployment, store, "failures")
    key = CacheKey(profile, deployment.user_pool_id, deployment.client_id, deployment.endpoint)
    poisoned = TokenCache(tmp_path / "cache").save(key, alice, bobs_tokens)
    poisoned_bytes = poisoned.read_bytes()

    result = run_cli(tmp_path, "add-passkey", alice, "--profile", profile, "-o", "json")

    # Bob's tokens are a cache miss for Alice: the key is asked, and holds no passkey of hers.
    assert_clean_failure(result, 4)
    assert cached_files(tmp_path) == [poisoned]
    assert poisoned.read_bytes() == poisoned_bytes  # no new tokens were stored
    assert {alice: held.passkeys(alice), bob: held.passkeys(bob)} == before
