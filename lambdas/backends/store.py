"""The self-hosted backend's DynamoDB table: credentials, pending challenges, one key.

Key schema (contracts): ``pk`` (S, HASH) + ``sk`` (S, RANGE), TTL attribute ``ttl``.

| item                | pk                         | sk                        |
|---------------------|----------------------------|---------------------------|
| credential          | ``USER#<username>``         | ``CREDENTIAL#<b64url id>`` |
| credential owner    | ``CREDENTIAL#<b64url id>``  | ``OWNER``                  |
| pending challenge   | ``USER#<username>``         | ``CHALLENGE#<random id>``  |
| answered challenge  | ``USER#<username>``         | ``USED#<random id>``       |
| deployment key      | ``DEPLOYMENT``              | ``DECOY_KEY``              |

A credential carries the ``sub`` of the Cognito user it was registered for: user names can
be reused after a user is deleted, subs never are, so a credential whose ``sub`` is not the
caller's belongs to someone else (credentials stored before ``sub`` was kept have none and
belong to nobody). The owner item makes a credential id one user's only (WebAuthn §7.1).

Every change is a conditional write: a challenge is consumed by a conditional delete (so
it answers once), a sealed challenge by a new "used" marker written in one transaction with
the counter update that accepts its answer, a credential is added only if its id is new to
the whole table, the counter only moves forward.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cognito_passkey.lambdas import aws_clients
from fido2.utils import websafe_encode

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_USER = "USER#"
_CREDENTIAL = "CREDENTIAL#"
_CHALLENGE = "CHALLENGE#"
_USED = "USED#"
_DEPLOYMENT_PK = "DEPLOYMENT"
_DECOY_KEY_SK = "DECOY_KEY"
_OWNER_SK = "OWNER"
MAX_CREDENTIAL_ID_BYTES = 759
"""The longest credential id a sort key holds: DynamoDB keys a range key at 1024 bytes, and
``CREDENTIAL#`` plus the base64url of 760 bytes is 1025."""
CHALLENGE_TTL_GRACE_SECONDS = 3600
"""How long an expired challenge is kept before the table's TTL may delete it."""


@dataclass(frozen=True)
class ChallengeRecord:
    """A challenge handed out by a Create trigger and not yet answered."""

    challenge: bytes
    kind: str
    user_verification: str
    expires_at: int
    decoy: bool
    snapshot: str | None = None
    """The backend's copy of the passkeys a sign-in offered (opaque here), or None."""


@dataclass(frozen=True)
class StoredCredential:
    """A registered passkey (``credential_data`` is python-fido2's AttestedCredentialData)."""

    credential_id: bytes
    credential_data: bytes
    sign_count: int
    name: str
    created_at: str
    last_used_at: str | None = None
    aaguid: str = ""
    transports: list[str] = field(default_factory=list)
    sub: str = ""
    """The Cognito ``sub`` of the user it was registered for; empty for older credentials."""


class Acceptance(enum.Enum):
    """How :meth:`PasskeyStore.accept_answer` ended."""

    ACCEPTED = "accepted"
    CHALLENGE_USED = "challenge_used"
    CREDENTIAL_REFUSED = "credential_refused"
    """The passkey is gone, changed hands, or its counter did not move forward."""


class StoreError(Exception):
    """DynamoDB could not be reached or refused a request for a reason other than a condition."""


def dynamodb_client() -> DynamoDBClient:
    """The container's DynamoDB client."""
    client: DynamoDBClient = aws_clients.client("dynamodb", read_timeout=5)
    return client


