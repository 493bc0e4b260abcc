"""CLI start time: ``cognito-passkey --help`` and ``cognito-passkey token`` (a cache hit, no
network) against ``python -c "import click"`` on the same interpreter, interleaved; every
child reads compiled bytecode, as an installed CLI does (``--from-source``: as the session's
environment has it, which may compile our modules on every run).

    python -m benchmarks.cli_startup [--repeat 20] [--from-source]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ._bench import VENV_BIN, Figure, header, interleaved, ratio_figure, summary, table

HELP = "`cognito-passkey --help`"
CACHE_HIT = "`cognito-passkey token` (cache hit)"
LOCAL_HELP = "`cognito-passkey local --help`"
ROWS = (HELP, CACHE_HIT, LOCAL_HELP)


def _fake_jwt(claims: dict[str, object]) -> str:
    """An unsigned token shaped like Cognito's: the cache only reads its claims."""
    import base64
    import json

    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2lnbmF0dXJl"


def prepare(folder: Path) -> dict[str, str]:
    """A profile and a valid cached sign-in for it, in ``folder`` only."""
    from cognito_passkey.client.cache import CacheKey, TokenCache
    from cognito_passkey.client.config import write_profile
    from cognito_passkey.client.tokens import Tokens

    env = {
        "COGNITO_PASSKEY_CONFIG": str(folder / "config.ini"),
        "COGNITO_PASSKEY_CACHE_DIR": str(folder / "cache"),
    }
    settings = {"user_pool_id": "us-east-1_Bench1234", "client_id": "benchclient123456789"}
    write_profile("bench", settings, path=env["COGNITO_PASSKEY_CONFIG"])
    expires = int(time.time()) + 3600
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{settings['user_pool_id']}"
    common = {"cognito:username": "bench", "exp": expires, "iss": issuer}
    id_claims = {**common, "token_use": "id", "aud": settings["client_id"]}
    access_claims = {
        **common,
        "token_use": "access",
        "client_id": settings["client_id"],
        "username": "bench",
    }
    tokens = Tokens(_fake_jwt(id_claims), _fake_jwt(access_claims), "refresh", expires)
    key = CacheKey(profile="bench", **settings)
    TokenCache(Path(env["COGNITO_PASSKEY_CACHE_DIR"])).save(key, "bench", tokens)
    return env


def bytecode_env(folder: Path) -> dict[str, str]:
    """Every child reads compiled bytecode, as an installed CLI does (pip compiles it).

    The editable tree has no ``__pycache__`` and the session may set
    ``PYTHONDONTWRITEBYTECODE``: each run would then compile our modules from source while
    click's come precompiled from site-packages. A private cache (``PYTHONPYCACHEPREFIX``,
    filled by the untimed warm-up run of each command) treats both alike and writes nothing
    into the tree; an empty ``PYTHONDONTWRITEBYTECODE`` means unset.
    """
    return {"PYTHONPYCACHEPREFIX": str(folder / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}


def figures(repeat: int, *, bytecode: bool = True) -> list[Figure]:
    program = str(VENV_BIN / "cognito-passkey")
    header("CLI start time")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = prepare(Path(folder))
        if bytecode:
            env.update(bytecode_env(Path(folder)))
        samples = interleaved(
            {
                "click": [sys.executable, "-c", "import click"],
                HELP: [program, "--help"],
                CACHE_HIT: [program, "token", "bench", "--profile", "bench"],
                LOCAL_HELP: [program, "local", "--help"],
            },
            env=env,
            repeat=repeat,
        )
    click = summary(samples["click"])["median_ms"]
    label = '`python -c "import click"`'
    return [
        ratio_figure(
            HELP, summary(samples[HELP])["median_ms"], click, label, limit=1.5, absolute_ms=150
        ),
        ratio_figure(CACHE_HIT, summary(samples[CACHE_HIT])["median_ms"], click, label, limit=1.5),
        ratio_figure(LOCAL_HELP, summary(samples[LOCAL_HELP])["median_ms"], click, label),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--from-source", action="store_true", help="do not give the children a bytecode cache"
    )
    args = parser.parse_args()
    print(table(figures(args.repeat, bytecode=not args.from_source)))


if __name__ == "__main__":
    main()
