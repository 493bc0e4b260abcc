"""One AWS client per service, region and endpoint for the whole Lambda container.

Built on first use, so a cold start pays for the SDK only in the trigger that needs it, with
short timeouts and two retries: a trigger has five seconds to answer Cognito. Every client
comes from one botocore session, so the second reuses the endpoint data and service list
the first loaded; botocore directly (boto3's clients are botocore's) skips importing boto3's
resource and S3-transfer layers, which no trigger uses. The endpoint variables
(``AWS_ENDPOINT_URL`` and every ``AWS_ENDPOINT_URL_<SERVICE ID>``, which botocore reads
itself) are part of the key because they come from the environment, which tests change.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

_ENDPOINT = "AWS_ENDPOINT_URL"
_lock = threading.Lock()  # a botocore session is not safe to build clients from at once


def client(service: str, *, region: str | None = None, read_timeout: float = 3.0) -> Any:
    """The container's client of ``service`` (``"dynamodb"``, ``"sns"``, ``"cognito-idp"``)."""
    # All of them: botocore names a service's variable from its service id ("Cognito Identity
    # Provider" for cognito-idp), which is not known here before its model is loaded.
    endpoints = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENDPOINT)))
    with _lock:
        return _client(service, region or "", endpoints, read_timeout)


@functools.cache
def _session() -> Any:
    from botocore.session import get_session

    return get_session()


@functools.cache
def _client(
    service: str, region: str, endpoints: tuple[tuple[str, str], ...], read_timeout: float
) -> Any:
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=read_timeout, retries={"max_attempts": 2})
    return _session().create_client(service, region_name=region or None, config=config)
