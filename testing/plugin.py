"""The ``cognito_passkey`` pytest plugin: options, the xdist hand-off, and the fixtures.

Loaded by pytest from the ``pytest11`` entry point of every installation, so this module
imports pytest and the plugin's light modules only; boto3, fido2 and the client load when a
fixture is first used. testing/README.md documents the fixtures and their scopes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
from cognito_passkey.testing.local_session import LocalSession
from cognito_passkey.testing.target import NOT_CONFIGURED, PoolTarget, from_profile

if TYPE_CHECKING:
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.client import Tokens
    from cognito_passkey.testing.users import PasskeyFactory, PasskeyUser, UserPool

ENV_PROFILE: Final = "COGNITO_PASSKEY_PROFILE"
WORKER_TARGET: Final = "cognito_passkey_target"
WORKER_ERROR: Final = "cognito_passkey_error"
FILE_STORE_MARK: Final = "passkey_file_store"
STORE_FILE: Final = "passkeys.json"

_local_key = pytest.StashKey[LocalSession]()
_pools_key = pytest.StashKey[list["UserPool"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cognito-passkey", "cognito-passkey: throwaway passkey users")
    group.addoption(
        "--passkey-profile",
        metavar="NAME",
        help="client profile (cognito-passkey config) whose user pool the passkey fixtures "
        "use; default: ini passkey_profile, then $COGNITO_PASSKEY_PROFILE",
    )
    group.addoption(
        "--passkey-local",
        action="store_true",
        help="start (or reuse) the local AWS and deploy the self-hosted stack for the session",
    )
    group.addoption(
        "--passkey-local-dir",
        metavar="DIR",
        type=Path,
        help="the local AWS state directory (default $COGNITO_PASSKEY_LOCAL_DIR or "
        ".local-aws); a server already running there is reused and left running",
    )
    group.addoption(
        "--passkey-flow",
        choices=("custom", "native"),
        help="how the profile's pool signs in with a passkey: custom (the custom-auth "
        "triggers) or native (Cognito's own passkeys); default: ini passkey_flow, then the "
        "profile's flow key, then custom",
    )
    parser.addini("passkey_profile", "client profile for the passkey fixtures", default="")
    parser.addini("passkey_flow", "custom or native: the profile's passkey flow", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FILE_STORE_MARK}: passkey_authenticator keeps its credentials in a file "
        "(tmp_path/passkeys.json) instead of memory",
    )
    if config.getoption("passkey_local") and config.getoption("passkey_profile"):
        raise pytest.UsageError("use either --passkey-local or --passkey-profile, not both")
    if config.getoption("passkey_local") and _flow(config) == "native":
        raise pytest.UsageError(
            "--passkey-local deploys the custom-auth stack; native passkeys need a profile "
            "(--passkey-profile) of a native pool"
        )
    if config.getoption("passkey_local") and not hasattr(config, "workerinput"):
        config.stash[_local_key] = LocalSession(config.getoption("passkey_local_dir"))
    config.stash[_pools_key] = []


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: one local AWS for all workers, started before the first one."""
    local = node.config.stash.get(_local_key, None)
    if local is None:
        return
    try:
        node.workerinput[WORKER_TARGET] = local.target().to_json()
    except Exception as exc:  # the workers report it, once per test that needs a pool
        node.workerinput[WORKER_ERROR] = f"cognito-passkey: --passkey-local failed: {exc}"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the fixtures' own tear-down: delete any user still alive (an interrupt)."""
    for pool in session.config.stash.get(_pools_key, []):
        pool.sweep()


def pytest_unconfigure(config: pytest.Config) -> None:
    local = config.stash.get(_local_key, None)
    if local is not None:
        local.close()


def _profile_name(config: pytest.Config) -> str | None:
    name = config.getoption("passkey_profile") or config.getini("passkey_profile")
    return str(name or os.environ.get(ENV_PROFILE) or "") or None


def _flow(config: pytest.Config) -> str | None:
    flow = config.getoption("passkey_flow") or config.getini("passkey_flow")
    return str(flow) if flow else None


