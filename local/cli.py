"""``cognito-passkey local``: run the local AWS and deploy the passkey stack to it.

Data (JSON) goes to stdout, progress to stderr. ``status`` exits 0 when the server runs and 3
when it does not, so scripts can test it. The modules that do the work (boto3, the layer
builder, the server launcher) load inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from cognito_passkey.client.errors import PasskeyClientError
from cognito_passkey.local import running
from cognito_passkey.local.defaults import (
    BACKEND_LOGINID,
    BACKEND_SELFHOSTED,
    CHALLENGE_TTL_RANGE,
    DEFAULT_CHALLENGE_TTL_SECONDS,
    DEFAULT_PROFILE,
    DEFAULT_RP_ID,
    ENV_STATE_DIR,
)

if TYPE_CHECKING:
    from cognito_passkey.local.deploy import Deployment
    from cognito_passkey.local.local_aws import LocalAws

NOT_RUNNING_EXIT = 3
_F = TypeVar("_F", bound=Callable[..., Any])


def _state_dir_option(function: _F) -> _F:
    option = click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=ENV_STATE_DIR,
        default=None,
        help=f"State directory of the local AWS (default .local-aws; env {ENV_STATE_DIR}). "
        "status and down fall back on the last started server's when ./.local-aws is missing.",
    )
    return option(function)


def _profile_options(function: _F) -> _F:
    for option in (
        click.option(
            "--authenticator",
            default=None,
            help="Authenticator for the profile (default: soft:<state dir>/authenticator.json).",
        ),
        click.option(
            "--no-profile", is_flag=True, help="Do not write a client profile for the stack."
        ),
        click.option(
            "--profile",
            default=DEFAULT_PROFILE,
            show_default=True,
            help="Client profile to write for the stack.",
        ),
        click.option(
            "--stack-name", default="cognito-passkey", show_default=True, help="Stack name."
        ),
    ):
        function = option(function)
    return function


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the library's errors into a one-line click error (exit code 1)."""
    try:
        yield
    except PasskeyClientError as exc:
        raise click.ClickException(str(exc)) from exc


def _local_aws(state_dir: Path | None) -> LocalAws:
    from cognito_passkey.local.local_aws import LocalAws

    return LocalAws(state_dir)


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _summary(deployment: Deployment, profile_path: Path | None, profile: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "stack_name": deployment.stack_name,
        "backend": deployment.backend,
        **deployment.profile_settings(),
    }
    if profile_path is not None:
        summary["profile"] = profile
        summary["config_file"] = str(profile_path)
    return summary


@click.group("local")
def local() -> None:
    """Run a local AWS (ministack) with the passkey stack deployed, on 127.0.0.1."""


