"""One AWS client per service, region and endpoint for the whole Lambda container.

Built on first use, so a cold start pays for the SDK only in the trigger that needs it, with
short timeouts and two retries: a trigger has five seconds to answer Cognito. Every client
comes from one botocore session, so the second reuses the endpoint data and service list
the first loaded; botocore directly (boto3's clients are botocore's) skips importing boto3's
resource and S3-transfer layers, which no trigger uses. The endpoint
(``AWS_ENDPOINT_URL_<SERVICE>`` or ``AWS_ENDPOINT_URL``, which botocore reads itself) is part
of the key because it comes from the environment, which tests change.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

_lock = threading.Lock()  # a botocore session is not safe to build clients from at once


def client(service: str, *, region: str | None = None, read_timeout: float = 3.0) -> Any:
    """The container's client of ``service`` (``"dynamodb"``, ``"sns"``, ``"cognito-idp"``)."""
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    endpoint = os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL") or ""
    with _lock:
        return _client(service, region or "", endpoint, read_timeout)


@functools.cache
def _session() -> Any:
    from botocore.session import get_session

    return get_session()


@functools.cache
def _client(service: str, region: str, endpoint: str, read_timeout: float) -> Any:
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=read_timeout, retries={"max_attempts": 2})
    return _session().create_client(service, region_name=region or None, config=config)
