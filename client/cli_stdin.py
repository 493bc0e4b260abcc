"""Whether stdin can still answer a prompt, asked before a step that cannot be undone.

A prompt without a terminal reads a piped line (``cli_prompts``); a command that would
create something first (``sign-up``) or touch a key first (``passkeys delete``) asks this
beforehand, so that an answer that can never come fails before anything happened.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys

from cognito_passkey.client.cli_prompts import stdin_is_terminal


def stdin_gives_nothing() -> bool:
    """True when stdin is no terminal and can give no line: closed, /dev/null, an empty file,
    or a pipe already at its end. A pipe still open may bring the code later, so it counts
    as an answer (``cli_prompts``: a piped answer is read without a terminal)."""
    stream = sys.stdin
    if stream is None or stream.closed:
        return True
    if stdin_is_terminal():
        return False
    buffer = getattr(stream, "buffer", None)
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        if isinstance(buffer, io.BytesIO):  # an in-memory stdin (click's test runner)
            return buffer.tell() >= buffer.getbuffer().nbytes
        return False
    info = os.fstat(fd)
    if stat.S_ISCHR(info.st_mode):  # /dev/null and its kind: never a line
        return True
    if stat.S_ISREG(info.st_mode):
        return info.st_size <= os.lseek(fd, 0, os.SEEK_CUR)
    readable, _, _ = select.select([fd], [], [], 0)
    if not readable:
        return False
    peek = getattr(buffer, "peek", None)
    return callable(peek) and peek(1) == b""
