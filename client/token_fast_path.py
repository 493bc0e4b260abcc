"""``cognito-passkey token`` answered from the cache before click is imported.

Importing click and building the command tree is most of a cache-hit run, so
:func:`cognito_passkey.client.cli.main` asks here first. Only a plain request is answered:
``token [USERNAME]`` with setting flags, ``--profile``, ``-o token|json|env`` and ``--type``,
each flag a word of its own followed by its value, and a valid cached token. Anything else
(another word or flag, ``--flag=value``, a miss, an expired token, a warning, any error) is
handed to the click command unchanged, and nothing has been printed or changed by then: a
damaged cache file is left for the command to move aside and report.

Every decision goes through the functions the ``token`` command uses (``config.resolve``,
:mod:`~cognito_passkey.client.token_request`, ``obtain_tokens``,
:func:`~cognito_passkey.client.token_text.token_lines`); the option names come from
:mod:`~cognito_passkey.client.setting_names`, which the click options are built from too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cognito_passkey.client.cli import FAST_PATH_COMMAND
from cognito_passkey.client.setting_names import (
    FLAG_KEYS,
    NO_CACHE_ENV,
    OUTPUT_FLAGS,
    PROFILE_FLAG,
    TYPE_FLAG,
    flag_of,
)

if TYPE_CHECKING:
    from cognito_passkey.client.passkey_client import PasskeyClient


class _HandOver(Exception):
    """The cache cannot answer alone: the click command takes the run from the start."""


def _value_options() -> dict[str, str]:
    """Each value flag of ``token`` this path knows, and the name the command receives."""
    names = {PROFILE_FLAG: "profile", TYPE_FLAG: "which"}
    names.update({flag: "output" for flag in OUTPUT_FLAGS})
    names.update({flag_of(key): key for key in FLAG_KEYS})
    return names


def _parsed(args: Sequence[str]) -> tuple[str | None, dict[str, str]] | None:
    """USERNAME and the flags' values, or None for anything but a plain request."""
    options = _value_options()
    username: str | None = None
    given: dict[str, str] = {}
    index = 0
    while index < len(args):
        word = args[index]
        name = options.get(word)
        if name is not None:
            if name in given or index + 1 == len(args) or args[index + 1].startswith("-"):
                return None
            given[name] = args[index + 1]
            index += 2
        elif word.startswith("-") or username is not None:
            return None
        else:
            username = word
            index += 1
    return username, given


def answered(argv: Sequence[str]) -> bool:
    """True when the run was answered here (exit 0); False: run the click command."""
    if not argv or argv[0] != FAST_PATH_COMMAND or NO_CACHE_ENV in os.environ:
        return False
    parsed = _parsed(argv[1:])
    if parsed is None:
        return False
    try:
        lines = _answer(*parsed)
    except Exception:  # _HandOver, or an error the command reports in its own words
        return False
    except KeyboardInterrupt:
        from cognito_passkey.client.cli_support import report

        raise SystemExit(report(KeyboardInterrupt(), debug=False)) from None
    if lines is None:
        return False
    stderr, stdout = lines
    for line in stderr:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()
    sys.stdout.write("".join(line + "\n" for line in stdout))
    sys.stdout.flush()
    return True


def _answer(username: str | None, given: dict[str, str]) -> tuple[list[str], list[str]] | None:
    """The stderr and stdout lines of a cache hit, or None to hand over."""
    from cognito_passkey.client.config import resolve
    from cognito_passkey.client.token_request import (
        cache_for,
        tokens_wanted,
        user_for,
        whose_line,
    )
    from cognito_passkey.client.token_source import obtain_tokens
    from cognito_passkey.client.token_text import LINE_OUTPUTS, TOKEN_DEFAULT_OUTPUT, token_lines

    output = given.get("output", TOKEN_DEFAULT_OUTPUT)
    if output not in LINE_OUTPUTS:
        return None
    settings = resolve({key: given.get(key) for key in FLAG_KEYS}, profile=given.get("profile"))
    chosen = user_for(username, settings)
    if chosen is None:
        return None
    name, default_of = chosen
    which = tokens_wanted(output, given.get("which"))
    if which is None:
        return None
    warnings: list[str] = []
    cache, key = cache_for(settings, warn=warnings.append, quarantine=False)
    got = obtain_tokens(_no_client, cache, key, name, notify=warnings.append)
    if warnings or got.source != "cache":
        return None
    whose = whose_line(name, default_of, "Token")
    stderr = [whose] if whose else []
    stdout = token_lines(got.tokens, output, which, got.username)
    # click.echo strips control sequences from a pipe; such a line is the command's to print.
    if not all(part.isprintable() for line in (*stderr, *stdout) for part in line.split("\n")):
        return None
    return stderr, stdout


def _no_client() -> PasskeyClient:
    """The client ``obtain_tokens`` asks for only when the cache cannot answer."""
    raise _HandOver
