"""The file store's writer lock: an exclusive ``flock`` on ``<store>.lock``.

Written by hand on POSIX because filelock's per-acquire bookkeeping (fork tracking,
soft-lock fallback probes) costs about 250 µs a lock, a quarter of the durable write
it guards; a bare ``flock`` costs a few. filelock stays where ``flock`` is missing:
Windows, and filesystems that answer ``flock`` with ENOSYS or EOPNOTSUPP.

The lock file is opened on every acquisition and closed on release (closing drops
the lock), so two threads of one process exclude each other like two processes do;
it is never deleted, so every waiter locks the same inode.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from types import TracebackType
from typing import Final

from filelock import FileLock, Timeout

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_CONTENDED: Final = frozenset({errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK})
_NO_FLOCK: Final = frozenset({errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK})
_LONGEST_WAIT: Final = 0.05  # seconds between tries, like filelock's poll interval


class LockTimeout(Exception):
    """Another holder kept the lock past the timeout."""


class StoreLock:
    """An exclusive lock on ``path``, reentrant on one thread (like filelock's)."""

    def __init__(self, path: str, timeout: float) -> None:
        self._path = path
        self._timeout = timeout
        self._held = threading.local()  # fd and depth of this thread's hold
        self._fallback: FileLock | None = None
        if fcntl is None:
            self._fallback = FileLock(path, timeout=timeout, mode=0o600)

    def __enter__(self) -> None:
        depth: int = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            return
        if self._fallback is None:
            fd = self._acquire_flock()
            if fd is not None:
                self._held.fd = fd
                self._held.depth = 1
                return
        self._acquire_fallback()
        self._held.fd = None
        self._held.depth = 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._held.depth -= 1
        if self._held.depth:
            return
        fd: int | None = self._held.fd
        self._held.fd = None
        if fd is None:
            assert self._fallback is not None
            self._fallback.release()
        else:
            os.close(fd)  # closing the last descriptor of the open file drops the flock

    def _acquire_flock(self) -> int | None:
        """The locked descriptor, or None when this filesystem has no ``flock``."""
        fd, created = _open_lock_file(self._path)
        try:
            deadline = time.monotonic() + self._timeout
            wait = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except OSError as e:
                    if e.errno in _NO_FLOCK:
                        os.close(fd)
                        if created:  # filelock's soft lock there is the file's existence
                            os.unlink(self._path)
                        self._fallback = FileLock(self._path, timeout=self._timeout, mode=0o600)
                        return None
                    if e.errno not in _CONTENDED:
                        raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LockTimeout(self._path)
                time.sleep(min(wait, left))
                wait = min(wait * 2, _LONGEST_WAIT)
        except BaseException:
            os.close(fd)
            raise

    def _acquire_fallback(self) -> None:
        assert self._fallback is not None
        try:
            self._fallback.acquire()
        except Timeout:
            raise LockTimeout(self._path) from None


def _open_lock_file(path: str) -> tuple[int, bool]:
    """A read-write descriptor on ``path``, and whether this call created the file."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0)
    while True:
        try:
            return os.open(path, flags), False
        except FileNotFoundError:
            pass
        try:
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
        except FileExistsError:
            continue  # created meanwhile by another process: open that one
