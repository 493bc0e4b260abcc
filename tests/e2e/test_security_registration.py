"""Adding a passkey end to end: it needs a recent sign-in, the live access token where the
stack demands it, room under the user's cap, and it leaves an audit record (log line and SNS).

A second self-hosted stack (``guarded``) is deployed for this module with the settings on:
``IdTokenMaxAgeSeconds=10``, ``RequireAccessTokenProof=true``, ``MaxPasskeysPerUser=2`` and an
SNS topic (subscribed by an SQS queue) as ``AuditTopicArn``. A LoginID stack with an API key
id shows that the key travels through Secrets Manager only.

Not here: refusing an access token after GlobalSignOut. ministack 1.5.33 answers GetUser for
a signed-out (revoked) access token unless it runs with ``AUTH=true`` (its revocation check
sits in the AUTH-only request validation), so that path is tested at handler level with a
stubbed Cognito (tests/lambdas/test_security_registration_checks.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client.errors import NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local import DeploySpec, LocalAws
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from e2e_support import PASSWORD, TriggerLog, api_client, new_user
from stack_fixtures import LOGINID_ORIGIN, LOGINID_RP_ID

pytestmark = pytest.mark.e2e

MAX_AGE_SECONDS = 10
LEEWAY_SECONDS = 5  # cognito_passkey.lambdas.tokens.LEEWAY_SECONDS
CAP = 2


@pytest.fixture(scope="module")
def audit_queue(local_aws: LocalAws) -> tuple[str, str]:
    """An SNS topic and the SQS queue subscribed to it: (topic ARN, queue URL)."""
    sns = deploying.client(local_aws.endpoint, "sns")
    sqs = deploying.client(local_aws.endpoint, "sqs")
    topic = sns.create_topic(Name="passkey-audit")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="passkey-audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


@pytest.fixture(scope="module")
def guarded(local_aws: LocalAws, audit_queue: tuple[str, str]) -> Deployment:
    return local_aws.deploy(
        DeploySpec(
            stack_name="passkey-guarded",
            id_token_max_age_seconds=MAX_AGE_SECONDS,
            require_access_token=True,
            max_passkeys=CAP,
            audit_topic_arn=audit_queue[0],
        )
    )


def signed_in(idp: Any, deployment: Deployment, prefix: str) -> tuple[str, Any, Any]:
    """A new user, a client with a fresh software key, and the user's password tokens."""
    username = new_user(idp, deployment, prefix)
    client = api_client(deployment, SoftAuthenticator())
    return username, client, client.sign_in_password(username, PASSWORD)


def reasons(log: TriggerLog) -> list[str]:
    return [r["reason"] for r in log.new_records() if r.get("message") == "rejected"]


def audit_records(log: TriggerLog) -> list[dict[str, Any]]:
    return [r for r in log.new_records() if r.get("message") == "audit"]


def queued_events(queue_url: str, endpoint: str, username: str) -> list[dict[str, Any]]:
    """The audit events for ``username`` that reached the queue (SNS envelope unwrapped)."""
    sqs = deploying.client(endpoint, "sqs")
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            event = json.loads(body["Message"]) if "Message" in body else body
            if event.get("user") == username:
                found.append(event)
        if found:
            return found
    return found


def test_an_old_sign_in_cannot_add_a_passkey(guarded: Deployment, idp: Any) -> None:
    """An ID token whose auth_time is past the window adds nothing, even with its access
    token beside it (registration would otherwise renew the session for ever)."""
    username, client, tokens = signed_in(idp, guarded, "stale-")
    log = TriggerLog(guarded, "VerifyAuthArn", username)
    time.sleep(MAX_AGE_SECONDS + LEEWAY_SECONDS + 1)
    with pytest.raises(NotAuthorizedError):
        client.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    assert "token_too_old" in reasons(log)
    assert client.sign_in_password(username, PASSWORD).id_token  # the user is fine otherwise


def test_mandatory_proof_refuses_the_id_token_alone(guarded: Deployment, idp: Any) -> None:
    """With RequireAccessTokenProof the WebSDK's answer (ID token only) is refused; the same
    sign-in with its access token, confirmed by Cognito (GetUser), adds the passkey."""
    username, client, tokens = signed_in(idp, guarded, "proof-")
    log = TriggerLog(guarded, "VerifyAuthArn", username)
    with pytest.raises(NotAuthorizedError):
        client.add_passkey(username, tokens.id_token)
    assert reasons(log) == ["access_token_required"]
    client.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    assert client.sign_in_passkey(username).id_token


def test_another_users_access_token_is_no_proof(guarded: Deployment, idp: Any) -> None:
    username, client, tokens = signed_in(idp, guarded, "victim-")
    _, _, other = signed_in(idp, guarded, "other-")
    log = TriggerLog(guarded, "VerifyAuthArn", username)
    with pytest.raises(NotAuthorizedError):
        client.add_passkey(username, tokens.id_token, access_token=other.access_token)
    assert reasons(log) == ["token_user"]


