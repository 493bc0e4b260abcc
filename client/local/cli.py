"""``cognito-passkey local``: run the local AWS and deploy the passkey stack to it.

Data (JSON) goes to stdout, progress to stderr. ``status`` exits 0 when the server runs and 3
when it does not, so scripts can test it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from cognito_passkey.client.errors import PasskeyClientError
from cognito_passkey.client.local.deploy import (
    BACKEND_LOGINID,
    BACKEND_SELFHOSTED,
    DEFAULT_ORIGIN,
    DEFAULT_RP_ID,
    Deployment,
    DeploySpec,
)
from cognito_passkey.client.local.local_aws import DEFAULT_PROFILE, ENV_STATE_DIR, LocalAws

NOT_RUNNING_EXIT = 3
_F = TypeVar("_F", bound=Callable[..., Any])


def _state_dir_option(function: _F) -> _F:
    option = click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=ENV_STATE_DIR,
        default=None,
        help=f"State directory of the local AWS (default .local-aws; env {ENV_STATE_DIR}).",
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
    help=f"Allowed origin; repeat for several (default {DEFAULT_ORIGIN}).",
)
@click.option(
    "--user-verification",
    type=click.Choice(["required", "preferred", "discouraged"]),
    default="preferred",
    show_default=True,
)
@click.option("--no-fast-signin", is_flag=True, help="Round 1 carries no assertion options.")
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
    loginid_base_url: str | None,
    loginid_private_key_file: Path | None,
) -> None:
    """Start the local AWS (once) and deploy the stack; write the client profile."""
    if (loginid_base_url is None) != (loginid_private_key_file is None):
        raise click.UsageError("--loginid-base-url and --loginid-private-key-file go together")
    with _reported():
        spec = DeploySpec(
            backend=BACKEND_LOGINID if loginid_base_url else BACKEND_SELFHOSTED,
            stack_name=stack_name,
            rp_id=rp_id,
            origins=origins
            or ((DEFAULT_ORIGIN,) if rp_id == DEFAULT_RP_ID else (f"https://{rp_id}",)),
            user_verification=user_verification,
            fast_signin=not no_fast_signin,
            loginid_base_url=loginid_base_url,
            loginid_private_key_file=(
                loginid_private_key_file.absolute() if loginid_private_key_file else None
            ),
        )
        aws = LocalAws(state_dir)
        click.echo(f"starting the local AWS for {aws.state_dir} ...", err=True)
        info = aws.start(port=port, echo=True)
        click.echo(f"local AWS at {info.endpoint}; deploying {spec.backend} stack ...", err=True)
        deployment = aws.deploy(spec)
        path = None
        if not no_profile:
            path = aws.write_profile(deployment, name=profile, authenticator=authenticator)
            click.echo(f"wrote profile {profile!r} to {path}", err=True)
        _emit(_summary(deployment, path, profile))


@local.command("down")
@_state_dir_option
def down(state_dir: Path | None) -> None:
    """Stop the local AWS (its data goes with it)."""
    with _reported():
        aws = LocalAws(state_dir)
        stopped = aws.stop()
    click.echo("stopped" if stopped else f"no local AWS was running for {aws.state_dir}", err=True)


@local.command("status")
@_state_dir_option
def status(state_dir: Path | None) -> None:
    """Whether the local AWS runs, where, and which stacks are deployed."""
    with _reported():
        report = LocalAws(state_dir).status()
    _emit(report)
    if not report["running"]:
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
        aws = LocalAws(state_dir)
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


def main() -> None:  # pragma: no cover - ``python -m cognito_passkey.client.local.cli``
    local(prog_name="cognito-passkey local")


if __name__ == "__main__":  # pragma: no cover
    main()
