"""The function and layer zips: layout, reproducibility, and that every handler imports in an
interpreter that sees nothing but the two zips and boto3 (as on Lambda)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from cognito_passkey.local import build

PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
HANDLERS = (
    "cognito_passkey.lambdas.handlers.define_auth_challenge",
    "cognito_passkey.lambdas.handlers.create_auth_challenge",
    "cognito_passkey.lambdas.handlers.verify_auth_challenge",
    "cognito_passkey.lambdas.handlers.manage_passkeys",
)
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six")
RUNTIME_DISTRIBUTIONS += ("urllib3",)
# pip builds the layer from the package index, so a test that builds it needs the network.
needs_pypi = pytest.mark.e2e


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[build.Artifact, build.Artifact]:
    out = tmp_path_factory.mktemp("dist")
    function = build.build_function_zip(out)
    layer = build.build_layer_zip(out, python_version=PY_VERSION, arch=build.machine_arch())
    return function, layer


@pytest.fixture(scope="module")
def boto3_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding boto3 and its dependencies only, like the Lambda runtime's."""
    target = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = metadata.distribution(name)
        tops = {
            f.parts[0]
            for f in distribution.files or ()
            if not f.parts[0].endswith((".dist-info", ".egg-info")) and f.parts[0] != ".."
        }
        for top in tops:
            source = Path(str(distribution.locate_file(top)))
            link = target / top
            if source.exists() and not link.exists():
                link.symlink_to(source)
    return target


