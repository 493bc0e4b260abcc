"""Helpers of the end-to-end tests (importable: conftest puts this folder on sys.path).

They live in the shared ``stack_fixtures`` plugin; this module keeps the old import path.
"""

from __future__ import annotations

from stack_fixtures import PASSWORD, create_user, passkey_client, unique_username

__all__ = ["PASSWORD", "create_user", "passkey_client", "unique_username"]
