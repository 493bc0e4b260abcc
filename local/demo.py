"""The end-to-end demo on the local AWS: every step of a passkey's life, timed.

``run_demo`` starts (or reuses) the local AWS, deploys the self-hosted template users deploy
to AWS, creates a user, signs in with a password, adds a passkey from the software
authenticator, signs in with it in both trigger dialects, verifies the ID token against the
pool's JWKS and refreshes. Each step is reported as it ends (``report``), with its time.

Nothing secret leaves this module: the password is made here and dropped, tokens stay in
memory, and only claims that are not secret (sub, username, iss, aud, exp) are reported.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cognito_passkey.client.errors import PasskeyClientError, UsernameExistsError
from cognito_passkey.local.defaults import DEFAULT_PROFILE
from cognito_passkey.local.deploy import Deployment, DeploySpec
from cognito_passkey.local.local_aws import LocalAws

if TYPE_CHECKING:
    from cognito_passkey.authenticator.base import Authenticator
    from cognito_passkey.client.passkey_client import PasskeyClient
    from cognito_passkey.client.tokens import Tokens

DEFAULT_STACK: Final = "cognito-passkey"
AUTHENTICATOR_FILE: Final = "authenticator.json"
PUBLIC_CLAIMS: Final = ("sub", "cognito:username", "iss", "aud", "exp")
"""What the demo shows of a verified ID token: identifiers and expiry, nothing secret."""
DIALECT_CALLS: Final = {"2-call": 2, "3-call": 3}

Report = Callable[["StepResult"], None]


@dataclass(frozen=True)
class StepResult:
    """One step of the demo: whether it worked, how long it took, what it showed."""

    name: str
    ok: bool
    ms: float
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.name, "ok": self.ok, "ms": round(self.ms, 1), "detail": self.detail}


@dataclass
class DemoResult:
    """What the demo did; JSON-ready through ``to_dict`` (no secret in it)."""

    state_dir: Path
    username: str = ""
    endpoint: str = ""
    deployment: Deployment | None = None
    profile: str | None = None
    config_file: Path | None = None
    authenticator_file: Path | None = None
    server_reused: bool = False
    steps: list[StepResult] = field(default_factory=list)
    cognito_calls: dict[str, list[str]] = field(default_factory=dict)
    """Per passkey sign-in, the Cognito operations it made, in order."""
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        deployment = self.deployment
        return {
            "ok": self.ok,
            "username": self.username,
            "endpoint": self.endpoint,
            "server_reused": self.server_reused,
            "state_dir": str(self.state_dir),
            "stack_name": deployment.stack_name if deployment else None,
            "user_pool_id": deployment.user_pool_id if deployment else None,
            "client_id": deployment.client_id if deployment else None,
            "management_url": deployment.management_url if deployment else None,
            "profile": self.profile,
            "config_file": str(self.config_file) if self.config_file else None,
            "authenticator_file": str(self.authenticator_file) if self.authenticator_file else None,
            "cognito_calls": self.cognito_calls,
            "claims": self.claims,
            "steps": [step.to_dict() for step in self.steps],
        }


class DemoStepError(PasskeyClientError):
    """A step of the demo failed; ``step`` names it and ``__cause__`` says why."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"demo step {step!r} failed: {message}")
        self.step = step


def unique_username() -> str:
    """A user name no earlier demo run used."""
    return f"demo-{uuid.uuid4().hex[:10]}"


class _Steps:
    """Runs named steps, times them, records and reports each; the first failure stops all."""

    def __init__(self, result: DemoResult, report: Report) -> None:
        self._result = result
        self._report = report
        self.detail = ""

    @contextmanager
    def step(self, name: str) -> Iterator[_Steps]:
        self.detail = ""
        started = time.perf_counter()
        try:
            yield self
        except Exception as exc:
            elapsed = (time.perf_counter() - started) * 1000
            message = " ".join(str(exc).split()) or type(exc).__name__
            self._add(StepResult(name, False, elapsed, message))
            raise DemoStepError(name, message) from exc
        elapsed = (time.perf_counter() - started) * 1000
        self._add(StepResult(name, True, elapsed, self.detail))

    def _add(self, step: StepResult) -> None:
        self._result.steps.append(step)
        self._report(step)


