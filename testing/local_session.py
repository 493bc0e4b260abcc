"""``--passkey-local``: the local AWS of a test session, started (or reused) once.

A server already running for the state directory (``cognito-passkey local up``, or an outer
test session) is reused and left running; one started here is stopped at the session's end.
The self-hosted stack (``DeploySpec()``) is reused when it is already deployed, else
deployed. Under pytest-xdist only the controller does this; workers get the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cognito_passkey.testing.target import PoolTarget, from_settings

if TYPE_CHECKING:
    from cognito_passkey.local import LocalAws


class LocalSession:
    """Starts the local AWS on first :meth:`target` call; :meth:`close` stops what it started."""

    def __init__(self, state_dir: Path | None) -> None:
        self._state_dir = state_dir
        self._aws: LocalAws | None = None
        self._started = False
        self._target: PoolTarget | None = None

    @property
    def started(self) -> bool:
        """Whether this session started the server (and so will stop it)."""
        return self._started

    def target(self) -> PoolTarget:
        if self._target is None:
            self._target = self._open()
        return self._target

    def _open(self) -> PoolTarget:
        from cognito_passkey.local import DeploySpec, LocalAws
        from cognito_passkey.local.deploy import stack_outputs

        aws = LocalAws(self._state_dir, stop_with_parent=True)
        self._aws = aws
        if aws.info() is None:
            aws.start()
            self._started = aws.info() is not None
        spec = DeploySpec()
        recorded = aws.deployments().get(spec.stack_name)
        if recorded is not None and stack_outputs(aws.endpoint, spec.stack_name) is not None:
            deployment = recorded
        else:
            deployment = aws.deploy(spec)
        return from_settings(deployment.profile_settings(), source=f"local AWS {aws.state_dir}")

    def close(self) -> None:
        if self._aws is not None and self._started:
            self._aws.stop()
        self._started = False
