"""Settings from the environment: defaults, and a clear error for each bad value."""

from __future__ import annotations

import pytest
from cognito_passkey.lambdas.config import load_settings
from cognito_passkey.lambdas.errors import ConfigError

SELFHOSTED = {
    "PASSKEY_BACKEND": "selfhosted",
    "PASSKEY_TABLE_NAME": "passkeys",
    "PASSKEY_RP_ID": "example.com",
    "PASSKEY_ALLOWED_ORIGINS": "https://example.com, android:apk-key-hash:abc ,",
}


def test_selfhosted_defaults() -> None:
    settings = load_settings(SELFHOSTED)
    assert settings.backend == "selfhosted"
    assert settings.fast_signin is True
    assert settings.rp_name == "example.com"
    assert settings.allowed_origins == ("https://example.com", "android:apk-key-hash:abc")
    assert settings.user_verification == "preferred"
    assert settings.challenge_ttl_seconds == 300


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"PASSKEY_BACKEND": ""}, "PASSKEY_BACKEND"),
        ({"PASSKEY_BACKEND": "cognito"}, "PASSKEY_BACKEND"),
        ({"PASSKEY_FAST_SIGNIN": "maybe"}, "PASSKEY_FAST_SIGNIN"),
        ({"PASSKEY_TABLE_NAME": " "}, "PASSKEY_TABLE_NAME"),
        ({"PASSKEY_RP_ID": ""}, "PASSKEY_RP_ID"),
        ({"PASSKEY_ALLOWED_ORIGINS": " , "}, "PASSKEY_ALLOWED_ORIGINS"),
        ({"PASSKEY_USER_VERIFICATION": "always"}, "PASSKEY_USER_VERIFICATION"),
        ({"PASSKEY_CHALLENGE_TTL_SECONDS": "5"}, "PASSKEY_CHALLENGE_TTL_SECONDS"),
        ({"PASSKEY_CHALLENGE_TTL_SECONDS": "-300"}, "PASSKEY_CHALLENGE_TTL_SECONDS"),
        ({"PASSKEY_CHALLENGE_TTL_SECONDS": "1e3"}, "PASSKEY_CHALLENGE_TTL_SECONDS"),
        ({"PASSKEY_USER_POOL_ID": "not-a-pool"}, "PASSKEY_USER_POOL_ID"),
    ],
)
def test_a_bad_value_names_its_variable(change: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings({**SELFHOSTED, **change})


@pytest.mark.parametrize(("text", "value"), [("false", False), ("0", False), ("TRUE", True)])
def test_fast_sign_in_flag(text: str, value: bool) -> None:
    assert load_settings({**SELFHOSTED, "PASSKEY_FAST_SIGNIN": text}).fast_signin is value


def test_management_settings() -> None:
    settings = load_settings(
        {**SELFHOSTED, "PASSKEY_USER_POOL_ID": "eu-west-1_AbC123", "PASSKEY_CLIENT_IDS": "a, b"}
    )
    assert settings.user_pool_id == "eu-west-1_AbC123"
    assert settings.client_ids == ("a", "b")
