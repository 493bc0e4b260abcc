"""Start, find, reset and stop the ministack process of one state directory.

The server runs detached (its own session, so a closed terminal does not take it down) on
127.0.0.1 and a free port; its pid and port are recorded in ``server.json`` in the state
directory, which is how a later ``status`` or ``down`` finds it. It gets a minimal
environment: never the caller's AWS credentials, only dummy ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from cognito_passkey.authenticator._files import ensure_private_dir, write_private
from cognito_passkey.local.errors import LocalAwsError
from cognito_passkey.local.runtime import MINISTACK_VERSION, ServerRuntime

HOST: Final = "127.0.0.1"
REGION: Final = "us-east-1"
DUMMY_CREDENTIALS: Final = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
"""The only credentials the local AWS ever sees."""
STATE_FILE: Final = "server.json"
LOG_FILE: Final = "ministack.log"
TMP_DIR: Final = "tmp"
"""The server's TMPDIR: ministack unpacks every Lambda (code and layer) under it and never
cleans up, so it lives in the state directory and is emptied when the server stops."""
_KEPT_ENVIRONMENT: Final = ("PATH", "HOME", "LANG", "LC_ALL", "SSL_CERT_FILE")


@dataclass(frozen=True)
class ServerInfo:
    """What ``server.json`` records about a started server."""

    pid: int
    port: int
    python: str
    python_version: str
    ministack_version: str
    started_at: float

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def read_info(state_dir: Path) -> ServerInfo | None:
    """The recorded server of ``state_dir``, or None when none was recorded."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
        return ServerInfo(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise LocalAwsError(f"{state_dir / STATE_FILE} is damaged ({exc}); remove it") from exc


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_ministack(pid: int) -> bool:
    """Guard against a recycled pid: the process must be a ministack server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return is_alive(pid)  # no /proc: trust the recorded pid
    return b"ministack" in cmdline


def _local_request(endpoint: str, path: str, method: str = "GET") -> urllib.request.Request:
    """A request to the loopback server; any other scheme or host is refused."""
    if not endpoint.startswith(f"http://{HOST}:"):
        raise LocalAwsError(f"{endpoint!r} is not a local AWS endpoint")
    data = b"" if method == "POST" else None
    return urllib.request.Request(f"{endpoint}{path}", method=method, data=data)  # noqa: S310


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """Whether a ministack server answers its health check at ``endpoint``."""
    request = _local_request(endpoint, "/_ministack/health")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            return bool(reply.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def running_info(state_dir: Path) -> ServerInfo | None:
    """The recorded server if its process is alive and it is ministack, else None."""
    info = read_info(state_dir)
    if info is None or not is_alive(info.pid) or not _is_ministack(info.pid):
        return None
    return info


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a pre-exec hook making the kernel SIGTERM the server when its starter dies.

    Everything is looked up here, in the parent: between fork and exec the child may not
    import or take locks (other threads may hold them).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def hook() -> None:  # pragma: no cover - runs in the child
        prctl(pr_set_pdeathsig, sigterm)

    return hook


def start(
    state_dir: Path,
    runtime: ServerRuntime,
    *,
    port: int | None = None,
    timeout: float = 30.0,
    stop_with_parent: bool = False,
) -> tuple[ServerInfo, subprocess.Popen[bytes]]:
    """Start ministack for ``state_dir`` and wait until it answers.

    ``stop_with_parent`` (Linux) ends the server when the calling process dies, even by
    SIGKILL: what tests want, so an aborted run leaves nothing behind. Without it the server
    outlives its starter, as ``local up`` wants. Raises if a server of this state directory
    is already running (stop it first).
    """
    ensure_private_dir(state_dir)
    if running_info(state_dir) is not None:
        raise LocalAwsError(f"a local AWS already runs for {state_dir}")
    chosen = port or free_port()
    data_dir = state_dir / "ministack"
    ensure_private_dir(data_dir)
    tmp_dir = state_dir / TMP_DIR
    _remove_tree(tmp_dir)  # leftovers of a server that did not stop cleanly
    ensure_private_dir(tmp_dir)
    env = {k: os.environ[k] for k in _KEPT_ENVIRONMENT if k in os.environ}
    env.update(DUMMY_CREDENTIALS)
    env.update(
        AWS_DEFAULT_REGION=REGION,
        BIND_HOST=HOST,
        GATEWAY_PORT=str(chosen),
        STATE_DIR=str(data_dir),
        TMPDIR=str(tmp_dir),
        IOT_MTLS_ENABLED="0",
        SFTP_ENABLED="0",
        PYTHONUNBUFFERED="1",
    )
    # The log may show Lambda output; it is the owner's alone.
    log_fd = os.open(state_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    log = os.fdopen(log_fd, "ab")
    try:
        process = subprocess.Popen(
            [str(runtime.python), "-m", "ministack"],
            cwd=data_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_parent_death_signal() if stop_with_parent else None,
        )
    finally:
        log.close()
    info = ServerInfo(
        pid=process.pid,
        port=chosen,
        python=str(runtime.python),
        python_version=runtime.python_version,
        ministack_version=MINISTACK_VERSION,
        started_at=time.time(),
    )
    write_private(state_dir / STATE_FILE, json.dumps(asdict(info), indent=2).encode() + b"\n")
    deadline = time.monotonic() + timeout
    while not answers(info.endpoint, timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid, process)
            (state_dir / STATE_FILE).unlink(missing_ok=True)
            raise LocalAwsError(
                f"ministack did not start on {info.endpoint}; last lines of its log:\n"
                + log_tail(state_dir)
            )
        time.sleep(0.1)
    return info, process


def stop(state_dir: Path, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Stop the server of ``state_dir`` (SIGTERM, wait, then SIGKILL); false if none ran."""
    info = read_info(state_dir)
    if info is None:
        return False
    stopped = False
    if is_alive(info.pid) and _is_ministack(info.pid):
        _terminate(info.pid, process)
        stopped = True
    _remove_tree(state_dir / TMP_DIR)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return stopped


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _terminate(pid: int, process: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    """SIGTERM the server's process group (its Lambda workers too), then SIGKILL if needed."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        if process is None and not is_alive(pid):
            break
        time.sleep(0.05)
    else:
        _signal_group(pid, signal.SIGKILL)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    # Lambda workers left in the group after the server went: end them too.
    _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sys.platform != "win32":
            os.killpg(pid, signum)
        else:  # pragma: no cover - ministack runs on POSIX here
            os.kill(pid, signum)


def reset(endpoint: str) -> None:
    """Empty every service of the server (``POST /_ministack/reset``)."""
    request = _local_request(endpoint, "/_ministack/reset", "POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            if reply.status != 200:
                raise LocalAwsError(f"reset answered HTTP {reply.status}")
    except (OSError, urllib.error.URLError) as exc:
        raise LocalAwsError(f"could not reset the local AWS at {endpoint}: {exc}") from exc


def log_tail(state_dir: Path, lines: int = 20) -> str:
    """The last lines of the server's log, for error messages."""
    try:
        text = (state_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def describe(info: ServerInfo) -> dict[str, Any]:
    """A JSON-ready summary of a running server."""
    return {"endpoint": info.endpoint, **asdict(info)}
