"""The CLI as a child process on a pseudo-terminal, the way a person runs it.

The child is a session leader with the pty as its controlling terminal (stdin and stderr
on it, stdout a pipe), so ``getpass`` opens ``/dev/tty`` and a ``\\x03`` written to the
primary side reaches it as SIGINT through the terminal's line discipline, like Ctrl-C.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from collections.abc import Mapping

ENTRY = "from cognito_passkey.client.cli import main; main()"
CTRL_C = b"\x03"


def _take_the_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class TerminalRun:
    """One CLI process on a fresh pty; ``screen`` is everything it wrote to the terminal."""

    def __init__(self, args: list[str], env: Mapping[str, str] | None = None) -> None:
        self.primary, replica = os.openpty()
        environ = {k: v for k, v in os.environ.items() if k != "CI"}
        environ.update(env or {})
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", ENTRY, *args],
                stdin=replica,
                stdout=subprocess.PIPE,
                stderr=replica,
                env=environ,
                start_new_session=True,
                preexec_fn=_take_the_terminal,
            )
        finally:
            os.close(replica)
        self.screen = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.primary], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.primary, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        text = chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        self.screen += text.replace("^C", "")  # the terminal's own echo of Ctrl-C
        return True

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Read the terminal until ``text`` shows (an AssertionError with the screen if not)."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (
                not self._read(min(remaining, 0.2)) and self.process.poll() is not None
            ):
                if text in self.screen:
                    break
                raise AssertionError(f"{text!r} never showed; the terminal read:\n{self.screen}")

    def type(self, text: str) -> None:
        os.write(self.primary, text.encode())

    def ctrl_c(self) -> None:
        """Press Ctrl-C a moment after the prompt showed, as a person would.

        CPython notices a signal between bytecodes: one landing after the prompt is written
        but before the blocking read starts would wait for that read to return. A person
        never presses that fast; the pause keeps the test from doing so.
        """
        time.sleep(0.5)
        os.write(self.primary, CTRL_C)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Exit code, what the terminal showed, and stdout."""
        try:
            stdout, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, _ = self.process.communicate()
            raise AssertionError(
                f"the CLI did not exit; the terminal read:\n{self.screen}"
            ) from None
        while self._read(0.1):
            pass
        os.close(self.primary)
        return self.process.returncode, self.screen, stdout.decode()


def after(screen: str, prompt: str) -> str:
    """What the terminal showed after ``prompt`` (the prompt's own line excluded)."""
    return screen.split(prompt, 1)[1].split("\n", 1)[-1] if prompt in screen else screen
