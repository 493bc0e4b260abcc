"""The cache-hit fast path of ``cognito-passkey token`` (client/token_fast_path.py) prints
exactly what the click command prints, and hands every other run to it untouched.

Each argv runs twice as a real process on its own copy of the same files: once through the
console entry point (fast path first) and once through the click group alone; stdout, stderr
and the exit code must be equal. Hits must also really skip click (else the equality would
prove nothing), and a hand-over must leave the files as the command alone would.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.config import write_profile
from cognito_passkey.client.tokens import Tokens

from .conftest import CLIENT_ID, POOL_ID, closed_url

ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
PROBE = (
    "import atexit, os, sys\n"
    "atexit.register(lambda: open(os.environ['PROBE_OUT'], 'w').write("
    "str('click' in sys.modules)))\n"
)
ENTRY = PROBE + "from cognito_passkey.client.cli import main; main()"
CLICK_ONLY = PROBE + (
    "from cognito_passkey.client.cli_root import cli; cli(prog_name='cognito-passkey')"
)


def _jwt(claims: dict[str, object]) -> str:
    """An unsigned token shaped like Cognito's: the cache reads only its claims."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2lnbmF0dXJl"


def tokens_of(
    username: str, expires: int, *, client_id: str = CLIENT_ID, issuer: str = ISSUER
) -> Tokens:
    common = {"cognito:username": username, "exp": expires, "iss": issuer}
    return Tokens(
        _jwt({**common, "token_use": "id", "aud": client_id}),
        _jwt({**common, "token_use": "access", "client_id": client_id, "username": username}),
        "refresh-token",
        expires,
    )


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    fast: bool
    """Whether the fast path answers (click never imported)."""
    env: dict[str, str] = field(default_factory=dict)
    expires_in: int = 3600
    cached: bool = True
    cache_mode: int = 0o600
    config_mode: int = 0o600
    damaged: bool = False
    profile: bool = True
    stdout: str = "captured"
    user: str = "uma"
    planted: dict[str, str] = field(default_factory=dict)
    """Claims of the tokens in the user's file that are not the user's own (``tokens_of``)."""
    """Profile p's default user, the one whose tokens are cached."""
    """``closed`` (fd 1 shut: ``>&-``), ``broken`` (a pipe nobody reads) or ``no stderr``
    (fd 2 shut) for a hit's write."""


CASES = {
    "typed user": Case(("uma", "--profile", "p"), fast=True),
    "profile's user, json": Case(("--profile", "p", "-o", "json"), fast=True),
    "env, access token": Case(("-o", "env", "--type", "access", "uma", "--profile", "p"), True),
    "env all": Case(("uma", "-o", "env", "--profile", "p"), fast=True),
    "json id": Case(("uma", "--output", "json", "--type", "id", "--profile", "p"), True),
    "profile from env, user from env": Case(
        (), fast=True, env={"COGNITO_PASSKEY_PROFILE": "p", "COGNITO_PASSKEY_USER": "uma"}
    ),
    "settings from env only": Case(
        ("uma",),
        fast=True,
        profile=False,
        env={"COGNITO_PASSKEY_USER_POOL_ID": POOL_ID, "COGNITO_PASSKEY_CLIENT_ID": CLIENT_ID},
    ),
    "settings from flags only": Case(
        ("uma", "--user-pool-id", POOL_ID, "--client-id", CLIENT_ID), fast=True, profile=False
    ),
    "flag beats env": Case(
        ("uma", "--profile", "p"), fast=True, env={"COGNITO_PASSKEY_PROFILE": "nosuch"}
    ),
    "another pool by flag: a miss": Case(
        ("uma", "--profile", "p", "--client-id", "otherclient1"), fast=False
    ),
    "expires soon: refresh": Case(("uma", "--profile", "p"), fast=False, expires_in=30),
    "expired": Case(("uma", "--profile", "p"), fast=False, expires_in=-10),
    "no cached sign-in": Case(("uma", "--profile", "p"), fast=False, cached=False),
    "cache file mode 0644 (read-only to others)": Case(
        ("uma", "--profile", "p"), fast=True, cache_mode=0o644
    ),
    "cache file group-writable": Case(("uma", "--profile", "p"), fast=False, cache_mode=0o620),
    "config file group-writable": Case(("uma", "--profile", "p"), fast=False, config_mode=0o620),
    "damaged cache file": Case(("uma", "--profile", "p"), fast=False, damaged=True),
    "unknown flag": Case(("uma", "--profile", "p", "--bogus"), fast=False),
    "flag=value": Case(("uma", "--profile=p"), fast=False),
    "--help": Case(("--help",), fast=False),
    "-o token --type all": Case(("uma", "--profile", "p", "--type", "all"), fast=False),
    "-o text": Case(("uma", "--profile", "p", "-o", "text"), fast=False),
    "-o JSON (click's case)": Case(("uma", "--profile", "p", "-o", "JSON"), fast=False),
    "empty user": Case(("", "--profile", "p"), fast=False),
    "no user at all": Case((), fast=False, env={"COGNITO_PASSKEY_PROFILE": "q"}),
    "two users": Case(("uma", "ulf", "--profile", "p"), fast=False),
    "a value missing": Case(("uma", "--profile"), fast=False),
    "bad profile name": Case(("uma", "--profile", "b@d"), fast=False),
    "no such profile": Case(("uma", "--profile", "nosuch"), fast=False),
    "cached-only": Case(("uma", "--profile", "p", "--cached-only"), fast=False),
    "no-cache by env": Case(
        ("uma", "--profile", "p"), fast=False, env={"COGNITO_PASSKEY_NO_CACHE": "maybe"}
    ),
    "group flag first": Case(("--profile", "p", "token", "uma"), fast=False),
    "control character in the user": Case(("--profile", "p"), fast=False, env={}),
    "a flag given twice (click: the last wins)": Case(
        ("uma", "--profile", "q", "--profile", "p"), fast=False
    ),
    "-o and --output both given": Case(
        ("uma", "--profile", "p", "-o", "json", "--output", "env"), fast=False
    ),
    "-- before the user": Case(("--profile", "p", "--", "uma"), fast=False),
    "unknown --type": Case(("uma", "--profile", "p", "--type", "bogus"), fast=False),
    "--type in capitals (click's Choice is exact)": Case(
        ("uma", "--profile", "p", "--type", "ID"), fast=False
    ),
    "empty --type": Case(("uma", "--profile", "p", "--type", ""), fast=False),
    "shell completion asked (click completes, runs nothing)": Case(
        ("uma", "--profile", "p"),
        fast=False,
        env={"_COGNITO_PASSKEY_COMPLETE": "bash_complete", "COMP_WORDS": "cognito-passkey tok"}
        | {"COMP_CWORD": "1"},
    ),
    "non-ASCII default user on an ASCII stderr (click writes UTF-8)": Case(
        ("--profile", "p"), fast=False, env={"PYTHONIOENCODING": "ascii"}, user="\u00fcma"
    ),
    "non-ASCII default user on a UTF-8 stderr": Case(
        ("--profile", "p"), fast=False, env={"PYTHONIOENCODING": "utf-8"}, user="\u00fcma"
    ),
    "another user's tokens in the file": Case(
        ("uma", "--profile", "p"), fast=False, planted={"username": "ulf"}
    ),
    "another app client's tokens in the file": Case(
        ("uma", "--profile", "p"), fast=False, planted={"client_id": "otherclient1"}
    ),
    "another pool's tokens in the file": Case(
        ("uma", "--profile", "p"), fast=False, planted={"issuer": ISSUER + "x"}
    ),
    "stderr closed": Case(("uma", "--profile", "p"), fast=False, stdout="no stderr"),
    "stdout closed": Case(("uma", "--profile", "p"), fast=False, stdout="closed"),
    "stdout a broken pipe": Case(("uma", "--profile", "p"), fast=False, stdout="broken"),
    "stdout a broken pipe, default user named": Case(("--profile", "p"), False, stdout="broken"),
}


