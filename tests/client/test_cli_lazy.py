"""The CLI loads only what a run needs: ``--help`` lists every command without importing
any command module, and a cache-hit ``token`` imports neither the exchange nor boto3, fido2
or pyjwt. Each listed line is the first line of the command's own docstring."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.cli import COMMANDS, cli
from cognito_passkey.client.cli_support import _load_lazy
from cognito_passkey.client.config import write_profile
from cognito_passkey.client.tokens import Tokens

from .test_unverified_claims import KEY

PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: print(*sorted(sys.modules), sep='\\n', file=sys.stderr))\n"
    "from cognito_passkey.client.cli import main; main()"
)


def modules_of(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout, set(done.stderr.split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_line_is_the_first_line_of_the_commands_docstring(name: str) -> None:
    command = _load_lazy(name, *COMMANDS[name])
    assert command.help is not None
    first = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
    assert COMMANDS[name][1] == first


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    code, out, modules = modules_of("--help")
    assert code == 0
    for name, (_target, line) in COMMANDS.items():
        assert name in out
        assert line.split()[0] in out
    loaded = sorted(m for m in modules if m.startswith("cognito_passkey.client.commands."))
    assert loaded == []
    assert "cognito_passkey.local.cli" not in modules


def test_a_subcommand_is_found_and_run_through_the_lazy_table() -> None:
    ctx = click.Context(cli)
    assert sorted(cli.list_commands(ctx)) == sorted(COMMANDS)
    command = cli.get_command(ctx, "token")
    assert command is not None and command.name == "token"


def _cached_sign_in(tmp_path: Path) -> tuple[dict[str, str], str]:
    """A profile ``lazy`` and a valid cached sign-in of ``lea``: the environment, the ID token."""
    import os

    import jwt

    env = {
        **os.environ,
        "COGNITO_PASSKEY_CONFIG": str(tmp_path / "config.ini"),
        "COGNITO_PASSKEY_CACHE_DIR": str(tmp_path / "cache"),
    }
    pool, client_id = "us-east-1_Lazy12345", "lazyclient123456789"
    write_profile(
        "lazy", {"user_pool_id": pool, "client_id": client_id}, path=tmp_path / "config.ini"
    )
    expires = int(time.time()) + 3600
    common = {
        "cognito:username": "lea",
        "exp": expires,
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
    }
    id_token = jwt.encode({**common, "token_use": "id", "aud": client_id}, KEY, algorithm="RS256")
    access = jwt.encode(
        {**common, "token_use": "access", "client_id": client_id, "username": "lea"},
        KEY,
        algorithm="RS256",
    )
    key = CacheKey(profile="lazy", user_pool_id=pool, client_id=client_id)
    TokenCache(tmp_path / "cache").save(key, "lea", Tokens(id_token, access, "r", expires))

    return env, id_token


def test_a_cache_hit_token_imports_no_exchange_boto3_fido2_or_pyjwt(tmp_path: Path) -> None:
    env, id_token = _cached_sign_in(tmp_path)
    code, out, modules = modules_of("token", "lea", "--profile", "lazy", env=env)
    assert code == 0
    assert out.strip() == id_token
    heavy = sorted(
        m
        for m in modules
        if m.split(".")[0] in ("boto3", "botocore", "fido2", "jwt", "cryptography")
        or m
        in (
            "cognito_passkey.client.passkey_client",
            "cognito_passkey.client.exchange",
            "cognito_passkey.client.commands.registration",
        )
    )
    assert heavy == []


def test_a_cache_hit_token_imports_neither_click_nor_openssl_nor_base64(tmp_path: Path) -> None:
    """The fast path answers it before click loads; the cache's file name is hashed without
    OpenSSL's libcrypto, and the claims are read without the base64 module."""
    env, id_token = _cached_sign_in(tmp_path)
    code, out, modules = modules_of("token", "lea", "--profile", "lazy", env=env)
    assert code == 0
    assert out.strip() == id_token
    assert "cognito_passkey.client.token_fast_path" in modules  # the probe sees our imports
    unwanted = {"click", "base64", "cognito_passkey.client.cli_root"}
    assert sorted(unwanted & modules) == []


def test_a_cache_hit_through_click_imports_no_openssl_base64_or_shell_completion(
    tmp_path: Path,
) -> None:
    """The click command on a cache hit (``--verify``-less, any flag the fast path does not
    take) keeps the same light path."""
    env, id_token = _cached_sign_in(tmp_path)
    code, out, modules = modules_of("token", "lea", "--profile=lazy", env=env)
    assert code == 0
    assert out.strip() == id_token
    assert "click" in modules
    unwanted = {"base64", "click.shell_completion"}
    assert sorted(unwanted & modules) == []