@needs_pypi
def test_function_zip_holds_only_the_lambdas_and_protocol_packages(
    artifacts: tuple[build.Artifact, build.Artifact],
) -> None:
    function, _ = artifacts
    with zipfile.ZipFile(function.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert all(
        n.startswith(("cognito_passkey/lambdas/", "cognito_passkey/protocol/")) for n in names
    )
    assert "cognito_passkey/__init__.py" not in names
    assert "cognito_passkey/lambdas/__init__.py" in names
    assert "cognito_passkey/protocol/__init__.py" in names
    assert "cognito_passkey/lambdas/handlers/__init__.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith("cognito_passkey/lambdas/templates/") for n in names)
    assert not any("build" in n or "local" in n for n in names)
    assert all(n.endswith((".py", ".json")) for n in names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert function.path.name == f"cognito-passkey-function-{function.sha256[:16]}.zip"


def _module_name(arcname: str) -> str:
    dotted = arcname.removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def _imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """Every cognito_passkey module ``module`` imports, at its top or inside a function."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("cognito_passkey.")}


@needs_pypi
def test_function_zip_holds_exactly_what_the_handlers_import(
    artifacts: tuple[build.Artifact, build.Artifact],
) -> None:
    """Every module in the zip is reached from a handler (none is dead weight), and every
    module a handler reaches is in the zip (none is missing)."""
    function, _ = artifacts
    with zipfile.ZipFile(function.path) as archive:
        sources = {
            _module_name(name): (archive.read(name).decode(), name.endswith("__init__.py"))
            for name in archive.namelist()
            if name.endswith(".py")
        }
    reached: set[str] = set()
    todo = list(HANDLERS)
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        assert module in sources, f"{module} is imported by a handler but not in the zip"
        source, is_package = sources[module]
        todo.extend(name for name in _imports_of(source, module, is_package) if name in sources)
        parent = module.rpartition(".")[0]
        if parent in sources:  # importing a module imports its package
            todo.append(parent)
    assert set(sources) - reached == set()


@needs_pypi
def test_function_zip_is_reproducible(
    artifacts: tuple[build.Artifact, build.Artifact], tmp_path: Path
) -> None:
    function, _ = artifacts
    again = build.build_function_zip(tmp_path)
    assert again.sha256 == function.sha256
    assert again.path.read_bytes() == function.path.read_bytes()


def test_zip_bytes_depend_on_content_only(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("x = 1\n")
    first = build._deterministic_zip([("pkg/a.py", a)])
    os.utime(a, (1_000_000, 1_000_000))
    assert build._deterministic_zip([("pkg/a.py", a)]) == first
    a.write_text("x = 2\n")
    assert build._deterministic_zip([("pkg/a.py", a)]) != first


@needs_pypi
def test_layer_holds_the_lambda_extra_without_boto3(
    artifacts: tuple[build.Artifact, build.Artifact],
) -> None:
    _, layer = artifacts
    with zipfile.ZipFile(layer.path) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert all(n.startswith("python/") for n in names)
    tops = {n.split("/")[1] for n in names}
    for package in ("aws_lambda_powertools", "fido2", "jwt", "cryptography"):
        assert package in tops, package
    for runtime in ("boto3", "botocore", "s3transfer"):
        assert runtime not in tops
    assert "bin" not in tops
    assert not any("__pycache__" in n for n in names)
    abi = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    assert any(n.endswith(".so") and abi in n for n in names), "no native code for this Python"
    assert layer.path.name.startswith(f"cognito-passkey-layer-py{PY_VERSION}-")


@needs_pypi
def test_layer_cache_gives_the_same_zip(
    artifacts: tuple[build.Artifact, build.Artifact], tmp_path: Path
) -> None:
    _, layer = artifacts
    again = build.build_layer_zip(tmp_path, python_version=PY_VERSION, arch=build.machine_arch())
    assert again.sha256 == layer.sha256


@needs_pypi
@pytest.mark.slow
def test_layer_rebuild_is_byte_identical(tmp_path: Path) -> None:
    """Two pip runs into empty caches give the same bytes (no timestamps, no bytecode)."""
    first, second = (
        build.build_layer_zip(
            tmp_path / name,
            python_version=PY_VERSION,
            arch=build.machine_arch(),
            cache_dir=tmp_path / name / "cache",
        )
        for name in ("a", "b")
    )
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_requirements_are_the_lambda_extra() -> None:
    requirements = build.lambda_requirements()
    names = {build._requirement_name(r) for r in requirements}
    assert {"aws-lambda-powertools", "fido2", "pyjwt", "cryptography"} <= names
    assert not names & {"boto3", "botocore"}
    from_metadata = {build._requirement_name(r) for r in build._requirements_from_metadata()}
    assert names == from_metadata - {"boto3", "botocore", "s3transfer"}


@pytest.mark.parametrize("bad", ["sparc", ""])
def test_bad_architecture_is_a_clear_error(bad: str) -> None:
    with pytest.raises(build.BuildError, match="architecture"):
        build.normalize_arch(bad)


@pytest.mark.parametrize("bad", ["python2.7", "3", "py3.13", "python3.13x"])
def test_bad_runtime_is_a_clear_error(bad: str) -> None:
    with pytest.raises(build.BuildError, match="runtime"):
        build.runtime_python_version(bad)


def test_runtime_names_and_versions_are_both_accepted() -> None:
    assert build.runtime_python_version("python3.13") == "3.13"
    assert build.runtime_python_version("3.12") == "3.12"


@needs_pypi
def test_command_line_prints_both_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = build.main(
        ["--out", str(tmp_path), "--python-version", PY_VERSION, "--arch", build.machine_arch()]
    )
    assert code == 0
    function, layer = (Path(line) for line in capsys.readouterr().out.splitlines())
    assert function.is_file() and function.name.startswith("cognito-passkey-function-")
    assert layer.is_file() and layer.name.startswith("cognito-passkey-layer-")


def test_command_line_rejects_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--arch", "sparc"]) == 1
    assert "architecture" in capsys.readouterr().err


_ISOLATED_PROBE = r"""
import importlib, json, pkgutil, sys
fn, layer, runtime = sys.argv[1:4]
sys.path[:0] = [fn, layer, runtime]
assert not any("site-packages" in p for p in sys.path if p not in (fn, layer, runtime)), sys.path
assert "site" not in sys.modules
import cognito_passkey.lambdas as package
modules = sorted(
    m.name for m in pkgutil.walk_packages(package.__path__, "cognito_passkey.lambdas.")
)
handlers = {}
for name in modules:
    module = importlib.import_module(name)
    if name.startswith("cognito_passkey.lambdas.handlers."):
        handlers[name] = callable(getattr(module, "handler", None))
import boto3, cryptography
print(json.dumps({
    "modules": modules,
    "handlers": handlers,
    "package_file": package.__file__,
    "cryptography": cryptography.__file__,
    "boto3": boto3.__file__,
}))
"""


@needs_pypi
def test_every_module_imports_from_the_zips_alone(
    artifacts: tuple[build.Artifact, build.Artifact], boto3_only: Path, tmp_path: Path
) -> None:
    function, layer = artifacts
    fn_dir, layer_dir = tmp_path / "task", tmp_path / "opt"
    with zipfile.ZipFile(function.path) as archive:
        archive.extractall(fn_dir)
    with zipfile.ZipFile(layer.path) as archive:
        archive.extractall(layer_dir)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PASSKEY_BACKEND": "selfhosted",
        "PASSKEY_TABLE_NAME": "passkeys",
        "PASSKEY_RP_ID": "example.com",
        "PASSKEY_ALLOWED_ORIGINS": "https://example.com",
        "POWERTOOLS_SERVICE_NAME": "cognito-passkey",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _ISOLATED_PROBE,
            str(fn_dir),
            str(layer_dir / "python"),
            str(boto3_only),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["package_file"].startswith(str(fn_dir))
    assert report["cryptography"].startswith(str(layer_dir))
    assert report["boto3"].startswith(str(boto3_only))
    assert len(report["modules"]) > 3
    for handler in HANDLERS:
        assert report["handlers"].get(handler) is True, f"{handler}.handler missing"
