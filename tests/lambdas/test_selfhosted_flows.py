"""Whole sign-ins through the three triggers with the self-hosted backend (real DynamoDB).

Happy paths use the project's software authenticator driven by python-fido2's client;
both dialects (3-call WebSDK, 2-call fast sign-in) and passkey registration.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from lambdas_support import (
    FAST,
    GET,
    ORIGIN,
    RP_ID,
    CognitoLoop,
    TokenMint,
    assertion_answer,
    attestation_answer,
    create_metadata,
    rejections,
    start_registration,
)


def register(authenticator: SoftAuthenticator, mint: TokenMint, username: str) -> CognitoLoop:
    loop = CognitoLoop(username)
    first = loop.start()
    assert first is not None and first["challenge"] == "AUTH_PARAMS"
    metadata = create_metadata(override_timeout_s=120)
    second = loop.respond("AUTH_PARAMS", metadata)
    assert second is not None
    options = json.loads(second["public_key"])
    assert options["timeout"] == 120_000
    credential = authenticator.create(options, origin=ORIGIN, rp_id=RP_ID)
    loop.respond(attestation_answer(credential, options, mint.id_token(username)), metadata)
    return loop


def test_register_then_sign_in_with_three_calls(selfhosted: Any, mint: TokenMint) -> None:
    authenticator = SoftAuthenticator()
    assert register(authenticator, mint, "alice").outcome == "tokens"

    loop = CognitoLoop("alice")
    first = loop.start()
    assert first is not None and first["challenge"] == "AUTH_PARAMS"
    second = loop.respond("AUTH_PARAMS", GET)
    assert second is not None and set(second) == {"public_key"}
    options = json.loads(second["public_key"])
    assert options["rpId"] == RP_ID and len(options["allowCredentials"]) == 1
    response = authenticator.get(options, origin=ORIGIN, rp_id=RP_ID)
    assert loop.respond(assertion_answer(response, options), GET) is None
    assert loop.outcome == "tokens"
    assert len(loop.session) == 2


def test_fast_sign_in_takes_two_calls(selfhosted: Any, mint: TokenMint) -> None:
    authenticator = SoftAuthenticator()
    register(authenticator, mint, "bob")
    loop = CognitoLoop("bob")
    first = loop.start()
    assert first is not None and set(first) == {"challenge", "public_key"}
    options = json.loads(first["public_key"])
    response = authenticator.get(options, origin=ORIGIN, rp_id=RP_ID)
    assert loop.respond(assertion_answer(response, options), FAST) is None
    assert loop.outcome == "tokens"
    assert len(loop.session) == 1


def test_a_three_call_client_ignores_the_fast_options(selfhosted: Any, mint: TokenMint) -> None:
    authenticator = SoftAuthenticator()
    register(authenticator, mint, "carol")
    loop = CognitoLoop("carol")
    assert "public_key" in (loop.start() or {})
    second = loop.respond("AUTH_PARAMS", GET)
    assert second is not None and loop.outcome == "challenge"
    options = json.loads(second["public_key"])
    loop.respond(
        assertion_answer(authenticator.get(options, origin=ORIGIN, rp_id=RP_ID), options), GET
    )
    assert loop.outcome == "tokens"


def test_fast_sign_in_off_gives_the_original_round_one(
    selfhosted: Any, lambda_env: pytest.MonkeyPatch
) -> None:
    lambda_env.setenv("PASSKEY_FAST_SIGNIN", "false")
    from cognito_passkey.lambdas import container

    container.reset()
    loop = CognitoLoop("dave")
    assert loop.start() == {"challenge": "AUTH_PARAMS"}


def test_a_wrong_passkey_ends_the_sign_in_at_once(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    register(SoftAuthenticator(), mint, "erin")
    stranger = SoftAuthenticator()  # holds no passkey of erin's
    register(stranger, mint, "frank")
    loop = CognitoLoop("erin")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    frank_options = dict(options, allowCredentials=[])
    wrong = stranger.get(frank_options, origin=ORIGIN, rp_id=RP_ID)
    assert loop.respond(assertion_answer(wrong, options), GET) is None
    assert loop.outcome == "failed"
    assert "unknown_credential" in rejections(capsys.readouterr().out)


def test_a_wrong_fast_assertion_fails_without_a_second_round(
    selfhosted: Any, mint: TokenMint
) -> None:
    register(SoftAuthenticator(), mint, "gina")
    stranger = SoftAuthenticator()
    register(stranger, mint, "hank")
    loop = CognitoLoop("gina")
    options = json.loads((loop.start() or {})["public_key"])
    wrong = stranger.get(dict(options, allowCredentials=[]), origin=ORIGIN, rp_id=RP_ID)
    assert loop.respond(assertion_answer(wrong, options), FAST) is None
    assert loop.outcome == "failed"


def _shape(options: dict[str, Any]) -> tuple[Any, ...]:
    return (
        sorted(options),
        options.get("rpId"),
        options.get("userVerification"),
        options.get("timeout"),
        len(options["challenge"]),
        [sorted(c) for c in options["allowCredentials"]],
    )


def test_unknown_users_and_users_without_passkeys_get_believable_stable_options(
    selfhosted: Any, mint: TokenMint
) -> None:
    register(SoftAuthenticator(), mint, "ivan")
    real = json.loads((CognitoLoop("ivan").start() or {})["public_key"])
    for username, not_found in (("nobody", True), ("judy", False)):
        seen = []
        for _ in range(2):
            loop = CognitoLoop(username, user_not_found=not_found)
            first = loop.start()
            assert first is not None and set(first) == {"challenge", "public_key"}
            fast = json.loads(first["public_key"])
            second = loop.respond("AUTH_PARAMS", GET)
            assert second is not None and loop.outcome == "challenge"
            options = json.loads(second["public_key"])
            assert _shape(options)[:5] == _shape(real)[:5]
            assert options["allowCredentials"] and all(
                set(c) == {"type", "id", "transports"} for c in options["allowCredentials"]
            )
            assert fast["allowCredentials"] == options["allowCredentials"]
            seen.append(options["allowCredentials"])
            attacker = SoftAuthenticator()
            register(attacker, mint, f"{username}-attacker")
            forged = attacker.get(dict(options, allowCredentials=[]), origin=ORIGIN, rp_id=RP_ID)
            loop.respond(assertion_answer(forged, options), GET)
            assert loop.outcome == "failed"
        assert seen[0] == seen[1]  # stable per user name


def test_decoys_differ_between_user_names(selfhosted: Any) -> None:
    first = json.loads((CognitoLoop("nobody-1", user_not_found=True).start() or {})["public_key"])
    second = json.loads((CognitoLoop("nobody-2", user_not_found=True).start() or {})["public_key"])
    assert first["allowCredentials"] != second["allowCredentials"]


def test_an_unknown_user_cannot_register(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("ghost", user_not_found=True)
    options = start_registration(loop)
    assert options["user"]["name"] == "ghost"
    credential = SoftAuthenticator().create(options, origin=ORIGIN, rp_id=RP_ID)
    loop.respond(attestation_answer(credential, options, mint.id_token("ghost")), create_metadata())
    assert loop.outcome == "failed"


def test_registration_excludes_existing_passkeys_and_asks_for_a_resident_key(
    selfhosted: Any, mint: TokenMint
) -> None:
    register(SoftAuthenticator(), mint, "kate")
    loop = CognitoLoop("kate")
    loop.start()
    # the user's own details (display name) only for a caller whose early ID token verified
    metadata = {**create_metadata(require_usernameless=True), "id_token": mint.id_token("kate")}
    options = json.loads((loop.respond("AUTH_PARAMS", metadata) or {})["public_key"])
    assert len(options["excludeCredentials"]) == 1
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["rp"] == {"name": "Example App", "id": RP_ID}
    assert options["user"]["displayName"] == "kate@example.com"
