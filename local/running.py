"""Which local AWS runs, so ``local status`` and ``local down`` work from any directory.

``local up`` and ``local demo`` record the state directory of the server they started in one
small file in the user's state directory (platformdirs); ``status`` and ``down`` use it when
neither ``--state-dir`` nor ``$COGNITO_PASSKEY_LOCAL_DIR`` is given and the working
directory has no ``.local-aws``. Only a path is kept there, never a key or a token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from cognito_passkey.authenticator._files import write_private
from cognito_passkey.local.defaults import DEFAULT_STATE_DIR

APP_NAME: Final = "cognito-passkey"
POINTER_FILE: Final = "local-aws.json"


def pointer_path() -> Path:
    """The file naming the last started server's state directory."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME)) / POINTER_FILE


def remember(state_dir: Path) -> None:
    """Record ``state_dir`` as the running server's (the last one started wins)."""
    target = pointer_path()
    text = json.dumps({"state_dir": str(state_dir.absolute())}) + "\n"
    write_private(target, text.encode("utf-8"))


def recorded() -> Path | None:
    """The recorded state directory, or None (no file, or one that is not ours)."""
    try:
        data = json.loads(pointer_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("state_dir") if isinstance(data, dict) else None
    return Path(value) if isinstance(value, str) and value else None


def forget(state_dir: Path) -> None:
    """Drop the record when it names ``state_dir`` (its server was stopped)."""
    if recorded() == state_dir.absolute():
        pointer_path().unlink(missing_ok=True)


def find_state_dir(given: Path | None) -> tuple[Path, bool]:
    """The state directory to act on, and whether it came from the record.

    ``given`` (the flag or the environment variable) wins; then ``./.local-aws`` when it
    exists; then the record of the last started server; else ``./.local-aws``.
    """
    if given is not None:
        return given.absolute(), False
    here = Path(DEFAULT_STATE_DIR).absolute()
    if here.is_dir():
        return here, False
    remembered = recorded()
    if remembered is not None and remembered.is_dir():
        return remembered, True
    return here, False