def world(folder: Path, case: Case, now: int) -> dict[str, str]:
    """The config and cache of ``case`` in ``folder``; the environment to run in."""
    folder.mkdir()
    config, cache_dir = folder / "config.ini", folder / "cache"
    settings = {"user_pool_id": POOL_ID, "client_id": CLIENT_ID, "endpoint_url": closed_url()}
    if case.profile:
        write_profile("p", {**settings, "user": case.user}, path=config)
        write_profile("q", settings, path=config)
        config.chmod(case.config_mode)
    if case.cached:
        for profile in ("p", "default"):
            key = CacheKey(profile, POOL_ID, CLIENT_ID, closed_url() if case.profile else None)
            owner = case.planted.get("username", case.user)
            claims = {k: v for k, v in case.planted.items() if k != "username"}
            tokens = tokens_of(owner, now + case.expires_in, **claims)
            path = TokenCache(cache_dir).save(key, case.user, tokens)
            if case.damaged:
                path.write_text("{not json")
            path.chmod(case.cache_mode)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COGNITO_PASSKEY_") and key != "CI"
    }
    env.update(
        COGNITO_PASSKEY_CONFIG=str(config),
        COGNITO_PASSKEY_CACHE_DIR=str(cache_dir),
        PROBE_OUT=str(folder / "probe"),
        **case.env,
    )
    return env


def run(
    code: str, folder: Path, case: Case, args: tuple[str, ...], now: int
) -> tuple[int, str, str, bool]:
    env = world(folder, case, now)
    command = [sys.executable, "-c", code, *args]
    if case.stdout in ("closed", "no stderr"):
        shut = ">&-" if case.stdout == "closed" else "2>&-"
        command = ["sh", "-c", f'exec "$@" {shut}', "sh", *command]
    reader, writer = os.pipe()
    os.close(reader)  # "broken": every write to stdout fails with EPIPE
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=writer if case.stdout == "broken" else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    finally:
        os.close(writer)

    def same_everywhere(text: str) -> str:
        text = text.replace(str(folder), "<folder>")
        return re.sub(r"corrupt-\d{8}T\d{6}Z(-\d+)?", "corrupt-<time>", text)

    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "probe")
    clicked = (folder / "probe").read_text() == "True"
    output = same_everywhere((done.stdout or "") + "\n--files--\n" + "\n".join(files))
    return done.returncode, output, same_everywhere(done.stderr), clicked


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fast_path_prints_what_the_command_prints(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    args = ("token", *case.args)
    if name == "control character in the user":
        args = ("token", "uma\x1b[31m", "--profile", "p")
    now = int(time.time())
    entry = run(ENTRY, tmp_path / "entry", case, args, now)
    alone = run(CLICK_ONLY, tmp_path / "alone", case, args, now)
    assert entry[:3] == alone[:3]
    assert entry[3] is not case.fast, "the fast path answered" if not case.fast else "it did not"
    if case.fast:
        assert entry[0] == 0 and entry[1].strip()