def test_the_passkey_cap_refuses_one_more(guarded: Deployment, idp: Any) -> None:
    username = new_user(idp, guarded, "cap-")
    for _ in range(CAP):
        client = api_client(guarded, SoftAuthenticator())
        tokens = client.sign_in_password(username, PASSWORD)
        client.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    log = TriggerLog(guarded, "VerifyAuthArn", username)
    extra = api_client(guarded, SoftAuthenticator())
    tokens = extra.sign_in_password(username, PASSWORD)
    with pytest.raises(NotAuthorizedError):
        extra.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    assert reasons(log) == ["passkey_limit"]
    manager = PasskeyManager(guarded.management_url, tokens.access_token)
    assert len(manager.list()) == CAP


def test_adding_and_removing_a_passkey_is_audited(
    guarded: Deployment, idp: Any, audit_queue: tuple[str, str]
) -> None:
    """One JSON log line per change (Verify for an add, the management function for a
    delete), and the same event on the SNS topic."""
    username, client, tokens = signed_in(idp, guarded, "audit-")
    sub = next(
        a["Value"]
        for a in idp.admin_get_user(UserPoolId=guarded.user_pool_id, Username=username)[
            "UserAttributes"
        ]
        if a["Name"] == "sub"
    )
    verify_log = TriggerLog(guarded, "VerifyAuthArn", username)
    manage_log = TriggerLog(guarded, "ManagePasskeysArn", username)
    fresh = client.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    manager = PasskeyManager(guarded.management_url, fresh.access_token)
    (passkey,) = manager.list()
    (added,) = audit_records(verify_log)
    assert added["event_type"] == "passkey_added"
    assert (added["user"], added["sub"], added["backend"]) == (username, sub, "selfhosted")
    assert added["credential_id"] == passkey.id
    assert added["time"]
    (published,) = queued_events(audit_queue[1], guarded.endpoint, username)
    assert published["event_type"] == "passkey_added"
    assert published["credential_id"] == passkey.id

    manager.delete(passkey.id)
    (removed,) = audit_records(manage_log)
    assert removed["event_type"] == "passkey_removed"
    assert (removed["user"], removed["sub"], removed["credential_id"]) == (
        username,
        sub,
        passkey.id,
    )
    (published,) = queued_events(audit_queue[1], guarded.endpoint, username)
    assert published["event_type"] == "passkey_removed"
    assert "eyJ" not in json.dumps([added, removed])  # no JWT in an audit record


def test_the_default_stack_still_takes_the_websdk_answer(selfhosted: Deployment, idp: Any) -> None:
    """Proof is optional by default: the ID token alone (the original WebSDK) adds a passkey,
    and the audit line is written without any topic."""
    username, client, tokens = signed_in(idp, selfhosted, "websdk-")
    log = TriggerLog(selfhosted, "VerifyAuthArn", username)
    client.add_passkey(username, tokens.id_token)
    (added,) = audit_records(log)
    assert added["event_type"] == "passkey_added"


# -- the LoginID API key id lives in Secrets Manager only ----------------------------------

API_KEY_ID = "api-key-id-for-tests-7f3a"


@pytest.fixture(scope="module")
def loginid_api_key_service() -> Iterator[Any]:
    from loginid_server import loginid_server

    with loginid_server(
        rp_id=LOGINID_RP_ID, origins=(LOGINID_ORIGIN,), api_key_id=API_KEY_ID
    ) as server:
        yield server


@pytest.fixture(scope="module")
def loginid_api_key(local_aws: LocalAws, loginid_api_key_service: Any) -> Deployment:
    """A LoginID stack whose tenant key is not the server's: only the API key signs calls."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    unrelated = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return local_aws.deploy(
        DeploySpec(
            backend="loginid",
            stack_name="passkey-loginid-api-key",
            rp_id=LOGINID_RP_ID,
            origins=(LOGINID_ORIGIN,),
            loginid_base_url=loginid_api_key_service.base_url,
            loginid_private_key=unrelated.decode(),
            loginid_api_key_id=API_KEY_ID,
        )
    )


def test_the_loginid_api_key_is_in_no_function_environment(
    loginid_api_key: Deployment, idp: Any
) -> None:
    functions = deploying.client(loginid_api_key.endpoint, "lambda")
    for output in ("CreateAuthArn", "VerifyAuthArn", "DefineAuthArn"):
        config = functions.get_function_configuration(FunctionName=loginid_api_key.outputs[output])
        variables = config.get("Environment", {}).get("Variables", {})
        assert API_KEY_ID not in json.dumps(variables)
        assert "LOGINID_API_KEY_ID" not in variables
    username, client, tokens = signed_in(idp, loginid_api_key, "apikey-")
    client.add_passkey(username, tokens.id_token, access_token=tokens.access_token)
    assert client.sign_in_passkey(username).id_token
