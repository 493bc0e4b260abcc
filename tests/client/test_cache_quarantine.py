"""A damaged token-cache file is moved aside once (kept, 0600, named in one warning), so
the commands after it are quiet; another pool's damaged entry too."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cache import TokenCache

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey

DAMAGED = [b"{not json", b"[]", b'{"version": 1, "tokens": {}}', b"\xff\xfe"]


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


def quarantined(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


@pytest.mark.parametrize("content", DAMAGED)
def test_a_damaged_file_is_moved_aside_once(offline: Offline, content: bytes) -> None:
    said: list[str] = []
    cache = TokenCache(warn=said.append)
    path = cache.save(offline.key(), offline.username, offline.tokens())
    path.write_bytes(content)
    assert cache.load(offline.key(), offline.username) is None
    (aside,) = quarantined(path)
    assert not path.exists()
    assert aside.read_bytes() == content  # kept as it was, for whoever wants to look
    assert stat.S_IMODE(aside.stat().st_mode) == 0o600
    assert said == [f"damaged token cache {path} moved aside to {aside}; it will be replaced"]
    assert cache.load(offline.key(), offline.username) is None
    assert TokenCache(warn=said.append).load(offline.key(), offline.username) is None
    assert len(said) == 1  # the next command is silent
    cache.save(offline.key(), offline.username, offline.tokens())
    assert cache.load(offline.key(), offline.username) is not None
    assert quarantined(path) == [aside]


def test_an_earlier_quarantined_copy_is_never_overwritten(
    offline: Offline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "strftime", lambda *_args: "20260101T000000Z")
    cache = TokenCache(warn=lambda _message: None)
    path = cache.path_for(offline.key(), offline.username)
    for content in (b"first", b"second"):
        cache.save(offline.key(), offline.username, offline.tokens())
        path.write_bytes(content)
        cache.load(offline.key(), offline.username)
    assert [p.read_bytes() for p in quarantined(path)] == [b"first", b"second"]
    assert [p.name[len(path.name) :] for p in quarantined(path)] == [
        ".corrupt-20260101T000000Z",
        ".corrupt-20260101T000000Z-1",
    ]


def test_the_cli_warns_once_then_is_quiet(offline: Offline) -> None:
    offline.signed_in()
    path = TokenCache().path_for(offline.key(), offline.username)
    path.write_bytes(b"{not json")
    first = offline.run("token", offline.username, "--cached-only")
    assert first.exit_code == exit_codes.AUTH_FAILED
    (aside,) = quarantined(path)
    assert f"moved aside to {aside}" in first.stderr
    second = offline.run("token", offline.username, "--cached-only")
    assert second.exit_code == exit_codes.AUTH_FAILED
    assert second.stderr.startswith("error: no valid cached token") and "warning" not in (
        second.stderr
    )