def _is_condition_failure(exc: Exception) -> bool:
    """A failed condition, in a single write or in any item of a transaction."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    if code == "TransactionCanceledException":
        reasons = response.get("CancellationReasons") or []
        return any(
            isinstance(r, dict) and r.get("Code") == "ConditionalCheckFailed" for r in reasons
        )
    return bool(code == "ConditionalCheckFailedException")


def _credential_sk(credential_id: bytes) -> str:
    return _CREDENTIAL + websafe_encode(credential_id)


def _owner_key(credential_id: bytes) -> dict[str, Any]:
    return {"pk": {"S": _credential_sk(credential_id)}, "sk": {"S": _OWNER_SK}}


class PasskeyStore:
    """Typed access to the table; every method is one or two DynamoDB calls."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client
        self._decoy_key: bytes | None = None

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = dynamodb_client()
        return self._client

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if operation != "transact_write_items":  # a transaction names a table per item
                kwargs["TableName"] = self.table_name
            result: dict[str, Any] = getattr(self.client, operation)(**kwargs)
            return result
        except ClientError as exc:
            if _is_condition_failure(exc):
                raise
            raise StoreError(
                f"DynamoDB {operation} failed: {exc.response['Error'].get('Code')}"
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB {operation} failed: {type(exc).__name__}") from exc

    # The deployment key ---------------------------------------------------------------

    def deployment_key(self) -> bytes:
        """The per-deployment secret for decoys and user handles, made once on first use."""
        if self._decoy_key is not None:
            return self._decoy_key
        key = {"pk": {"S": _DEPLOYMENT_PK}, "sk": {"S": _DECOY_KEY_SK}}
        item = self._call("get_item", Key=key, ConsistentRead=True).get("Item")
        if item is None:
            fresh = os.urandom(32)
            try:
                self._call(
                    "put_item",
                    Item={**key, "key": {"B": fresh}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                self._decoy_key = fresh
                return fresh
            except Exception as exc:
                if not _is_condition_failure(exc):
                    raise
            item = self._call("get_item", Key=key, ConsistentRead=True).get("Item")
            if item is None:
                raise StoreError("the deployment key vanished")
        self._decoy_key = bytes(item["key"]["B"])
        return self._decoy_key

    # Challenges ---------------------------------------------------------------------

    def put_challenge(self, username: str, challenge_id: str, record: ChallengeRecord) -> None:
        """Store a fresh challenge; DynamoDB's TTL removes it if it is never answered.

        The TTL lies ``CHALLENGE_TTL_GRACE_SECONDS`` past the expiry the Lambda enforces, so
        a late answer meets the record and is refused as expired (a clear reason in the
        log) rather than as unknown, whenever the table's reaper happens to run.
        """
        self._call(
            "put_item",
            Item={
                "pk": {"S": _USER + username},
                "sk": {"S": _CHALLENGE + challenge_id},
                "challenge": {"B": record.challenge},
                "kind": {"S": record.kind},
                "user_verification": {"S": record.user_verification},
                "expires_at": {"N": str(record.expires_at)},
                "ttl": {"N": str(record.expires_at + CHALLENGE_TTL_GRACE_SECONDS)},
                "decoy": {"BOOL": record.decoy},
                **({"snapshot": {"S": record.snapshot}} if record.snapshot else {}),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def take_challenge(self, username: str, challenge_id: str) -> ChallengeRecord | None:
        """Consume a challenge (conditional delete); None when unknown or already used."""
        try:
            result = self._call(
                "delete_item",
                Key={"pk": {"S": _USER + username}, "sk": {"S": _CHALLENGE + challenge_id}},
                ConditionExpression="attribute_exists(pk)",
                ReturnValues="ALL_OLD",
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                return None
            raise
        item = result.get("Attributes")
        if not item:
            return None
        return ChallengeRecord(
            challenge=bytes(item["challenge"]["B"]),
            kind=item["kind"]["S"],
            user_verification=item["user_verification"]["S"],
            expires_at=int(item["expires_at"]["N"]),
            decoy=bool(item.get("decoy", {}).get("BOOL", False)),
            snapshot=item.get("snapshot", {}).get("S"),
        )

    def _used_marker(self, username: str, challenge_id: str, expires_at: int) -> dict[str, Any]:
        """The conditional put of a sealed challenge's "used" marker: the marker alone makes
        its answer single-use, and it outlives the expiry by the grace of a stored challenge."""
        return {
            "TableName": self.table_name,
            "Item": {
                "pk": {"S": _USER + username},
                "sk": {"S": _USED + challenge_id},
                "ttl": {"N": str(expires_at + CHALLENGE_TTL_GRACE_SECONDS)},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }

    # Credentials --------------------------------------------------------------------

    def credentials(self, username: str) -> list[StoredCredential]:
        """Every passkey stored under ``username``, oldest first, whoever its ``sub``."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": _USER + username},
                    ":prefix": {"S": _CREDENTIAL},
                },
                "ConsistentRead": True,
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._call("query", **kwargs)
            items.extend(page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        credentials = [_credential_from_item(item) for item in items]
        return sorted(credentials, key=lambda c: c.created_at)

    def add_credential(self, username: str, credential: StoredCredential) -> bool:
        """Store a new passkey and its owner item in one transaction; False if a passkey with
        this id is already registered, for this user or any other."""
        if not credential.sub:
            raise ValueError("a credential is stored with the sub of its user")
        item: dict[str, Any] = {
            "pk": {"S": _USER + username},
            "sk": {"S": _credential_sk(credential.credential_id)},
            "credential_data": {"B": credential.credential_data},
            "sign_count": {"N": str(credential.sign_count)},
            "name": {"S": credential.name},
            "created_at": {"S": credential.created_at},
            "aaguid": {"S": credential.aaguid},
            "transports": {"L": [{"S": t} for t in credential.transports]},
            "sub": {"S": credential.sub},
        }
        owner = {
            **_owner_key(credential.credential_id),
            "username": {"S": username},
            "sub": {"S": credential.sub},
        }
        puts = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": it,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for it in (owner, item)
        ]
        try:
            self._call("transact_write_items", TransactItems=puts)
        except Exception as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def accept_answer(
        self,
        username: str,
        credential: StoredCredential,
        sign_count: int,
        now: str,
        used: tuple[str, int] | None = None,
    ) -> Acceptance:
        """Save the counter of an accepted answer in one request.

        The item must still hold ``credential``'s key for its ``sub`` (it may have been read
        when the challenge was issued), and ``sign_count`` must exceed the stored counter, or
        both be 0 (an authenticator without one). With ``used`` (a sealed challenge's id and
        expiry) the request is a transaction that also writes the challenge's "used" marker,
        which must be new: both happen, or neither.
        """
        condition, update, values = _counter_rule(sign_count, now)
        counter = {
            "TableName": self.table_name,
            "Key": _credential_key(username, credential.credential_id),
            "UpdateExpression": update,
            "ConditionExpression": f"credential_data = :data AND #sub = :sub AND ({condition})",
            "ExpressionAttributeNames": {"#sub": "sub"},
            "ExpressionAttributeValues": {
                **values,
                ":data": {"B": credential.credential_data},
                ":sub": {"S": credential.sub},
            },
        }
        try:
            if used is None:
                self._call("update_item", **counter)
            else:
                marker = self._used_marker(username, *used)
                self._call(
                    "transact_write_items",
                    TransactItems=[{"Update": counter}, {"Put": marker}],
                )
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
            failed = [
                isinstance(r, dict) and r.get("Code") == "ConditionalCheckFailed" for r in reasons
            ]
            if used is None or (len(failed) == 2 and not failed[1]):
                return Acceptance.CREDENTIAL_REFUSED
            return Acceptance.CHALLENGE_USED  # the marker's failure, or no per-item reasons
        return Acceptance.ACCEPTED

    def rename(
        self, username: str, credential_id: bytes, name: str, sub: str | None = None
    ) -> StoredCredential | None:
        """Rename a passkey; None if the user (of ``sub``, when given) has none with this id."""
        condition, values = _owned_by(sub)
        try:
            result = self._call(
                "update_item",
                Key=_credential_key(username, credential_id),
                UpdateExpression="SET #name = :name",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#name": "name", **_names(values)},
                ExpressionAttributeValues={":name": {"S": name}, **values},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return _credential_from_item(result["Attributes"])

    def delete(self, username: str, credential_id: bytes, sub: str | None = None) -> bool:
        """Delete a passkey and its owner item; False if the user (of ``sub``, when given) has
        no passkey with this id."""
        condition, values = _owned_by(sub)
        delete: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _credential_key(username, credential_id),
            "ConditionExpression": condition,
        }
        if values:
            delete["ExpressionAttributeValues"] = values
            delete["ExpressionAttributeNames"] = _names(values)
        owner = {  # never another user's: an id stored before owner items may be reused
            "TableName": self.table_name,
            "Key": _owner_key(credential_id),
            "ConditionExpression": "attribute_not_exists(pk) OR #username = :username",
            "ExpressionAttributeNames": {"#username": "username"},
            "ExpressionAttributeValues": {":username": {"S": username}},
        }
        try:
            self._call(
                "transact_write_items", TransactItems=[{"Delete": delete}, {"Delete": owner}]
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True


def _credential_key(username: str, credential_id: bytes) -> dict[str, Any]:
    return {"pk": {"S": _USER + username}, "sk": {"S": _credential_sk(credential_id)}}


def _counter_rule(sign_count: int, now: str) -> tuple[str, str, dict[str, Any]]:
    """Condition, update and values that save ``sign_count``: it must exceed the stored one,
    or both be 0 (an authenticator without a counter); the item must exist."""
    if sign_count == 0:
        return (
            "attribute_exists(pk) AND sign_count = :zero",
            "SET last_used_at = :now",
            {":zero": {"N": "0"}, ":now": {"S": now}},
        )
    return (
        "attribute_exists(pk) AND sign_count < :count",
        "SET sign_count = :count, last_used_at = :now",
        {":count": {"N": str(sign_count)}, ":now": {"S": now}},
    )


def _owned_by(sub: str | None) -> tuple[str, dict[str, Any]]:
    """The condition that a credential exists (and, with ``sub``, is that user's); ``#sub``
    names ``sub``, a DynamoDB reserved word."""
    if sub is None:
        return "attribute_exists(pk)", {}
    return "attribute_exists(pk) AND #sub = :sub", {":sub": {"S": sub}}


def _names(values: dict[str, Any]) -> dict[str, str]:
    return {"#sub": "sub"} if ":sub" in values else {}


def _credential_from_item(item: dict[str, Any]) -> StoredCredential:
    from fido2.utils import websafe_decode

    return StoredCredential(
        credential_id=websafe_decode(item["sk"]["S"][len(_CREDENTIAL) :]),
        credential_data=bytes(item["credential_data"]["B"]),
        sign_count=int(item["sign_count"]["N"]),
        name=item["name"]["S"],
        created_at=item["created_at"]["S"],
        last_used_at=item.get("last_used_at", {}).get("S"),
        aaguid=item.get("aaguid", {}).get("S", ""),
        transports=[t["S"] for t in item.get("transports", {}).get("L", [])],
        sub=item.get("sub", {}).get("S", ""),
    )
