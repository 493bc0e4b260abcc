"""``cognito-passkey token`` answered from the cache before click is imported.

Importing click and building the command tree is most of a cache-hit run, so
:func:`cognito_passkey.client.cli.main` asks here first. Only a plain request is answered:
``token [USERNAME]`` with setting flags, ``--profile``, ``-o token|json|env`` and ``--type``,
each flag a word of its own followed by its value, and a valid cached token. Anything else
(another word or flag, ``--flag=value``, a value click's choices refuse, a miss, an expired
token, a warning, any error, a closed stdout or stderr, shell completion, a line that is not
printable ASCII) is handed to the click command unchanged, and nothing has been printed or
changed by then: a damaged cache file is left for the command to move aside and report. A
write that fails (a closed pipe) is reported as the command reports it.

Every decision goes through the functions the ``token`` command uses (``config.resolve``,
:mod:`~cognito_passkey.client.token_request`, ``obtain_tokens``,
:func:`~cognito_passkey.client.token_text.token_lines`); the option names come from
:mod:`~cognito_passkey.client.setting_names`, which the click options are built from too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from cognito_passkey.client.cli import FAST_PATH_COMMAND
from cognito_passkey.client.setting_names import (
    FLAG_KEYS,
    NO_CACHE_ENV,
    OUTPUT_FLAGS,
    PROFILE_FLAG,
    TOKEN_TYPES,
    TYPE_FLAG,
    debug_from_env,
    flag_of,
)

if TYPE_CHECKING:
    from cognito_passkey.client.passkey_client import PasskeyClient


COMPLETION_ENV: Final = "_COGNITO_PASSKEY_COMPLETE"
"""click's shell-completion switch for prog_name ``cognito-passkey`` (``_{PROG}_COMPLETE``)."""


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
    if COMPLETION_ENV in os.environ:
        return False  # click answers shell completion instead of running the command
    if sys.stdout is None or sys.stderr is None:
        return False  # a closed stream: click.echo skips it silently, the command decides
    parsed = _parsed(argv[1:])
    if parsed is None:
        return False
    try:
        lines = _answer(*parsed)
    except Exception:  # _HandOver, or an error the command reports in its own words
        return False
    except KeyboardInterrupt as exc:
        raise SystemExit(_reported(exc)) from None
    if lines is None:
        return False
    stderr, stdout = lines
    try:
        for line in stderr:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        sys.stdout.write("".join(line + "\n" for line in stdout))
        sys.stdout.flush()
    except OSError as exc:  # a closed pipe: the command's one error line and exit code
        raise SystemExit(_reported(exc)) from None
    return True


def _reported(exc: BaseException) -> int:
    """Report ``exc`` as the command's ReportingGroup does (a trace with the debug
    variable, as ``--debug`` is never answered here); its exit code."""
    from cognito_passkey.client.cli_support import report

    return report(exc, debug=debug_from_env(os.environ))


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
    if output not in LINE_OUTPUTS or given.get("which", TOKEN_TYPES[0]) not in TOKEN_TYPES:
        return None  # click's Choice refuses an unknown --type (exit 2): its message
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
    # click.echo strips control sequences from a pipe and re-encodes an ASCII-configured
    # stream as UTF-8: a line that is not printable ASCII is the command's to print.
    if not all(
        part.isprintable() and part.isascii()
        for line in (*stderr, *stdout)
        for part in line.split("\n")
    ):
        return None
    return stderr, stdout


def _no_client() -> PasskeyClient:
    """The client ``obtain_tokens`` asks for only when the cache cannot answer."""
    raise _HandOver
