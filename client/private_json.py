"""Read and write the client's private JSON files: the token and AWS credentials caches.

A file is read only when this user owns it and nobody else may write to it, and never
more than a size limit of it; it is written 0600 and atomically in a 0700 directory that
only this user may change (:mod:`cognito_passkey.authenticator._files` holds those rules).
These functions raise and never warn: each cache words its own warnings and decides what
a damaged file costs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cognito_passkey.authenticator._files import (
    check_private_dir,
    check_private_file,
    ensure_private_dir,
    read_at_most,
    write_private,
)


def read_private(path: Path, *, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """Up to ``max_bytes + 1`` bytes of ``path`` (one more shows it is too large) and the
    file's ``fstat`` as opened, to tell later whether it was replaced meanwhile.

    Raises FileNotFoundError when it is absent, ``UnsafePathError`` when someone else owns
    it or may write to it, another OSError when the OS will not let us read it.
    """
    with path.open("rb") as handle:
        opened = os.fstat(handle.fileno())
        check_private_file(path, opened)
        return read_at_most(handle, max_bytes + 1, opened.st_size), opened


def parse_document(raw: bytes, *, max_bytes: int, version: int) -> dict[str, Any]:
    """The JSON object in ``raw``; ValueError unless it is one of ``version``, within
    ``max_bytes``."""
    if len(raw) > max_bytes:
        raise ValueError("too large")
    document: Any = json.loads(raw)
    if not isinstance(document, dict) or document.get("version") != version:
        raise ValueError("unknown format")
    return document


def write_document(directory: Path, path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` in ``directory`` with ``document`` (0600, atomic), making the
    directory (0700) first; ``UnsafePathError`` when others could change the directory."""
    ensure_private_dir(directory)
    check_private_dir(directory)
    write_private(path, json.dumps(document, indent=1).encode("utf-8"))
