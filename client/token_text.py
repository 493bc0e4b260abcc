"""Tokens as the CLI prints them on stdout (``-o token``, ``json``, ``env``), without click.

:func:`cognito_passkey.client.cli_output.emit_tokens` prints these lines, and so does the
cache-hit fast path (:mod:`cognito_passkey.client.token_fast_path`), which runs before click
is imported: one text for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from cognito_passkey.client.tokens import Tokens

Output = Literal["text", "json", "env", "token"]
Which = Literal["id", "access", "all"]

TOKEN_DEFAULT_OUTPUT: Final = "token"  # noqa: S105 - an output name, not a secret
"""What ``cognito-passkey token`` prints without ``--output``: the bare token."""
LINE_OUTPUTS: Final = ("token", "json", "env")
"""The token outputs :func:`token_lines` writes (``text`` is a table: ``cli_output``)."""

ENV_NAMES = {
    "id_token": "COGNITO_ID_TOKEN",
    "access_token": "COGNITO_ACCESS_TOKEN",
    "refresh_token": "COGNITO_REFRESH_TOKEN",
    "expires_at": "COGNITO_TOKEN_EXPIRES_AT",
}


def token_fields(tokens: Tokens, which: Which) -> dict[str, Any]:
    """The selected tokens as a dict (``all`` adds the refresh token and expiry)."""
    if which == "id":
        return {"id_token": tokens.id_token}
    if which == "access":
        return {"access_token": tokens.access_token}
    return tokens.to_dict()


def token_lines(tokens: Tokens, output: str, which: Which, username: str | None) -> list[str]:
    """The stdout lines of ``-o token|json|env`` (``-o token`` with ``all`` is the caller's
    usage error). ``env`` always carries the expiry (COGNITO_TOKEN_EXPIRES_AT)."""
    selected = token_fields(tokens, which)
    if output == "token":
        return [str(next(iter(selected.values())))]
    if output == "env":
        import shlex

        selected.setdefault("expires_at", tokens.expires_at)
        return [
            f"export {ENV_NAMES[key]}={shlex.quote(str(value))}"
            for key, value in selected.items()
            if key in ENV_NAMES and value is not None
        ]
    if output != "json":
        raise ValueError(f"not a line output: {output!r}")
    import json

    document = dict(selected)
    if username is not None and which == "all":
        document["username"] = username
    return [json.dumps(document, indent=2)]
