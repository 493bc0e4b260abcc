"""User-pool ids and the addresses derived from them: region, token issuer, JWKS.

Cognito names a pool ``<region>_<id>`` and signs its tokens with ``iss`` set to the AWS
address of the pool, even on a local AWS; the keys live at ``<endpoint>/<pool>/.well-known/
jwks.json`` wherever the endpoint is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

REGION: Final = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
"""``eu-west-1``: two letters, one or more words, one digit."""
USER_POOL_ID: Final = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]{1,64}$")
"""``eu-west-1_AbC123``: a region, an underscore, up to 64 letters and digits."""
IDENTITY_POOL_ID: Final = re.compile(
    r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
"""``eu-west-1:0c3ef3f2-...``: an identity pool's id, a region, a colon and a UUID."""
COGNITO_ENDPOINT_ENV: Final = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
"""The Cognito endpoint variable botocore reads (named from the service id, "Cognito Identity
Provider", not from ``cognito-idp``); ``AWS_ENDPOINT_URL`` is the fallback for every service."""


def cognito_endpoint_from_env(env: Mapping[str, str]) -> str | None:
    """The Cognito endpoint botocore takes from ``env``, so the JWKS is read where the
    Cognito calls go; None: AWS itself."""
    return env.get(COGNITO_ENDPOINT_ENV) or env.get("AWS_ENDPOINT_URL") or None


def is_user_pool_id(value: object) -> bool:
    """True when ``value`` is a well-formed user pool id."""
    return isinstance(value, str) and USER_POOL_ID.match(value) is not None


def region_of(user_pool_id: str) -> str:
    """``eu-west-1_AbC`` -> ``eu-west-1``; ``ValueError`` when the id is malformed."""
    match = USER_POOL_ID.match(user_pool_id)
    if match is None:
        raise ValueError(
            f"user pool id {user_pool_id!r} is malformed (expected REGION_ID, "
            "like eu-west-1_AbCdEf123)"
        )
    return match.group("region")


def issuer(user_pool_id: str) -> str:
    """The ``iss`` claim of every token of the pool (always the AWS form)."""
    return f"https://cognito-idp.{region_of(user_pool_id)}.amazonaws.com/{user_pool_id}"


def jwks_url(user_pool_id: str, endpoint_url: str | None = None) -> str:
    """Where the pool's signing keys are: on ``endpoint_url`` when one is set, else on AWS."""
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"
    return f"{issuer(user_pool_id)}/.well-known/jwks.json"
