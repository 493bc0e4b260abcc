"""Profiles on disk and the flag > environment > profile rule."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from cognito_passkey.client import config
from cognito_passkey.client.errors import ConfigurationError

POOL = "eu-west-1_AbC123"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.ini"


def test_write_then_load_round_trips_and_is_private(path: Path) -> None:
    written = config.write_profile(
        "default", {"user_pool_id": POOL, "client_id": "abc", "client_secret": "s3"}, path=path
    )
    assert written == path
    assert config.load_profile("default", path=path) == {
        "user_pool_id": POOL,
        "client_id": "abc",
        "client_secret": "s3",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_other_profiles_are_kept_and_replace_is_the_default(path: Path) -> None:
    config.write_profile("a", {"client_id": "one", "rp_id": "example.com"}, path=path)
    config.write_profile("b", {"client_id": "two"}, path=path)
    config.write_profile("a", {"client_id": "three"}, path=path)
    assert config.load_profile("a", path=path) == {"client_id": "three"}
    assert config.load_profile("b", path=path) == {"client_id": "two"}
    assert config.list_profiles(path=path) == ["b", "a"]


def test_merge_updates_and_empty_value_removes(path: Path) -> None:
    config.write_profile("p", {"client_id": "one", "rp_id": "example.com"}, path=path)
    config.write_profile("p", {"client_id": "two", "rp_id": ""}, path=path, merge=True)
    assert config.load_profile("p", path=path) == {"client_id": "two"}


def test_missing_file_or_profile_is_empty(path: Path) -> None:
    assert config.load_profile("default", path=path) == {}
    config.write_profile("x", {"client_id": "c"}, path=path)
    assert config.load_profile("default", path=path) == {}


def test_env_variable_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.ini"
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(target))
    config.write_profile("default", {"client_id": "c"}, path=None)
    assert target.exists()
    assert config.load_profile("default") == {"client_id": "c"}


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"nope": "x"}, "unknown profile key"),
        ({"user_pool_id": "not-a-pool"}, "malformed"),
        ({"region": "Mars"}, "region"),
        ({"endpoint_url": "ftp://x"}, "http(s) URL"),
        ({"management_url": "localhost:4566"}, "http(s) URL"),
        ({"authenticator": "bluetooth"}, "usb"),
        ({"client_id": "a\nb"}, "single line"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(
    path: Path, settings: dict[str, str], fragment: str
) -> None:
    config.write_profile("default", {"client_id": "keep"}, path=path)
    before = path.read_bytes()
    with pytest.raises(ConfigurationError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        config.write_profile("default", settings, path=path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["", "a b", "../x", "x" * 65, "[x]"])
def test_bad_profile_names_are_refused(path: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="profile name"):
        config.write_profile(name, {"client_id": "c"}, path=path)


def test_malformed_file_is_a_clear_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("this is not ini\n")
    with pytest.raises(ConfigurationError, match="malformed"):
        config.load_profile("default", path=path)


def test_percent_signs_are_kept_literally(path: Path) -> None:
    config.write_profile("default", {"client_secret": "a%b%%c"}, path=path)
    assert config.load_profile("default", path=path)["client_secret"] == "a%b%%c"


def test_flag_beats_env_beats_profile(path: Path) -> None:
    config.write_profile(
        "default",
        {"user_pool_id": POOL, "client_id": "from-profile", "rp_id": "profile.example"},
        path=path,
    )
    env = {
        "COGNITO_PASSKEY_CLIENT_ID": "from-env",
        "COGNITO_PASSKEY_RP_ID": "env.example",
    }
    settings = config.resolve({"client_id": "from-flag"}, env=env, path=path)
    assert settings.client_id == "from-flag"
    assert settings.rp_id == "env.example"
    assert settings.user_pool_id == POOL
    assert settings.region == "eu-west-1"
    unset = config.resolve({"client_id": None}, env={}, path=path)
    assert unset.client_id == "from-profile"


def test_profile_flag_beats_profile_env(path: Path) -> None:
    config.write_profile("dev", {"client_id": "dev"}, path=path)
    config.write_profile("prod", {"client_id": "prod"}, path=path)
    env = {"COGNITO_PASSKEY_PROFILE": "prod"}
    assert config.resolve(env=env, path=path).client_id == "prod"
    assert config.resolve(profile="dev", env=env, path=path).client_id == "dev"
    assert config.resolve(env={}, path=path).profile == "default"


def test_region_from_pool_id_and_explicit_region() -> None:
    assert config.region_from_pool_id("us-gov-west-1_x1") == "us-gov-west-1"
    with pytest.raises(ConfigurationError):
        config.region_from_pool_id("pool")
    explicit = config.resolve({"user_pool_id": POOL, "region": "us-east-1"}, env={}, path="/nx")
    assert explicit.region == "us-east-1"


def test_require_pool_names_what_is_missing() -> None:
    settings = config.resolve({}, env={}, path="/nonexistent/config.ini")
    with pytest.raises(ConfigurationError, match="user_pool_id, client_id"):
        settings.require_pool()


def test_secret_is_not_in_repr(path: Path) -> None:
    settings = config.resolve({"client_secret": "topsecret"}, env={}, path=path)
    assert "topsecret" not in repr(settings)


def test_concurrent_writers_lose_nothing(path: Path) -> None:
    def writer(index: int) -> None:
        config.write_profile(f"p{index}", {"client_id": str(index)}, path=path)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(config.list_profiles(path=path)) == sorted(f"p{i}" for i in range(8))
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]
