"""The end-to-end suite's fixtures come from the ``stack_fixtures`` plugin (tests/conftest.py
registers it): one local AWS per session, shared with the client tests, with the self-hosted
and LoginID stacks deployed from the real templates. ``e2e_support`` is importable because
this folder is on ``pythonpath`` (pyproject.toml)."""
