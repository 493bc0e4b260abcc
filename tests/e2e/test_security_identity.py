"""Whose passkey is it: credentials belong to a Cognito ``sub`` and to one user only.

Through the local AWS as the attacks go. A user name is reusable once its user is deleted;
the ``sub`` Cognito gives the new user is not, so the old owner's passkey and ID token must
not open, or add to, the new account. A credential id registered for one user cannot be
registered for another (WebAuthn §7.1), and an id the table cannot key is refused by name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jwt
import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient, exchange
from cognito_passkey.client.errors import ManagementError, NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.protocol import dialect
from e2e_support import PASSWORD, api_client, create_user, enrolled_user, new_user
from fido2.utils import websafe_encode
from lambdas_support import ForgedCredential, forge_attestation
from test_failures import GET, Backend, OwnCredentials, VerifyLog, respond, start

pytestmark = pytest.mark.e2e

CREATE = {
    dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_CREATE,
    dialect.META_ATTESTATION_OPTIONS: "{}",
}


def offered_ids(client: PasskeyClient, username: str) -> set[str]:
    """The credential ids both dialects offer ``username`` (round 1, and round 2's)."""
    first = start(client, username)
    fast = exchange.parse_options(first["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    second = respond(client, first["Session"], username, dialect.AUTH_PARAMS, GET)
    slow = exchange.parse_options(second["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    return {d["id"] for options in (fast, slow) for d in options.get("allowCredentials", [])}


def test_a_recreated_user_does_not_inherit_the_old_users_passkeys(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    """Register a passkey for X, AdminDeleteUser X, AdminCreateUser X again with a password:
    the old key offers nothing, signs in nothing, and the old owner's still-valid ID token
    adds nothing to the new X."""
    assert selfhosted.management_url is not None
    held = Backend(selfhosted)
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "sec-recycled-", key)
    (old_id,) = held.passkeys(username)
    old_tokens = api_client(selfhosted, key).sign_in_passkey(username)
    before = held.passkeys(username)
    assert old_id in offered_ids(api_client(selfhosted, None), username)

    idp.admin_delete_user(UserPoolId=selfhosted.user_pool_id, Username=username)
    create_user(idp, selfhosted, username, PASSWORD)
    new_tokens = api_client(selfhosted, None).sign_in_password(username, PASSWORD)
    assert _sub(new_tokens.id_token) != _sub(old_tokens.id_token)

    assert PasskeyManager(selfhosted.management_url, new_tokens.access_token).list() == []
    assert old_id not in offered_ids(api_client(selfhosted, None), username)
    for fast in (True, False):
        with pytest.raises(NotAuthorizedError):
            api_client(selfhosted, OwnCredentials(key), fast=fast).sign_in_passkey(username)
    with pytest.raises(NotAuthorizedError):  # the deleted user's token names the same user
        api_client(selfhosted, SoftAuthenticator()).add_passkey(username, old_tokens.id_token)

    assert VerifyLog(selfhosted, username).reasons() == ["user_mismatch"] * 3
    assert held.passkeys(username) == before  # untouched, and nobody's now
    # The new user's own passkey works as ever, and is the new user's only.
    new_key = SoftAuthenticator()
    api_client(selfhosted, new_key).add_passkey(username, new_tokens.id_token)
    assert api_client(selfhosted, new_key).sign_in_passkey(username).id_token
    (new_passkey,) = PasskeyManager(selfhosted.management_url, new_tokens.access_token).list()
    old_manager = PasskeyManager(selfhosted.management_url, old_tokens.access_token)
    assert [p.id for p in old_manager.list()] == [old_id]
    with pytest.raises(ManagementError) as refused:
        old_manager.delete(new_passkey.id)
    assert refused.value.status == 404
    assert new_passkey.id in held.passkeys(username)


def _sub(id_token: str) -> str:
    sub: str = jwt.decode(id_token, options={"verify_signature": False})["sub"]
    return sub


def register_forged(deployment: Deployment, username: str, credential: ForgedCredential) -> None:
    """Add ``credential`` as the user's passkey with raw Cognito calls (3-call dialect)."""
    client = api_client(deployment, None)
    id_token = client.sign_in_password(username, PASSWORD).id_token
    first = start(client, username)
    second = respond(client, first["Session"], username, dialect.AUTH_PARAMS, CREATE)
    options = exchange.parse_options(second["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    made = forge_attestation(options, credential, origin=deployment.origin, rp_id=deployment.rp_id)
    answer = exchange.attestation_answer(options, made, id_token)
    reply = respond(client, second["Session"], username, answer, CREATE)
    assert reply["AuthenticationResult"]["IdToken"]


def test_a_credential_id_registers_for_one_user_only(selfhosted: Deployment, idp: Any) -> None:
    held = Backend(selfhosted)
    credential = ForgedCredential()
    alice = new_user(idp, selfhosted, "sec-first-")
    bob = new_user(idp, selfhosted, "sec-second-")
    register_forged(selfhosted, alice, credential)

    with pytest.raises(NotAuthorizedError):
        register_forged(selfhosted, bob, credential)

    assert held.passkeys(alice) == {websafe_encode(credential.credential_id): 0}
    assert held.passkeys(bob) == {}
    assert VerifyLog(selfhosted, bob).reasons() == ["credential_exists"]
    with pytest.raises(NotAuthorizedError):  # and not a second time for Alice either
        register_forged(selfhosted, alice, credential)
    assert VerifyLog(selfhosted, alice).reasons() == ["credential_exists"]


def test_a_credential_id_the_table_cannot_key_is_refused_by_name(
    selfhosted: Deployment, idp: Any
) -> None:
    """WebAuthn allows ids up to 1023 bytes; the table keys at most 759 (a 1024-byte sort
    key): a longer one is refused as such, not as an unavailable backend."""
    held = Backend(selfhosted)
    username = new_user(idp, selfhosted, "sec-long-id-")
    longest = ForgedCredential(credential_id=os.urandom(759))
    register_forged(selfhosted, username, longest)
    assert list(held.passkeys(username)) == [websafe_encode(longest.credential_id)]

    for size in (760, 1023):
        with pytest.raises(NotAuthorizedError):
            register_forged(selfhosted, username, ForgedCredential(credential_id=os.urandom(size)))
    assert VerifyLog(selfhosted, username).reasons() == ["credential_id_too_long"] * 2
    assert list(held.passkeys(username)) == [websafe_encode(longest.credential_id)]


def challenge_items(deployment: Deployment, username: str) -> int:
    """How many items the table holds under the user's partition that are not passkeys."""
    dynamodb = deploying.client(deployment.endpoint, "dynamodb")
    items = dynamodb.query(
        TableName=deployment.outputs["PasskeyTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"USER#{username}"}},
        ConsistentRead=True,
    )["Items"]
    return sum(not item["sk"]["S"].startswith("CREDENTIAL#") for item in items)


SIGN_IN_STARTS = 100


def test_an_anonymous_initiate_auth_writes_nothing(selfhosted: Deployment, idp: Any) -> None:
    """Round 1 with fast sign-in offers assertion options to anyone who names a user; the
    challenge travels sealed in Cognito's private parameters, so starting a sign-in writes
    no item (a table cannot be filled by unanswered starts). The answer writes one "used"
    marker, and a replay of it is still refused (test_failures' replay test)."""
    enrolled = enrolled_user(idp, selfhosted, "sec-starts-", SoftAuthenticator())
    without = new_user(idp, selfhosted, "sec-starts-none-")
    raw = api_client(selfhosted, None)
    before = {name: challenge_items(selfhosted, name) for name in (enrolled, without)}
    for name in (enrolled, without):
        for _ in range(SIGN_IN_STARTS):
            assert dialect.PARAM_PUBLIC_KEY in start(raw, name)["ChallengeParameters"]
    written = {name: challenge_items(selfhosted, name) - before[name] for name in before}
    assert written == {enrolled: 0, without: 0}