class _CallLog:
    """The Cognito operations a boto3 client makes (to tell the dialects apart by count)."""

    def __init__(self, boto_client: Any) -> None:
        self.operations: list[str] = []
        boto_client.meta.events.register("before-call", self._record)

    def _record(self, model: Any, **_kwargs: Any) -> None:
        self.operations.append(str(model.name))

    def since(self, mark: int) -> list[str]:
        """The operations made after ``mark`` (an earlier ``len(operations)``)."""
        return self.operations[mark:]


def dialect_of(operations: list[str]) -> str:
    """``2-call`` or ``3-call`` from the operations of one passkey sign-in."""
    if operations[:1] != ["InitiateAuth"] or any(
        op != "RespondToAuthChallenge" for op in operations[1:]
    ):
        return "unknown (" + ", ".join(operations) + ")"
    return f"{len(operations)}-call"


def run_demo(
    aws: LocalAws,
    *,
    username: str | None = None,
    stack_name: str = DEFAULT_STACK,
    profile: str | None = DEFAULT_PROFILE,
    config_path: str | os.PathLike[str] | None = None,
    authenticator_file: str | os.PathLike[str] | None = None,
    report: Report = lambda _step: None,
    echo: bool = False,
) -> DemoResult:
    """Run every step against ``aws`` (started here unless it runs); raises ``DemoStepError``.

    ``profile`` (None: none) is written like ``local up`` writes it, pointing at the same
    software-authenticator file the demo used, so the CLI can carry on by hand. The stack
    and the server are left running. ``echo`` lets a first start say that it is making
    ministack's environment (stderr).
    """
    result = DemoResult(state_dir=aws.state_dir)
    steps = _Steps(result, report)
    store_path = Path(authenticator_file or aws.state_dir / AUTHENTICATOR_FILE).absolute()
    result.authenticator_file = store_path
    name = username or unique_username()
    result.username = name

    with steps.step("start the local AWS") as s:
        running = aws.info()
        result.server_reused = running is not None
        info = running or aws.start(echo=echo)
        result.endpoint = info.endpoint
        s.detail = f"{info.endpoint} ({'already running' if running else 'started'})"

    with steps.step("deploy the self-hosted stack") as s:
        deployment = aws.deploy(DeploySpec(stack_name=stack_name, identity_pool=True))
        result.deployment = deployment
        s.detail = f"stack {stack_name}, user pool {deployment.user_pool_id}"

    if profile:
        with steps.step("write the client profile") as s:
            result.config_file = aws.write_profile(
                deployment, name=profile, authenticator=f"soft:{store_path}", path=config_path
            )
            result.profile = profile
            s.detail = f"profile {profile!r} in {result.config_file}"

    with steps.step("open the software authenticator") as s:
        existed = store_path.exists()
        authenticator = _software_authenticator(store_path, deployment.origin)
        s.detail = f"{store_path} ({'existing' if existed else 'new'}, private to you: 0600)"

    client = deployment.passkey_client(authenticator)
    calls = _CallLog(client.api.client)
    from cognito_passkey.client.passwords import generate_password

    password = generate_password()
    try:
        with steps.step("create the user") as s:
            s.detail = _create_user(client, name, password)
        with steps.step("sign in with the password (SRP)") as s:
            first = client.sign_in_password(name, password)
            s.detail = "tokens received"
    finally:
        del password

    with steps.step("add a passkey (software authenticator)") as s:
        s.detail = _add_passkey(client, authenticator, name, first, deployment.rp_id)

    tokens = first
    for label, fast in (("2-call", True), ("3-call", False)):
        step_name = "sign in with the passkey" + ("" if fast else " (3-call, for comparison)")
        with steps.step(step_name) as s:
            mark = len(calls.operations)
            client.fast_signin = fast
            tokens = client.sign_in_passkey(name)
            operations = calls.since(mark)
            result.cognito_calls[label] = operations
            ran = dialect_of(operations)
            if ran != label:
                raise PasskeyClientError(f"expected the {label} dialect, but it ran {ran}")
            s.detail = f"{ran} dialect: {', '.join(operations)}"
    client.fast_signin = True

    with steps.step("verify the ID token (JWKS)") as s:
        claims = client.verify_token(tokens.id_token)
        result.claims = {key: claims[key] for key in PUBLIC_CLAIMS if key in claims}
        if result.claims.get("cognito:username") != name:
            raise PasskeyClientError("the ID token names another user")
        shown = {**result.claims}
        if isinstance(shown.get("exp"), int):
            shown["exp"] = f"{shown['exp']} ({_utc(shown['exp'])})"
        s.detail = ", ".join(f"{key}={value}" for key, value in shown.items())

    with steps.step("refresh the tokens") as s:
        refreshed = refresh_and_check(client, tokens)
        s.detail = f"new ID token verified, valid until {_utc(refreshed.expires_at)}"
    return result


