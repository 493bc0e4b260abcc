"""The CUSTOM_AUTH exchange of LoginID's WebSDK, in both dialects.

Round 1 is ``{"challenge": "AUTH_PARAMS"}``. The original (3-call) dialect
answers it with the literal ``AUTH_PARAMS`` plus ClientMetadata naming the
ceremony, and gets the WebAuthn options in round 2. The 2-call dialect puts the
request options in round 1 already (``public_key``); a sign-in answers them at
once with ``fast_signin: "true"``. The dialect is read from the first challenge,
so one client talks to either kind of trigger (docs/protocol.md, "The custom-auth
dialects").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cognito_passkey.client.cognito import CognitoApi
from cognito_passkey.client.errors import (
    NotAuthorizedError,
    PasskeyRefusedError,
    ProtocolError,
    UnexpectedChallengeError,
)
from cognito_passkey.client.tokens import Tokens
from cognito_passkey.protocol import dialect

Ceremony = Callable[[dict[str, Any]], dict[str, Any]]
"""Runs the authenticator on WebAuthn options, returns the credential JSON."""

SIGN_IN_REFUSED = (
    "the passkey was refused (its signature counter may be behind the server's: a copied "
    "store?); otherwise it was deleted on the server or belongs to another user or site"
)
REGISTRATION_REFUSED = (
    "the new passkey was refused by the server (the sign-in behind the ID token may be too "
    "old or signed out: sign in again; or the authenticator's attestation is not accepted)"
)


def parse_options(public_key: str) -> dict[str, Any]:
    """The WebAuthn options in a ``public_key`` challenge parameter (a JSON string)."""
    try:
        options = json.loads(public_key)
    except ValueError as exc:
        raise ProtocolError("the challenge's public_key is not JSON") from exc
    if not isinstance(options, dict):
        raise ProtocolError("the challenge's public_key is not a JSON object")
    inner = dialect.webauthn_options(options)
    if not isinstance(inner.get("challenge"), str):
        raise ProtocolError("the challenge's public_key has no challenge")
    return inner


def assertion_answer(options: Mapping[str, Any], credential: Mapping[str, Any]) -> str:
    """The FIDO2_GET answer: ``{"assertion_response": {challenge, id, type, response}}``."""
    return _answer(dialect.ANSWER_ASSERTION, options, credential, userhandle=True)


def attestation_answer(
    options: Mapping[str, Any], credential: Mapping[str, Any], id_token: str
) -> str:
    """The FIDO2_CREATE answer: the attestation plus the user's ID token."""
    return _answer(
        dialect.ANSWER_ATTESTATION, options, credential, extra={dialect.ANSWER_ID_TOKEN: id_token}
    )


def _answer(
    key: str,
    options: Mapping[str, Any],
    credential: Mapping[str, Any],
    *,
    userhandle: bool = False,
    extra: Mapping[str, str] | None = None,
) -> str:
    response = credential.get("response")
    if not isinstance(response, Mapping):
        raise ProtocolError("the authenticator returned no response object")
    raw_id = credential.get("rawId") or credential.get("id")
    body: dict[str, Any] = {
        "challenge": options["challenge"],
        "id": raw_id,
        "rawId": raw_id,
        "type": "public-key",
        "response": dict(response),
    }
    if userhandle:
        body["response"].setdefault("userHandle", None)
    for optional in ("clientExtensionResults", "authenticatorAttachment"):
        if optional in credential:
            body[optional] = credential[optional]
    answer = json.dumps({key: body, **(extra or {})}, separators=(",", ":"))
    if len(answer.encode("utf-8")) > dialect.MAX_ANSWER_BYTES:
        raise ProtocolError(
            f"the answer is {len(answer)} bytes, over the triggers' limit of "
            f"{dialect.MAX_ANSWER_BYTES}"
        )
    return answer


def sign_in(
    api: CognitoApi, username: str, *, get_assertion: Ceremony, fast_signin: bool = True
) -> Tokens:
    """Sign ``username`` in with a passkey; ``get_assertion`` runs the authenticator."""
    metadata = {dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET}

    def answer(options: dict[str, Any]) -> str:
        return assertion_answer(options, get_assertion(options))

    return _run(
        api,
        username,
        metadata,
        answer,
        fast_answer=answer if fast_signin else None,
        refused=SIGN_IN_REFUSED,
    )


