"""Options parsing: wrappers, missing rpId, unknown values dropped, clear errors."""

from __future__ import annotations

from typing import Any

import pytest
from cognito_passkey.authenticator.errors import InvalidOptionsError
from cognito_passkey.authenticator.webauthn_json import (
    parse_creation_options,
    parse_request_options,
    plain_json,
)
from fido2.webauthn import PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions


def creation(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "rp": {"name": "Example"},
        "user": {"id": "dXNlci0x", "name": "alice", "displayName": "Alice"},
        "challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS0xMjM0NTY3OA",
        "pubKeyCredParams": [
            {"type": "public-key", "alg": -7},
            {"type": "future-type", "alg": -8},
        ],
        "timeout": 60000,
        "excludeCredentials": [
            {"type": "public-key", "id": "AAEC", "transports": ["usb", "smoke-signal"]}
        ],
    }
    options.update(changes)
    return options


def test_creation_fills_rp_id_and_drops_unknowns() -> None:
    parsed = parse_creation_options({"publicKey": creation()}, rp_id="example.com")
    options = parsed.fido2_options
    assert isinstance(options, PublicKeyCredentialCreationOptions)
    assert parsed.rp_id == "example.com"
    assert options.rp.id == "example.com"
    assert [p.alg for p in options.pub_key_cred_params] == [-7]
    assert options.exclude_credentials is not None
    assert options.exclude_credentials[0].id == b"\x00\x01\x02"
    assert options.exclude_credentials[0].transports == ["usb"]
    assert parsed.timeout_ms == 60000
    assert options.timeout is None  # the client's own timer enforces it


def test_options_rp_id_wins_over_the_fallback() -> None:
    parsed = parse_creation_options(
        creation(rp={"id": "login.example.com", "name": "X"}), rp_id="example.com"
    )
    assert parsed.rp_id == "login.example.com"
    request = parse_request_options(
        {"challenge": "AAAA", "rpId": "login.example.com"}, rp_id="example.com"
    )
    assert request.rp_id == "login.example.com"


def test_request_options() -> None:
    parsed = parse_request_options(
        {
            "publicKey": {
                "challenge": "AAAA",
                "allowCredentials": [{"type": "public-key", "id": "AQID"}],
                "userVerification": "required",
                "timeout": "soon",
                "hints": ["security-key", "carrier-pigeon"],
            }
        },
        rp_id="example.com",
    )
    options = parsed.fido2_options
    assert isinstance(options, PublicKeyCredentialRequestOptions)
    assert options.rp_id == "example.com"
    assert options.allow_credentials is not None
    assert options.allow_credentials[0].id == b"\x01\x02\x03"
    assert parsed.timeout_ms is None
    assert options.hints == ["security-key"]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"rpId": "example.com"}, "challenge"),
        ({"challenge": "AAAA"}, "pass rp_id"),
        ({"challenge": "AAAA", "rpId": ""}, "non-empty"),
        ({"challenge": "AAAA", "rpId": "x.com", "allowCredentials": "AQID"}, "must be a list"),
        ({"challenge": "AAAA", "rpId": "x.com", "allowCredentials": [{}]}, "'id'"),
        ({"challenge": "!!!", "rpId": "x.com"}, "not base64url"),
        ({"challenge": "AAAA", "rpId": "x.com", "allowCredentials": [{"id": "a+b/"}]}, "base64url"),
    ],
)
def test_request_errors(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidOptionsError, match=fragment):
        parse_request_options(options, rp_id=None)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"rp": "Example"}, "'rp' object"),
        ({"user": {"name": "alice"}}, "'user' object"),
        ({"user": {"id": "a b"}}, "user.id"),
        ({"rp": {"name": "x", "id": 5}}, "non-empty string"),
        ({"pubKeyCredParams": [{"type": "x", "alg": -7}]}, "no public-key algorithm"),
        ({"pubKeyCredParams": None}, "pubKeyCredParams"),
    ],
)
def test_creation_errors(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidOptionsError, match=fragment):
        parse_creation_options(creation(**changes), rp_id="example.com")


def test_not_a_mapping() -> None:
    with pytest.raises(InvalidOptionsError, match="JSON object"):
        parse_request_options(["challenge"], rp_id="example.com")  # type: ignore[arg-type]


def test_plain_json_strips_enums() -> None:
    from fido2.webauthn import AuthenticatorAttachment

    value = plain_json({"a": AuthenticatorAttachment.CROSS_PLATFORM, "b": (1, 2)})
    assert value == {"a": "cross-platform", "b": [1, 2]}
    assert type(value["a"]) is str