def _target(config: pytest.Config) -> PoolTarget:
    """The configured pool; skips when there is none, fails in one line when it is broken."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput and WORKER_ERROR in workerinput:
        pytest.fail(str(workerinput[WORKER_ERROR]), pytrace=False)
    if workerinput and WORKER_TARGET in workerinput:
        return PoolTarget.from_json(str(workerinput[WORKER_TARGET]))
    local = config.stash.get(_local_key, None)
    if local is None and config.getoption("passkey_local"):  # a worker without a hand-off
        local = config.stash[_local_key] = LocalSession(config.getoption("passkey_local_dir"))
    # pytest.fail outside the except blocks: the report is the one line, not a chain.
    if local is not None:
        try:
            return local.target()
        except Exception as exc:
            problem = f"cognito-passkey: --passkey-local failed: {exc}"
        pytest.fail(problem, pytrace=False)
    name = _profile_name(config)
    if name is None:
        pytest.skip(NOT_CONFIGURED)
    from cognito_passkey.client.errors import ConfigurationError

    try:
        return from_profile(name, flow=_flow(config))
    except ConfigurationError as exc:
        problem = f"cognito-passkey: {exc}"
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def passkey_pool(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UserPool]:
    """Session: the configured pool (``.target``, ``.admin``); skips when none is configured.
    Its tear-down deletes every user the session made that is still alive."""
    target = _target(request.config)
    from cognito_passkey.testing.users import UserPool

    worker = os.environ.get("PYTEST_XDIST_WORKER") or "main"
    pool = UserPool(target, worker=worker, tmp_dir=tmp_path_factory.mktemp("cognito-passkey"))
    request.config.stash[_pools_key].append(pool)
    try:
        yield pool
    finally:
        pool.sweep()


@pytest.fixture
def passkey_store_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """Function: where ``passkey_authenticator`` keeps its credentials; None (in memory)
    unless the test is marked ``passkey_file_store``. Override it to choose a path."""
    if request.node.get_closest_marker(FILE_STORE_MARK) is not None:
        return tmp_path / STORE_FILE
    return None


@pytest.fixture
def passkey_authenticator(
    request: pytest.FixtureRequest, passkey_store_path: Path | None, tmp_path: Path
) -> SoftAuthenticator:
    """Function: a fresh software authenticator. Indirect parametrization picks its store:
    ``"memory"``, ``"file"`` (tmp_path/passkeys.json) or a path; else ``passkey_store_path``."""
    from cognito_passkey.authenticator import SoftAuthenticator

    choice = getattr(request, "param", None)
    store: Path | None = passkey_store_path
    if choice == "memory":
        store = None
    elif choice == "file":
        store = tmp_path / STORE_FILE
    elif isinstance(choice, (str, os.PathLike)):
        store = Path(choice)
    return SoftAuthenticator(store)


@pytest.fixture
def passkey_user(
    passkey_pool: UserPool, passkey_authenticator: SoftAuthenticator
) -> Iterator[PasskeyUser]:
    """Function: a new user with one passkey on ``passkey_authenticator``; deleted with its
    passkeys afterwards, whatever the test's outcome."""
    from cognito_passkey.testing.users import PasskeyFactory

    factory = PasskeyFactory(passkey_pool)
    try:
        yield factory.user(authenticator=passkey_authenticator)
    finally:
        factory.close()


@pytest.fixture
def passkey_tokens(passkey_user: PasskeyUser) -> Tokens:
    """Function: the tokens of ``passkey_user`` after a passkey sign-in."""
    return passkey_user.sign_in()


@pytest.fixture
def passkey_client_factory(passkey_pool: UserPool) -> Iterator[PasskeyFactory]:
    """Function: ``.user()``, ``.client()``, ``.authenticator()`` for more of them in one
    test; the users are deleted at its end."""
    from cognito_passkey.testing.users import PasskeyFactory

    factory = PasskeyFactory(passkey_pool)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def passkey_session_user(passkey_pool: UserPool) -> Iterator[PasskeyUser]:
    """Session (per xdist worker): one user with a passkey shared by the tests asking for
    it; deleted at the session's end."""
    from cognito_passkey.testing.users import PasskeyFactory

    factory = PasskeyFactory(passkey_pool)
    try:
        yield factory.user()
    finally:
        factory.close()


@pytest.fixture
def passkey_session_tokens(passkey_session_user: PasskeyUser) -> Tokens:
    """Function: ``passkey_session_user``'s tokens, signed in once and refreshed when close
    to expiry."""
    return passkey_session_user.tokens()
