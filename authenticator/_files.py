"""Atomic private-file writes, kept in the lowest room that writes secrets so all rooms share them.

Credential stores, tokens and client secrets live in these files, so every write
goes to a temporary file in the same directory (0600 whatever the umask), is
flushed to disk, and replaces the target in one ``os.replace``, after which the
directory is fsync'd so the rename survives a crash: a reader sees either the old
file or the new one, never half of one. Directories are made 0700 whatever the umask
(parents too), and a directory whose secrets someone else could plant or swap is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700
_TRUSTED_OWNERS_EXTRA = (0,)  # root can read everything anyway; system-wide dirs are its


class UnsafePathError(PermissionError):
    """A directory (or file) holding secrets that another user owns or may write to."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        super().__init__(f"refusing to use {path}: {problem}; fix it with `{fix}`")
        self.path = path


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` and any missing parents 0700, whatever the umask.

    An existing directory keeps its mode (:func:`check_private_dir` judges it).
    ``Path.mkdir(parents=True)`` would make the parents ``0777 & ~umask``.
    """
    with contextlib.suppress(OSError):  # the usual case, in one stat (every store write)
        if stat.S_ISDIR(os.stat(directory).st_mode):
            return
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else: judged by check_private_dir
        if os.name == "posix":  # mkdir's mode went through the umask
            os.chmod(path, DIR_MODE)
    if not directory.is_dir():
        directory.mkdir(mode=DIR_MODE)  # raises the usual FileExistsError/NotADirectoryError


def check_private_dir(directory: Path) -> None:
    """Raise :class:`UnsafePathError` unless only this user can change ``directory``.

    It must be a directory owned by this user (or root) that neither its group nor others
    may write: otherwise anyone could plant a file there or swap one. Not checked where the
    platform has no POSIX owners and modes (Windows).
    """
    if not hasattr(os, "geteuid"):
        return
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(directory, "it is not a directory", f"rm {directory}")
    if info.st_uid not in (os.geteuid(), *_TRUSTED_OWNERS_EXTRA):
        raise UnsafePathError(
            directory,
            f"it is owned by another user (uid {info.st_uid})",
            f"chown {os.geteuid()} {directory} && chmod 700 {directory}",
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafePathError(
            directory,
            f"its group or other users may write to it (mode {stat.S_IMODE(info.st_mode):o})",
            f"chmod 700 {directory}",
        )


def check_private_file(path: Path, info: os.stat_result) -> None:
    """Raise :class:`UnsafePathError` unless the opened file ``info`` is this user's
    and only this user may write it (the same rule as its directory)."""
    if not hasattr(os, "geteuid"):
        return
    if info.st_uid not in (os.geteuid(), *_TRUSTED_OWNERS_EXTRA):
        raise UnsafePathError(
            path, f"it is owned by another user (uid {info.st_uid})", f"rm {path}"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafePathError(
            path,
            f"its group or other users may write to it (mode {stat.S_IMODE(info.st_mode):o})",
            f"chmod 600 {path}",
        )


def read_at_most(f: BinaryIO, limit: int, expected: int) -> bytes:
    """Up to ``limit`` bytes of ``f``, asking first for the ``expected`` size (``fstat``'s,
    plus one, to see the end): ``read(limit)`` would allocate ``limit`` bytes every time."""
    raw = f.read(min(expected + 1, limit))
    if len(raw) == expected + 1 and len(raw) < limit:  # it grew meanwhile: read on
        raw += f.read(limit - len(raw))
    return raw


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable by the owner only."""
    ensure_private_dir(path.parent)
    write_atomically(path, data)


def write_atomically(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Replace ``path`` (whose directory exists) with ``data``, durably, with ``mode``."""
    import tempfile  # only writers pay for it (with shutil): the CLI's `--help` writes nothing

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # mkstemp gives 0600 & ~umask; make it exactly ``mode``
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