@local.command("up")
@_state_dir_option
@_profile_options
@click.option(
    "--port", type=click.IntRange(1024, 65535), default=None, help="Port (default: free)."
)
@click.option("--rp-id", default=DEFAULT_RP_ID, show_default=True, help="WebAuthn RP ID.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="Allowed origin; repeat for several (default https://<rp-id>).",
)
@click.option(
    "--user-verification",
    type=click.Choice(["required", "preferred", "discouraged"]),
    default="preferred",
    show_default=True,
)
@click.option("--no-fast-signin", is_flag=True, help="Round 1 carries no assertion options.")
@click.option(
    "--challenge-ttl-seconds",
    type=click.IntRange(*CHALLENGE_TTL_RANGE),
    default=DEFAULT_CHALLENGE_TTL_SECONDS,
    show_default=True,
    help="How long a WebAuthn challenge stays valid (self-hosted backend).",
)
@click.option(
    "--loginid-base-url",
    default=None,
    help="Deploy the LoginID template against this LoginID(-compatible) server instead.",
)
@click.option(
    "--loginid-private-key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="PEM file of the LoginID tenant's ES256 private key (with --loginid-base-url).",
)
@click.option(
    "--identity-pool/--no-identity-pool",
    default=True,
    show_default=True,
    help="Add the Cognito identity pool (CreateIdentityPool) and write identity_pool_id "
    "into the profile, for `cognito-passkey aws-credentials`.",
)
def up(
    state_dir: Path | None,
    stack_name: str,
    profile: str,
    no_profile: bool,
    authenticator: str | None,
    port: int | None,
    rp_id: str,
    origins: tuple[str, ...],
    user_verification: str,
    no_fast_signin: bool,
    challenge_ttl_seconds: int,
    loginid_base_url: str | None,
    loginid_private_key_file: Path | None,
    identity_pool: bool,
) -> None:
    """Start the local AWS (once) and deploy the stack; write the client profile."""
    if (loginid_base_url is None) != (loginid_private_key_file is None):
        raise click.UsageError("--loginid-base-url and --loginid-private-key-file go together")
    from cognito_passkey.authenticator.origins import default_origin
    from cognito_passkey.local.deploy import DeploySpec

    with _reported():
        spec = DeploySpec(
            backend=BACKEND_LOGINID if loginid_base_url else BACKEND_SELFHOSTED,
            stack_name=stack_name,
            rp_id=rp_id,
            origins=origins or (default_origin(rp_id),),
            user_verification=user_verification,
            fast_signin=not no_fast_signin,
            challenge_ttl_seconds=challenge_ttl_seconds,
            identity_pool=identity_pool,
            loginid_base_url=loginid_base_url,
            loginid_private_key_file=(
                loginid_private_key_file.absolute() if loginid_private_key_file else None
            ),
        )
        aws = _local_aws(state_dir)
        click.echo(f"starting the local AWS for {aws.state_dir} ...", err=True)
        info = aws.start(port=port, echo=True)
        running.remember(aws.state_dir)
        click.echo(f"local AWS at {info.endpoint}; deploying {spec.backend} stack ...", err=True)
        deployment = aws.deploy(spec)
        path = None
        if not no_profile:
            path = aws.write_profile(deployment, name=profile, authenticator=authenticator)
            click.echo(f"wrote profile {profile!r} to {path}", err=True)
        click.echo(f"stop it with: {stop_command(aws.state_dir)}", err=True)
        _emit(_summary(deployment, path, profile))


def _found_local_aws(state_dir: Path | None) -> LocalAws:
    """The local AWS ``status``/``down`` act on, saying so when it came from the record."""
    found, from_record = running.find_state_dir(state_dir)
    if from_record:
        click.echo(f"using the last started local AWS, {found}", err=True)
    return _local_aws(found)


def _not_found_hint(aws: LocalAws) -> str:
    return (
        f"no local AWS was running for {aws.state_dir} (pass --state-dir or set "
        f"{ENV_STATE_DIR}; the last one started is recorded in {running.pointer_path()})"
    )


@local.command("down")
@_state_dir_option
def down(state_dir: Path | None) -> None:
    """Stop the local AWS (its data goes with it); works from any directory."""
    with _reported():
        aws = _found_local_aws(state_dir)
        stopped = aws.stop()
        running.forget(aws.state_dir)
    click.echo("stopped" if stopped else _not_found_hint(aws), err=True)


@local.command("status")
@_state_dir_option
def status(state_dir: Path | None) -> None:
    """Whether the local AWS runs, where, and which stacks are deployed."""
    with _reported():
        aws = _found_local_aws(state_dir)
        report = aws.status()
    _emit(report)
    if not report["running"]:
        click.echo(_not_found_hint(aws), err=True)
        raise click.exceptions.Exit(NOT_RUNNING_EXIT)


@local.command("reset")
@_state_dir_option
@_profile_options
def reset(
    state_dir: Path | None,
    stack_name: str,
    profile: str,
    no_profile: bool,
    authenticator: str | None,
) -> None:
    """Empty the local AWS (users, passkeys, stacks) and deploy the stacks again."""
    with _reported():
        aws = _local_aws(state_dir)
        deployments = aws.reset()
        summaries = []
        for deployment in deployments:
            path = None
            if not no_profile and deployment.stack_name == stack_name:
                path = aws.write_profile(deployment, name=profile, authenticator=authenticator)
                click.echo(f"wrote profile {profile!r} to {path}", err=True)
            summaries.append(_summary(deployment, path, profile))
    click.echo(f"reset; {len(summaries)} stack(s) deployed again", err=True)
    _emit(summaries)


@local.command("demo")
@_state_dir_option
@click.option("--username", default=None, help="User to create (default: a fresh demo-<hex>).")
@click.option(
    "--profile",
    default=DEFAULT_PROFILE,
    show_default=True,
    help="Client profile to write, for trying the CLI by hand afterwards.",
)
@click.option("--no-profile", is_flag=True, help="Do not write a client profile.")
@click.option("--stack-name", default="cognito-passkey", show_default=True, help="Stack name.")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: also print a summary (steps, timings, public claims) on stdout.",
)
def demo(
    state_dir: Path | None,
    username: str | None,
    profile: str,
    no_profile: bool,
    stack_name: str,
    output: str,
) -> None:
    """Run the whole story on the local AWS: deploy, sign up, passkey, sign in, verify.

    Starts the local AWS (or reuses the running one), deploys the self-hosted stack, creates
    a user, signs in with a password, adds a passkey from the software authenticator, signs
    in with it (2-call dialect, then 3-call for comparison), verifies the ID token against
    the pool's JWKS and refreshes. Each step goes to stderr with its time; no password,
    token or key is ever printed. The stack stays up for trying the CLI by hand.
    """
    from cognito_passkey.client import exit_codes
    from cognito_passkey.local.demo import DemoStepError, StepResult, run_demo

    def report(step: StepResult) -> None:
        mark = "ok  " if step.ok else "FAIL"
        line = f"[{mark}] {step.ms:8.0f} ms  {step.name}"
        if step.ok and step.detail:
            line += f": {step.detail}"
        click.echo(line, err=True)

    aws = _local_aws(state_dir)
    click.echo(f"cognito-passkey demo on the local AWS ({aws.state_dir})", err=True)
    try:
        result = run_demo(
            aws,
            username=username,
            stack_name=stack_name,
            profile=None if no_profile else profile,
            report=report,
            echo=True,
        )
    except DemoStepError as exc:
        if aws.info() is not None:
            running.remember(aws.state_dir)
        cause = exc.__cause__ or exc
        click.echo(f"error: {exc} (server log: {aws.state_dir / 'ministack.log'})", err=True)
        raise click.exceptions.Exit(exit_codes.for_exception(cause) or 1) from None
    running.remember(aws.state_dir)
    total = sum(step.ms for step in result.steps)
    click.echo(f"All {len(result.steps)} steps passed in {total / 1000:.1f} s.", err=True)
    pool = result.deployment is not None and "IdentityPoolId" in result.deployment.outputs
    commands = next_commands(
        result.username, None if no_profile else profile, aws.state_dir, identity_pool=pool
    )
    click.echo("", err=True)
    if not no_profile:
        click.echo("The stack is still up. Try the CLI by hand:", err=True)
        for command in commands["try"]:
            click.echo(f"  {command}", err=True)
    click.echo("Stop the local AWS (its data goes with it):", err=True)
    click.echo(f"  {commands['stop']}", err=True)
    if output == "json":
        _emit({**result.to_dict(), "next_commands": commands})


