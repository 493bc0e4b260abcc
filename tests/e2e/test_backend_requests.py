"""What a self-hosted sign-in asks of DynamoDB, counted end to end on the local AWS.

The deployed Create and Verify functions are pointed at a counting loopback proxy in front
of the emulator's DynamoDB for the length of a test (and pointed back after). A 2-call
sign-in makes one credential read (Create's Query, which builds ``allowCredentials`` and is
sealed into the private state) and one conditional write (Verify's transaction: counter and
"used" marker, both or neither); a 3-call one five. A passkey removed between the two
triggers is refused. Through LoginID, a 2-call sign-in makes three requests: the two it
cannot do without (authentication init and complete) and the verification of the jwtAccess
that complete returned, which LoginID's own handlers make too; a 3-call one four.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import exchange
from cognito_passkey.client.errors import NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.local.request_counter import CountingProxy, dynamodb_counted
from cognito_passkey.protocol import dialect
from e2e_support import api_client, enrolled_user, respond, start
from test_failures import FAST_GET, Backend, VerifyLog

pytestmark = pytest.mark.e2e

TRIGGERS = ("CreateAuthArn", "VerifyAuthArn")


@pytest.fixture
def counted(selfhosted: Deployment) -> Iterator[CountingProxy]:
    """The stack's Create and Verify functions talking to DynamoDB through the proxy."""
    with dynamodb_counted(selfhosted.endpoint, [selfhosted.outputs[o] for o in TRIGGERS]) as proxy:
        yield proxy


def requests_of(proxy: CountingProxy, sign_in: Any) -> dict[str, int]:
    before = proxy.snapshot()
    sign_in()
    return dict(proxy.snapshot() - before)


def test_a_two_call_sign_in_reads_once_and_writes_once(
    selfhosted: Deployment, idp: Any, counted: CountingProxy
) -> None:
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-two-", key)
    client = api_client(selfhosted, key, fast=True)
    client.sign_in_passkey(username)  # warm: a fresh container reads the deployment key once
    seen = requests_of(counted, lambda: client.sign_in_passkey(username))
    assert seen == {"Query": 1, "TransactWriteItems": 1}


def test_a_three_call_sign_in_is_counted_too(
    selfhosted: Deployment, idp: Any, counted: CountingProxy
) -> None:
    """Round 1 reads (its options are offered to a 2-call client); round 2 reads and stores
    its challenge with the passkeys it offers; Verify consumes it by a conditional delete
    (which hands the passkeys back) and saves the counter by a conditional update."""
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-three-", key)
    client = api_client(selfhosted, key, fast=False)
    client.sign_in_passkey(username)
    seen = requests_of(counted, lambda: client.sign_in_passkey(username))
    assert seen == {"Query": 2, "PutItem": 1, "DeleteItem": 1, "UpdateItem": 1}


def test_a_passkey_removed_between_create_and_verify_is_refused(
    selfhosted: Deployment, idp: Any
) -> None:
    assert selfhosted.management_url is not None
    held = Backend(selfhosted)
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "req-removed-", key)
    (passkey_id,) = held.passkeys(username)
    access_token = api_client(selfhosted, key).sign_in_passkey(username).access_token
    raw = api_client(selfhosted, None)
    first = start(raw, username)  # Create sealed the passkey into the private state
    options = exchange.parse_options(first["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    signed = key.get(options, origin=selfhosted.origin, rp_id=selfhosted.rp_id)
    PasskeyManager(selfhosted.management_url, access_token).delete(passkey_id)
    with pytest.raises(NotAuthorizedError):
        respond(
            raw, first["Session"], username, exchange.assertion_answer(options, signed), FAST_GET
        )
    assert held.passkeys(username) == {}
    assert VerifyLog(selfhosted, username).reasons() == ["unknown_credential"]


INIT = ("POST", "/fido2/v2/auth/init")
COMPLETE = ("POST", "/fido2/v2/auth/complete")
TOKEN_VERIFY = ("POST", "/fido2/v2/mgmt/token/verify")


@pytest.mark.parametrize(
    ("fast", "expected"),
    [
        (True, [INIT, COMPLETE, TOKEN_VERIFY]),
        # Round 1 offers options to a 2-call client; a 3-call one asks for them again.
        (False, [INIT, INIT, COMPLETE, TOKEN_VERIFY]),
    ],
    ids=["2-call", "3-call"],
)
def test_a_loginid_sign_in_asks_init_complete_and_verify(
    loginid: Deployment,
    loginid_service: Any,
    idp: Any,
    fast: bool,
    expected: list[tuple[str, str]],
) -> None:
    key = SoftAuthenticator()
    username = enrolled_user(idp, loginid, "req-lid-", key)
    client = api_client(loginid, key, fast=fast)
    client.sign_in_passkey(username)  # warm: a fresh container reads its secret once
    before = len(loginid_service.requests)
    client.sign_in_passkey(username)
    assert loginid_service.requests[before:] == expected
