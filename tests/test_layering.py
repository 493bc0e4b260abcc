"""The rooms import one way only (README.md, Layout): ``client`` and ``lambdas`` never import
each other, ``protocol`` imports no other room, and only the CLI reaches ``local`` (lazily, by
name)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("protocol", "client", "authenticator", "lambdas", "local", "testing")
MAY_IMPORT = {
    "protocol": {"protocol"},
    "authenticator": {"authenticator", "protocol"},
    "client": {"client", "authenticator", "protocol"},
    "lambdas": {"lambdas", "protocol"},
    "local": {"local", "client", "authenticator", "lambdas", "protocol"},
    "testing": {"testing", "client", "authenticator", "lambdas", "protocol", "local"},
}


def _rooms_imported(path: Path) -> set[str]:
    """The rooms ``path`` imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "cognito_passkey" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py")) if (ROOT / room).is_dir() else []


@pytest.mark.parametrize("room", [r for r in ROOMS if (ROOT / r).is_dir()])
def test_each_room_imports_only_the_rooms_below_it(room: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_rooms_imported(path) - MAY_IMPORT[room])
        for path in _modules(room)
        if _rooms_imported(path) - MAY_IMPORT[room]
    }
    assert wrong == {}


def test_client_and_lambdas_never_import_each_other() -> None:
    assert all("lambdas" not in _rooms_imported(p) for p in _modules("client"))
    assert all("client" not in _rooms_imported(p) for p in _modules("lambdas"))


def test_the_scan_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from cognito_passkey.lambdas import errors\n")
    assert _rooms_imported(module) == {"lambdas"}