def add_passkey(
    api: CognitoApi,
    username: str,
    id_token: str,
    *,
    make_credential: Ceremony,
    attestation_options: Mapping[str, Any] | None = None,
    access_token: str | None = None,
) -> Tokens:
    """Register a new passkey for ``username`` (signed in: ``id_token``); also a sign-in.

    ``access_token``, when given, goes in the ClientMetadata as proof the triggers have
    Cognito confirm (revoked or signed-out tokens fail); the WebSDK sends only the ID token.
    """
    metadata = {
        dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_CREATE,
        dialect.META_ATTESTATION_OPTIONS: json.dumps(dict(attestation_options or {})),
        # Lets the Create trigger refuse a registration before it asks the backend anything;
        # the answer carries the token too (the original dialect reads it only there).
        dialect.META_ID_TOKEN: id_token,
    }
    if access_token:
        metadata[dialect.META_ACCESS_TOKEN] = access_token

    def answer(options: dict[str, Any]) -> str:
        return attestation_answer(options, make_credential(options), id_token)

    return _run(api, username, metadata, answer, fast_answer=None, refused=REGISTRATION_REFUSED)


def _run(
    api: CognitoApi,
    username: str,
    metadata: dict[str, str],
    answer: Callable[[dict[str, Any]], str],
    *,
    fast_answer: Callable[[dict[str, Any]], str] | None,
    refused: str,
) -> Tokens:
    started = _now()
    response = api.call(
        "initiate_auth",
        AuthFlow="CUSTOM_AUTH",
        ClientId=api.client_id,
        AuthParameters=api.with_secret_hash(username, {"USERNAME": username}),
    )
    for round_number in range(1, dialect.MAX_ROUNDS + 2):
        result = response.get("AuthenticationResult")
        if result:
            return Tokens.from_authentication_result(result, now=started)
        name = response.get("ChallengeName")
        if name != dialect.CUSTOM_CHALLENGE:
            raise UnexpectedChallengeError(
                f"Cognito asked for the {name or 'unknown'} challenge; this client answers only "
                "CUSTOM_CHALLENGE (is the app client's custom auth flow wired to the triggers?)"
            )
        if round_number > dialect.MAX_ROUNDS:
            break
        params: Mapping[str, str] = response.get("ChallengeParameters") or {}
        session = response.get("Session")
        if not session:
            raise ProtocolError("Cognito's challenge carries no session")
        challenge_user = params.get("USERNAME") or username
        public_key = params.get(dialect.PARAM_PUBLIC_KEY)
        round_metadata = dict(metadata)
        if round_number == 1 and params.get(dialect.PARAM_CHALLENGE) == dialect.AUTH_PARAMS:
            if public_key and fast_answer is not None:
                text = fast_answer(parse_options(public_key))
                round_metadata[dialect.META_FAST_SIGNIN] = "true"
            else:
                text = dialect.AUTH_PARAMS
        elif public_key:
            text = answer(parse_options(public_key))
        else:
            raise ProtocolError(
                "the challenge carries neither AUTH_PARAMS nor public_key options: "
                "the triggers do not speak this dialect"
            )
        started = _now()
        try:
            response = api.call(
                "respond_to_auth_challenge",
                ClientId=api.client_id,
                ChallengeName=dialect.CUSTOM_CHALLENGE,
                Session=session,
                ChallengeResponses=api.with_secret_hash(
                    challenge_user, {"USERNAME": challenge_user, "ANSWER": text}
                ),
                ClientMetadata=round_metadata,
            )
        except NotAuthorizedError as exc:
            if text == dialect.AUTH_PARAMS or isinstance(exc, PasskeyRefusedError):
                raise
            # Cognito's wording is its password one; the triggers never say why (no oracle).
            raise PasskeyRefusedError(refused) from exc
    raise ProtocolError(f"Cognito asked for more than {dialect.MAX_ROUNDS} challenge rounds")


def _now() -> float:
    import time

    return time.time()
