"""The plugin against the local AWS: inner pytest runs of the README's example and of tests
that fail or are interrupted, each leaving no user in the pool and no passkey in its table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cognito_passkey.local import Deployment, LocalAws

pytestmark = pytest.mark.e2e

Leftovers = Callable[[], tuple[list[str], int]]


def test_the_readme_example_passes_and_leaves_nothing_behind(
    inner: pytest.Pytester, readme_example: str, local_args: list[str], leftovers: Leftovers
) -> None:
    inner.makepyfile(test_passkeys=readme_example)
    result = inner.runpytest_subprocess(*local_args, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    assert leftovers() == ([], 0)


def test_users_are_real_and_named_per_worker(
    inner: pytest.Pytester,
    local_args: list[str],
    leftovers: Leftovers,
    plugin_aws: tuple[LocalAws, Deployment],
) -> None:
    inner.makepyfile(
        """
        import dataclasses

        def test_seen(passkey_user, passkey_pool):
            found = passkey_pool.admin.admin_get_user(
                UserPoolId=passkey_pool.target.user_pool_id, Username=passkey_user.username
            )
            assert found["Username"].startswith("pytest-main-")
            assert [p.name for p in passkey_user.passkeys()]
            assert passkey_user.client.rp_id == "localhost"
            assert passkey_pool.target.endpoint_url == ENDPOINT

        def test_tokens_close_to_expiry_are_refreshed(passkey_user):
            signed_in = passkey_user.sign_in()
            assert passkey_user.tokens() is signed_in
            passkey_user._tokens = dataclasses.replace(signed_in, expires_at=0)
            fresh = passkey_user.tokens()
            assert fresh.refresh_token == signed_in.refresh_token  # a refresh, not a sign-in
            assert not fresh.expires_within(60)
        """.replace("ENDPOINT", repr(plugin_aws[1].endpoint))
    )
    inner.runpytest_subprocess(*local_args, "-p", "no:cacheprovider").assert_outcomes(passed=2)
    assert leftovers() == ([], 0)


def test_a_failing_test_still_cleans_up(
    inner: pytest.Pytester, local_args: list[str], leftovers: Leftovers
) -> None:
    inner.makepyfile(
        """
        def test_fails(passkey_user, passkey_tokens, passkey_client_factory):
            passkey_client_factory.user()
            assert passkey_tokens.expires_at == 0  # fails (the test output shows no token)

        def test_fails_in_the_session_user(passkey_session_tokens):
            raise RuntimeError("boom")
        """
    )
    result = inner.runpytest_subprocess(*local_args, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*AssertionError*", "*RuntimeError: boom*"])
    assert "eyJ" not in result.stdout.str() + result.stderr.str()  # no JWT in the report
    assert leftovers() == ([], 0)


def test_an_interrupt_inside_a_test_still_cleans_up(
    inner: pytest.Pytester, local_args: list[str], leftovers: Leftovers
) -> None:
    inner.makepyfile(
        """
        def test_first(passkey_session_user):
            pass

        def test_interrupted(passkey_user, passkey_client_factory):
            passkey_client_factory.user()
            raise KeyboardInterrupt

        def test_never_runs(passkey_user):
            pass
        """
    )
    result = inner.runpytest_subprocess(*local_args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert leftovers() == ([], 0)


def test_the_server_of_another_session_is_reused_and_left_running(
    inner: pytest.Pytester,
    local_args: list[str],
    plugin_aws: tuple[LocalAws, Deployment],
) -> None:
    before = plugin_aws[0].info()
    inner.makepyfile("def test_user(passkey_user):\n    pass\n")
    inner.runpytest_subprocess(*local_args, "-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert plugin_aws[0].info() == before is not None


WORKER_RECORD = """
import json, os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def record(request):
    if "passkey_pool" not in request.fixturenames:
        yield
        return
    pool = request.getfixturevalue("passkey_pool")
    yield
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = Path(os.environ["RECORD_DIR"]) / (request.node.name + ".json")
    out.write_text(json.dumps({"worker": worker, "endpoint": pool.target.endpoint_url}))
"""


ON_EACH_WORKER = """
def test_pool(passkey_pool):
    found = passkey_pool.admin.describe_user_pool(UserPoolId=passkey_pool.target.user_pool_id)
    assert found["UserPool"]["Id"] == passkey_pool.target.user_pool_id

def test_passkey_sign_in(passkey_user):
    assert passkey_user.sign_in().id_token
"""
"""Two tests, one on each worker (xdist deals fewer than two a worker round-robin): the pool
the controller deployed, and a passkey user signing in on it. The README example under xdist
runs on a reused server (the next test); here the server's lifetime is what is tested."""


def test_two_xdist_workers_share_one_local_aws(
    inner: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fresh state directory: the controller starts one server before the workers, both
    use it, and it is stopped at the end."""
    state_dir = tmp_path / "fresh-aws"
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(records))
    inner.makeconftest(WORKER_RECORD)
    inner.makepyfile(test_on_each_worker=ON_EACH_WORKER)
    result = inner.runpytest_subprocess(
        *("-n", "2", "--passkey-local", "--passkey-local-dir", str(state_dir)),
        *("-p", "no:cacheprovider"),
    )
    result.assert_outcomes(passed=2)
    seen = [json.loads(p.read_text()) for p in records.iterdir()]
    assert {r["worker"] for r in seen} == {"gw0", "gw1"}
    assert len({r["endpoint"] for r in seen}) == 1
    assert LocalAws(state_dir).info() is None  # stopped by the controller
    assert not (state_dir / "server.json").exists()


def test_two_xdist_workers_on_a_reused_server_leave_nothing(
    inner: pytest.Pytester, readme_example: str, local_args: list[str], leftovers: Leftovers
) -> None:
    inner.makepyfile(test_passkeys=readme_example)
    result = inner.runpytest_subprocess("-n", "2", *local_args, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    assert leftovers() == ([], 0)
