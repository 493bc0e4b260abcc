"""Origin / RP ID rules: the browser's rule for URL origins, app origins on request."""

from __future__ import annotations

import pytest
from cognito_passkey.authenticator.errors import OriginError
from cognito_passkey.authenticator.origins import (
    check_origin,
    default_origin,
    is_url_origin,
    rp_id_verifier,
)


def test_default_origin_is_https_on_the_rp_id() -> None:
    assert default_origin("example.com") == "https://example.com"


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [
        ("https://example.com", "example.com"),
        ("https://login.example.com", "example.com"),
        ("https://a.b.example.com:8443", "example.com"),
        ("https://EXAMPLE.com", "example.com"),
        ("https://login.example.com", "login.example.com"),
        ("http://localhost:3000", "localhost"),
        ("http://app.localhost", "localhost"),
        ("https://127.0.0.1:8443", "127.0.0.1"),
    ],
)
def test_browser_rule_accepts(origin: str, rp_id: str) -> None:
    check_origin(origin, rp_id)
    assert rp_id_verifier()(rp_id, origin) is True


@pytest.mark.parametrize(
    ("origin", "rp_id", "fragment"),
    [
        ("http://example.com", "example.com", "must use https"),
        ("https://example.org", "example.com", "subdomain"),
        ("https://notexample.com", "example.com", "subdomain"),
        ("https://example.com", "login.example.com", "subdomain"),
        ("https://example.co.uk", "co.uk", "subdomain"),  # public suffix
        ("https://example.com/path", "example.com", "no path"),
        ("https://user@example.com", "example.com", "no path"),
        ("ftp://example.com", "example.com", "must use https"),
        ("https://", "example.com", "no host"),
        ("https://example.com:notaport", "example.com", "not a valid URL"),
        ("", "example.com", "empty"),
        (" https://example.com", "example.com", "whitespace"),
        ("https://example.com", "https://example.com", "not a domain"),
        ("https://10.0.0.1", "0.0.1", "subdomain"),
    ],
)
def test_browser_rule_rejects_with_a_reason(origin: str, rp_id: str, fragment: str) -> None:
    with pytest.raises(OriginError, match=fragment):
        check_origin(origin, rp_id)
    assert rp_id_verifier(allow_app_origin=True)(rp_id, origin) is False


@pytest.mark.parametrize(
    "origin",
    [
        "android:apk-key-hash:Fv0kjsqVtIxdW2FpJl1w3qDqQnCGXq0o9bT3m4ZmPkE",
        "ios:bundle-id:com.example.app",
        "my desktop app",
    ],
)
def test_app_origins_only_when_allowed(origin: str) -> None:
    assert not is_url_origin(origin)
    with pytest.raises(OriginError, match="allow_app_origin=True"):
        check_origin(origin, "example.com")
    check_origin(origin, "example.com", allow_app_origin=True)
    assert rp_id_verifier(allow_app_origin=True)("example.com", origin) is True
    assert rp_id_verifier()("example.com", origin) is False


def test_allowing_app_origins_does_not_loosen_url_origins() -> None:
    with pytest.raises(OriginError):
        check_origin("https://evil.example.net", "example.com", allow_app_origin=True)


def test_a_pair_that_passed_is_remembered_and_a_failing_one_raises_every_time() -> None:
    from cognito_passkey.authenticator import origins

    origins.check_origin("https://remembered.example.org", "example.org")
    hits = origins._check_origin.cache_info().hits
    origins.check_origin("https://remembered.example.org", "example.org")
    assert origins._check_origin.cache_info().hits == hits + 1
    for _ in range(2):
        with pytest.raises(OriginError, match="may not use RP ID"):
            origins.check_origin("https://remembered.example.org", "example.net")
    with pytest.raises(OriginError, match="not an https URL"):
        origins.check_origin("ios:bundle-id:x", "example.org")
    origins.check_origin("ios:bundle-id:x", "example.org", allow_app_origin=True)
