"""A cache the OS will not let us write (or read) costs a warning, never the sign-in.

The tests run as root, whom no chmod stops, so the cache is made unusable in ways root
feels too: its directory's parent is a regular file (ENOTDIR), or the entry's path is a
directory (EISDIR). The security checks (a directory others may write) still fail closed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cache import TokenCache
from cognito_passkey.client.setting_names import NO_CACHE_ENV

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        setup = offline_setup(cognito, signing_key, tmp_path)
        setup.enrol()
        yield setup


def _sign_in(offline: Offline, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    tokens = offline.tokens()
    offline.cognito.challenge()
    offline.cognito.signed_in(tokens)
    result = offline.run("sign-in", offline.username, "-o", "token", *args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == tokens.id_token
    return result.stdout, result.stderr


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_a_cache_under_a_file_keeps_the_sign_in(
    offline: Offline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache's parent should be")
    monkeypatch.setenv("COGNITO_PASSKEY_CACHE_DIR", str(blocker / "tokens"))
    _, stderr = _sign_in(offline)
    (warning,) = _warnings(stderr)
    assert warning.startswith("warning: could not cache the tokens: ")
    assert str(blocker / "tokens") in warning and "Not a directory" in warning
    assert warning.endswith("use --no-cache to skip the cache")
    assert f"Signed in as {offline.username} (passkey)" in stderr
    assert blocker.read_text().startswith("a file")  # nothing was lost or replaced


def test_an_entry_that_cannot_be_written_or_read_is_a_warning(offline: Offline) -> None:
    entry = TokenCache().path_for(offline.key(), offline.username)
    entry.mkdir(parents=True)  # the cache dir exists and is ours; its entry is a directory
    os.chmod(entry.parent, 0o700)
    _, stderr = _sign_in(offline)
    warnings = _warnings(stderr)
    assert len(warnings) == 2, stderr
    assert "unreadable token cache" in warnings[0] and "Is a directory" in warnings[0]
    assert warnings[1].startswith("warning: could not cache the tokens: ")
    assert entry.is_dir()


def test_no_cache_reads_and_writes_nothing(offline: Offline, tmp_path: Path) -> None:
    offline.signed_in()  # a valid cached sign-in that --no-cache must not use
    cache_dir = TokenCache().directory
    before = sorted(cache_dir.iterdir())
    _, stderr = _sign_in(offline, "--no-cache")
    assert "(passkey)" in stderr and _warnings(stderr) == []
    _, stderr = _sign_in(offline, env={"COGNITO_PASSKEY_NO_CACHE": "1"})
    assert "(passkey)" in stderr
    assert sorted(cache_dir.iterdir()) == before
    assert NO_CACHE_ENV == "COGNITO_PASSKEY_NO_CACHE"  # the one name the flag and the cache read


def test_no_cache_with_cached_only_is_a_usage_error(offline: Offline) -> None:
    result = offline.run("token", offline.username, "--cached-only", "--no-cache")
    assert result.exit_code == exit_codes.USAGE
    assert result.stderr.strip() == "error: --cached-only needs the cache: drop --no-cache"


def test_the_write_warning_is_given_once(tmp_path: Path, offline: Offline) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    said: list[str] = []
    cache = TokenCache(blocker / "tokens", warn=said.append)
    for _ in range(3):
        cache.save(offline.key(), offline.username, offline.tokens())
    assert len(said) == 1 and "could not cache the tokens" in said[0]
    assert cache.load(offline.key(), offline.username) is None


def test_an_unsafe_cache_still_fails_closed(offline: Offline) -> None:
    cache_dir = TokenCache().directory
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(cache_dir, 0o777)  # noqa: S103 - the unsafe directory under test
    result = offline.run("sign-in", offline.username, "-o", "token")
    assert result.exit_code == exit_codes.CONFIG
    assert result.stdout == "" and "chmod 700" in result.stderr
