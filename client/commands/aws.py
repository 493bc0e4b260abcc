"""AWS credentials from a passkey: ``aws-credentials``, the AWS CLI's credential_process."""

from __future__ import annotations

import json

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import chosen_user, settings_options
from cognito_passkey.client.cli_output import progress, summary
from cognito_passkey.client.cli_support import Library, cache_for, pass_library
from cognito_passkey.client.config import Settings


@click.command("aws-credentials", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--role-arn",
    default=None,
    help="The role to ask for (CustomRoleArn); default: the identity pool's authenticated role.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write cached AWS credentials (the ID token still comes from the "
    "token cache).",
)
@settings_options
@pass_library
def aws_credentials(
    library: Library,
    username: str | None,
    role_arn: str | None,
    no_cache: bool,
    settings: Settings,
) -> None:
    """Print AWS credentials of USERNAME (default: the profile's user) as the AWS CLI's
    credential_process JSON.

    USERNAME's ID token (cached, refreshed, or from the passkey, as `token` gets it) is
    exchanged through the Cognito identity pool (identity_pool_id) for temporary AWS
    credentials; no AWS credentials are needed for that. They are cached until 15
    minutes before they expire (when the AWS CLI starts asking for new ones). In ~/.aws/config:

    \b
        [profile prod]
        credential_process = cognito-passkey aws-credentials alice --profile prod
    """
    from cognito_passkey.client.aws_credentials import (
        CredentialsCache,
        CredentialsKey,
        IdentityPoolApi,
        obtain_credentials,
    )
    from cognito_passkey.client.errors import ConfigurationError
    from cognito_passkey.client.token_source import obtain_tokens

    name, default_of = chosen_user(username, settings, name="USERNAME")
    if default_of:
        progress(f"AWS credentials of {name} ({default_of})")
    settings.require_pool()
    if not settings.identity_pool_id:
        raise ConfigurationError(
            f"no identity pool for profile {settings.profile!r}: pass --identity-pool-id, set "
            "COGNITO_PASSKEY_IDENTITY_POOL_ID, or run `cognito-passkey config set "
            "identity_pool_id=REGION:UUID` (the stack output IdentityPoolId)"
        )
    assert settings.user_pool_id is not None and settings.client_id is not None
    key = CredentialsKey(
        profile=settings.profile,
        username=name,
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
        identity_pool_id=settings.identity_pool_id,
        endpoint_url=settings.endpoint_url,
        role_arn=role_arn or None,
    )
    api = IdentityPoolApi(settings.identity_pool_id, endpoint_url=settings.endpoint_url)

    def id_token() -> str:
        token_cache, token_key = cache_for(settings)
        got = obtain_tokens(
            library.factory(settings), token_cache, token_key, name, notify=progress
        )
        if got.source != "cache":
            progress(summary(got.tokens, got.username, got.source))
        return got.tokens.id_token

    got = obtain_credentials(key, id_token, api, None if no_cache else CredentialsCache())
    if got.source != "cache":
        progress(f"AWS credentials for {name} from identity pool {key.identity_pool_id}.")
    click.echo(json.dumps(got.credentials.process_output()))