def _software_authenticator(path: Path, origin: str) -> Authenticator:
    """The software authenticator on the store file ``path`` (made 0600 on first write)."""
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.authenticator._files import ensure_private_dir

    if not path.parent.is_dir():
        ensure_private_dir(path.parent)
    return SoftAuthenticator(path, origin=origin)


def authenticator_credentials(authenticator: Authenticator, rp_id: str) -> list[Any]:
    """The credentials a software authenticator holds for ``rp_id`` (never their keys)."""
    store = getattr(authenticator, "store", None)
    if store is None:
        return []
    return list(store.list_credentials(rp_id))


def _add_passkey(
    client: PasskeyClient, authenticator: Authenticator, name: str, tokens: Tokens, rp_id: str
) -> str:
    """Register a passkey; one the pool already knows from this store is kept (a re-run)."""
    from cognito_passkey.authenticator.errors import CredentialExcludedError

    try:
        client.add_passkey(name, tokens.id_token)
    except CredentialExcludedError:
        return f"the store's passkey for {name} is already registered; kept"
    count = len(authenticator_credentials(authenticator, rp_id))
    return f"{count} credential(s) for RP {rp_id} in the store"


def _create_user(client: PasskeyClient, username: str, password: str) -> str:
    """SignUp + AdminConfirmSignUp; an existing user (``--username``) gets the new password."""
    try:
        client.api.call(
            "sign_up",
            context="signup",
            ClientId=client.client_id,
            Username=username,
            Password=password,
        )
    except UsernameExistsError:
        client.api.call(
            "admin_set_user_password",
            context="other",
            UserPoolId=client.user_pool_id,
            Username=username,
            Password=password,
            Permanent=True,
        )
        return f"{username} existed: new random password set (AdminSetUserPassword)"
    client.api.call(
        "admin_confirm_sign_up",
        context="signup",
        UserPoolId=client.user_pool_id,
        Username=username,
    )
    return f"{username} (SignUp + AdminConfirmSignUp, random password, never shown)"


def refresh_and_check(client: PasskeyClient, tokens: Tokens) -> Tokens:
    """Refresh ``tokens`` and verify the new ID token names the same user."""
    if not tokens.refresh_token:
        raise PasskeyClientError("the sign-in returned no refresh token")
    before = client.verify_token(tokens.id_token)
    refreshed = client.refresh(tokens.refresh_token, username=client.username_of(tokens))
    after = client.verify_token(refreshed.id_token)
    if after.get("sub") != before.get("sub"):
        raise PasskeyClientError("the refreshed ID token names another user")
    return refreshed


def _utc(timestamp: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
