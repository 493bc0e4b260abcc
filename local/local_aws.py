"""One local AWS per state directory: the server, its deployments, and the client profile.

    with LocalAws(tmp_path) as aws:
        deployment = aws.deploy(DeploySpec())       # the selfhosted template, new user pool
        deployment.user_pool_id, deployment.client_id, deployment.management_url

The state directory (``.local-aws/`` in the working directory by default, or
``$COGNITO_PASSKEY_LOCAL_DIR``) holds the server's pid and port, its data and log, the build
outputs, and what was deployed (``deployments.json``; never a private key, only the path of
a key file when one was given).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from cognito_passkey.authenticator._files import ensure_private_dir, write_private
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local import runtime, server
from cognito_passkey.local.defaults import (
    BACKEND_LOGINID,
    DEFAULT_PROFILE,
    default_state_dir,
)
from cognito_passkey.local.deploy import Deployment, DeploySpec
from cognito_passkey.local.errors import LocalAwsError
from filelock import FileLock

DEPLOYMENTS_FILE: Final = "deployments.json"


class LocalAws:
    """A ministack server for one state directory, and the stacks deployed to it."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        runtime_cache: Path | None = None,
        build_cache: Path | None = None,
        stop_with_parent: bool = False,
    ) -> None:
        """``stop_with_parent`` (Linux): the server dies with this process (for tests)."""
        self.state_dir = Path(state_dir).absolute() if state_dir else default_state_dir()
        self._runtime_cache = runtime_cache
        self._build_cache = build_cache
        self._process: subprocess.Popen[bytes] | None = None
        self._specs: dict[str, DeploySpec] = {}
        self._lock: FileLock | None = None
        self._stop_with_parent = stop_with_parent

    def _locked(self) -> FileLock:
        """One change at a time per state directory (two ``up`` at once wait for each other)."""
        if self._lock is None:
            ensure_private_dir(self.state_dir)
            self._lock = FileLock(str(self.state_dir / ".lock"), timeout=300, mode=0o600)
        return self._lock

    # --- the server ---------------------------------------------------------------------

    def info(self) -> server.ServerInfo | None:
        """The running server of this state directory, or None."""
        return server.running_info(self.state_dir)

    @property
    def endpoint(self) -> str:
        """The server's URL; raises when it is not running."""
        return self._require().endpoint

    def start(self, *, port: int | None = None, echo: bool = False) -> server.ServerInfo:
        """Start the server unless it already runs; returns its details."""
        with self._locked():
            running = self.info()
            if running is not None:
                return running
            env = runtime.ensure_runtime(self._runtime_cache, echo=echo)
            info, self._process = server.start(
                self.state_dir, env, port=port, stop_with_parent=self._stop_with_parent
            )
            # A fresh server holds nothing: what was recorded belongs to a previous run.
            (self.state_dir / DEPLOYMENTS_FILE).unlink(missing_ok=True)
            return info

    def stop(self) -> bool:
        """Stop the server (SIGTERM, then SIGKILL); false when none was running."""
        if not self.state_dir.is_dir():
            return False
        with self._locked():
            stopped = server.stop(self.state_dir, self._process)
            self._process = None
            return stopped

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _require(self) -> server.ServerInfo:
        info = self.info()
        if info is None:
            raise LocalAwsError(
                f"no local AWS runs for {self.state_dir}: run `cognito-passkey local up`"
            )
        return info

    # --- deployments ----------------------------------------------------------------------

    def deploy(self, spec: DeploySpec | None = None) -> Deployment:
        """Deploy ``spec`` (default: selfhosted, RP ``localhost``) and record it."""
        spec = spec or DeploySpec()
        self._require()  # fail before creating anything
        with self._locked():
            info = self._require()
            deployment = deploying.deploy_stack(
                info.endpoint,
                spec,
                python_version=info.python_version,
                build_dir=self.state_dir / "build",
                cache_dir=self._build_cache,
            )
            self._specs[spec.stack_name] = spec
            self._record(deployment, spec)
            return deployment

    def deployments(self) -> dict[str, Deployment]:
        """What was deployed to the running server, by stack name."""
        return {
            name: Deployment.from_dict(entry["deployment"])
            for name, entry in self._recorded().items()
        }

    def reset(self) -> list[Deployment]:
        """Empty the server (``POST /_ministack/reset``) and deploy every stack again."""
        self._require()
        with self._locked():
            info = self._require()
            specs = [self._spec_for(name, entry) for name, entry in self._recorded().items()]
            server.reset(info.endpoint)
            (self.state_dir / DEPLOYMENTS_FILE).unlink(missing_ok=True)
            return [self.deploy(spec) for spec in specs]

    def status(self) -> dict[str, Any]:
        """Whether the server runs, where, and what is deployed (JSON-ready)."""
        info = self.info()
        report: dict[str, Any] = {"state_dir": str(self.state_dir), "running": info is not None}
        if info is None:
            return report
        report["server"] = server.describe(info)
        report["answers"] = server.answers(info.endpoint)
        stacks = {}
        for name, deployment in self.deployments().items():
            live = deploying.stack_outputs(info.endpoint, name)
            stacks[name] = {
                "backend": deployment.backend,
                "deployed": live is not None,
                "user_pool_id": deployment.outputs.get("UserPoolId"),
                "client_id": deployment.outputs.get("UserPoolClientId"),
                "management_url": deployment.management_url,
            }
        report["stacks"] = stacks
        return report

    def write_profile(
        self,
        deployment: Deployment,
        *,
        name: str = DEFAULT_PROFILE,
        authenticator: str | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> Path:
        """Write the client profile ``name`` for ``deployment``; returns the config file.

        ``authenticator`` defaults to a software authenticator stored in the state directory.
        """
        from cognito_passkey.client.config import write_profile

        settings = deployment.profile_settings()
        if authenticator is None:
            from cognito_passkey.authenticator.soft_authenticator import create_store

            store = self.state_dir / "authenticator.json"
            create_store(store)  # a soft:PATH profile names an existing store
            authenticator = f"soft:{store}"
        settings["authenticator"] = authenticator
        return write_profile(name, settings, path=path)

    # --- the record of deployments --------------------------------------------------------

    def _recorded(self) -> dict[str, dict[str, Any]]:
        try:
            text = (self.state_dir / DEPLOYMENTS_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise LocalAwsError(f"{self.state_dir / DEPLOYMENTS_FILE} is damaged") from exc
        if not isinstance(data, dict):
            raise LocalAwsError(f"{self.state_dir / DEPLOYMENTS_FILE} is damaged")
        return data

    def _record(self, deployment: Deployment, spec: DeploySpec) -> None:
        ensure_private_dir(self.state_dir)
        recorded = self._recorded()
        recorded[deployment.stack_name] = {
            "deployment": deployment.to_dict(),
            "spec": _spec_record(spec),
        }
        text = json.dumps(recorded, indent=2, sort_keys=True) + "\n"
        write_private(self.state_dir / DEPLOYMENTS_FILE, text.encode())

    def _spec_for(self, name: str, entry: Mapping[str, Any]) -> DeploySpec:
        if name in self._specs:
            return self._specs[name]
        record = dict(entry["spec"])
        key_file = record.pop("loginid_private_key_file", None)
        if record.get("backend") == BACKEND_LOGINID and not key_file:
            raise LocalAwsError(
                f"stack {name} was deployed with a LoginID key given directly; "
                "deploy it again with a key file to redeploy it after a reset"
            )
        return DeploySpec(
            **{**record, "origins": tuple(record["origins"])},
            loginid_private_key_file=Path(key_file) if key_file else None,
        )


def _spec_record(spec: DeploySpec) -> dict[str, Any]:
    """The spec without its private key; a key file's path is kept instead."""
    return {
        "backend": spec.backend,
        "stack_name": spec.stack_name,
        "rp_id": spec.rp_id,
        "rp_name": spec.rp_name,
        "origins": list(spec.origins),
        "user_verification": spec.user_verification,
        "fast_signin": spec.fast_signin,
        "challenge_ttl_seconds": spec.challenge_ttl_seconds,
        "identity_pool": spec.identity_pool,
        "loginid_base_url": spec.loginid_base_url,
        "loginid_private_key_file": (
            str(spec.loginid_private_key_file) if spec.loginid_private_key_file else None
        ),
    }