def stop_command(state_dir: Path) -> str:
    """``local down`` for ``state_dir``, runnable from any directory."""
    import shlex

    return f"{_program()} local down --state-dir {shlex.quote(str(state_dir.absolute()))}"


def next_commands(
    username: str, profile: str | None, state_dir: Path, *, identity_pool: bool = False
) -> dict[str, Any]:
    """Exact commands to carry on after the demo, runnable from any directory; each names
    the user (a default user comes only from a profile's ``user``, which the demo leaves
    alone)."""
    import shlex

    program = _program()
    tried = []
    if profile:
        on = f"--profile {shlex.quote(profile)}"
        user = shlex.quote(username)
        tried = [
            f"{program} sign-in {user} {on}",
            f"{program} token {user} {on}",
            f"{program} passkeys list --user {user} {on}",
        ]
        if identity_pool:
            tried.append(f"{program} aws-credentials {user} {on}")
    return {"try": tried, "stop": stop_command(state_dir)}


def _program() -> str:
    """``cognito-passkey`` if that is what PATH finds, else the path this one runs from."""
    import shlex
    import shutil
    import sys

    running = Path(sys.argv[0]).absolute() if sys.argv and sys.argv[0] else None
    found = shutil.which("cognito-passkey")
    if running is None or running.name != "cognito-passkey":
        return "cognito-passkey"
    if found and Path(found).resolve() == running.resolve():
        return "cognito-passkey"
    return shlex.quote(str(running))


def main() -> None:  # pragma: no cover - ``python -m cognito_passkey.local.cli``
    local(prog_name="cognito-passkey local")


if __name__ == "__main__":  # pragma: no cover
    main()
