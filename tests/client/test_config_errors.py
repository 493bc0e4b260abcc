"""A malformed config file is reported without its text (it may hold the client secret)."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from cognito_passkey.client.config import load_profile, write_profile
from cognito_passkey.client.errors import ConfigurationError

SECRET = "s3cr3t-client-secret-value"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"client_secret = {SECRET}\n", 1),  # no section header
        (f"[default]\nclient_id = abc\nclient_secret {SECRET}\n", 3),  # no '='
    ],
)
def test_malformed_config_error_and_traceback_never_show_the_secret(
    tmp_path: Path, text: str, line: int
) -> None:
    path = tmp_path / "config.ini"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as caught:
        load_profile("default", path=path)
    printed = "".join(traceback.format_exception(caught.value))  # what --debug prints
    assert SECRET not in printed
    assert f"line {line}" in str(caught.value)


def test_write_profile_leaves_a_malformed_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    text = f"[default]\nclient_secret {SECRET}\n"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match="malformed"):
        write_profile("other", {"client_id": "abc"}, path=path)
    assert path.read_text() == text
