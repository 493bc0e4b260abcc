"""CLI start time: ``cognito-passkey --help`` and ``cognito-passkey token`` (a cache hit, no
network) against ``python -c pass`` on the same interpreter.

    python benchmarks/cli_startup.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _bench import VENV_BIN, header, row, run_process, summary


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
    claims = {"cognito:username": "bench", "exp": expires, "token_use": "id"}
    tokens = Tokens(_fake_jwt(claims), _fake_jwt(claims), "refresh", expires)
    key = CacheKey(profile="bench", **settings)
    TokenCache(Path(env["COGNITO_PASSKEY_CACHE_DIR"])).save(key, "bench", tokens)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    program = str(VENV_BIN / "cognito-passkey")
    header("CLI start time")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = prepare(Path(folder))
        baseline = summary(run_process([sys.executable, "-c", "pass"], repeat=args.repeat))
        print(row("python -c pass (baseline)", baseline))
        for label, command in (
            ("cognito-passkey --help", [program, "--help"]),
            ("cognito-passkey token (cache hit)", [program, "token", "--profile", "bench"]),
            ("cognito-passkey local --help", [program, "local", "--help"]),
        ):
            figures = summary(run_process(command, env=env, repeat=args.repeat))
            print(row(label, figures, baseline["median_ms"]))
    print(f"({args.repeat} runs each after one warm-up; ratio = median / baseline median)")


if __name__ == "__main__":
    main()
