"""The function and layer zips: layout, reproducibility, and that every handler imports in an
interpreter that sees nothing but the two zips and boto3 (as on Lambda)."""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.util
import io
import json
import marshal
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.local import LocalAws, build
from cognito_passkey.local.deploy import ARTIFACT_BUCKET, Deployment, client
from stack_fixtures import new_user

PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
HANDLERS = (
    "cognito_passkey.lambdas.handlers.define_auth_challenge",
    "cognito_passkey.lambdas.handlers.create_auth_challenge",
    "cognito_passkey.lambdas.handlers.verify_auth_challenge",
    "cognito_passkey.lambdas.handlers.manage_passkeys",
)
RUNTIME_DISTRIBUTIONS = (
    *("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"),
)
# pip builds the layer from the package index, so a test that builds it needs the network.
needs_pypi = pytest.mark.e2e


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[build.Artifact, build.Artifact]:
    out = tmp_path_factory.mktemp("dist")
    function = build.build_function_zip(out, python_version=PY_VERSION)
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
    assert not any(n.startswith("cognito_passkey/lambdas/templates/") for n in names)
    assert not any("build" in n or "local" in n for n in names)
    assert all(n.endswith((".py", ".json", f".{CACHE_TAG}.pyc")) for n in names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert function.path.name == f"cognito-passkey-function-{function.sha256[:16]}.zip"


CACHE_TAG = sys.implementation.cache_tag
_UNCHECKED_HASH = 0b01
"""PEP 552 flags: hash-based, source not checked."""


def _assert_bytecode_for_every_source(archive: zipfile.ZipFile, runtime_dir: str) -> int:
    """One unchecked-hash pyc of this interpreter's tag per ``.py`` and no other bytecode;
    each is the compiled source, named under ``runtime_dir`` (where Lambda unpacks the zip).
    Returns the number of sources."""
    names = archive.namelist()
    sources = [n for n in names if n.endswith(".py")]
    expected = {}
    for name in sources:
        directory, _, filename = name.rpartition("/")
        expected[f"{directory}/__pycache__/{filename[:-3]}.{CACHE_TAG}.pyc"] = name
    bytecode = {n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))}
    assert bytecode == set(expected)
    for pyc, source_name in expected.items():
        data, source = archive.read(pyc), archive.read(source_name)
        assert data[:4] == importlib.util.MAGIC_NUMBER, pyc
        assert int.from_bytes(data[4:8], "little") == _UNCHECKED_HASH, pyc
        assert data[8:16] == importlib.util.source_hash(source), pyc
        code = marshal.loads(data[16:])  # noqa: S302  (bytecode this build just wrote)
        assert code.co_filename == f"{runtime_dir}/{source_name.removeprefix('python/')}"
    return len(sources)


@needs_pypi
def test_function_zip_ships_unchecked_hash_bytecode_for_every_module(
    artifacts: tuple[build.Artifact, build.Artifact],
) -> None:
    function, _ = artifacts
    with zipfile.ZipFile(function.path) as archive:
        assert _assert_bytecode_for_every_source(archive, "/var/task") > 10


@needs_pypi
def test_layer_ships_unchecked_hash_bytecode_for_every_module(
    artifacts: tuple[build.Artifact, build.Artifact],
) -> None:
    _, layer = artifacts
    with zipfile.ZipFile(layer.path) as archive:
        assert _assert_bytecode_for_every_source(archive, "/opt/python") > 100


def test_another_python_version_builds_without_bytecode_and_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = f"3.{sys.version_info.minor - 1}"
    first = build.build_function_zip(tmp_path / "a", python_version=other)
    again = build.build_function_zip(tmp_path / "b", python_version=f"python{other}")
    assert first.sha256 == again.sha256
    with zipfile.ZipFile(first.path) as archive:
        names = archive.namelist()
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert all(n.endswith((".py", ".json")) for n in names)
    err = capsys.readouterr().err
    assert err.count(f"python{other} runtime") == 1
    assert "source only" in err


_BUILD_IN_A_FRESH_PROCESS = (
    "import sys; from pathlib import Path; from cognito_passkey.local import build; "
    "print(build.build_function_zip(Path(sys.argv[1]), python_version=sys.argv[2]).sha256)"
)


def test_function_zip_bytes_do_not_depend_on_the_building_process(tmp_path: Path) -> None:
    """The bytecode is the same whether this long-lived process (which has imported much,
    changing reference counts marshal looks at) or a fresh interpreter builds the zip."""
    import boto3  # noqa: F401  (more live objects in this process)
    import fido2.server  # noqa: F401

    here = build.build_function_zip(tmp_path / "here", python_version=PY_VERSION)
    fresh = subprocess.run(
        [sys.executable, "-c", _BUILD_IN_A_FRESH_PROCESS, str(tmp_path / "fresh"), PY_VERSION],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert fresh.stdout.strip() == here.sha256
    with zipfile.ZipFile(here.path) as archive:
        assert any(n.endswith(f".{CACHE_TAG}.pyc") for n in archive.namelist())


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
    again = build.build_function_zip(tmp_path, python_version=PY_VERSION)
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
    """Two pip runs into empty caches give the same bytes (no timestamps; bytecode compiled
    from the same sources is the same)."""
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


_SOURCE_READ = 'raise ImportError("the source was read, not the shipped bytecode")\n'


@needs_pypi
@pytest.mark.parametrize("sources", ["intact", "replaced"])
def test_every_module_imports_from_the_zips_alone(
    artifacts: tuple[build.Artifact, build.Artifact],
    boto3_only: Path,
    tmp_path: Path,
    sources: str,
) -> None:
    """With the sources replaced by a failing statement the imports still succeed: the
    interpreter loads the shipped pycs without reading (or hashing) the source."""
    function, layer = artifacts
    fn_dir, layer_dir = tmp_path / "task", tmp_path / "opt"
    with zipfile.ZipFile(function.path) as archive:
        archive.extractall(fn_dir)
    with zipfile.ZipFile(layer.path) as archive:
        archive.extractall(layer_dir)
    if sources == "replaced":
        for source in [*fn_dir.rglob("*.py"), *layer_dir.rglob("*.py")]:
            source.write_text(_SOURCE_READ)
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
            "-B",  # Lambda's code directories are read-only
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


def test_deployed_lambdas_run_from_the_shipped_bytecode(
    local_aws: LocalAws, selfhosted: Deployment, idp: Any
) -> None:
    """The stack deployed from our templates runs the function zip with its bytecode: the
    deployed code is a zip carrying a pyc per module (when the local Lambda interpreter is the
    building one), and the triggers answer the first round of a sign-in."""
    info = local_aws.info()
    assert info is not None
    configuration = client(selfhosted.endpoint, "lambda").get_function(
        FunctionName=selfhosted.outputs["CreateAuthArn"]
    )["Configuration"]
    s3 = client(selfhosted.endpoint, "s3")
    deployed = []
    for item in s3.list_objects_v2(Bucket=ARTIFACT_BUCKET)["Contents"]:
        if item["Key"].startswith("cognito-passkey-function-"):
            data = s3.get_object(Bucket=ARTIFACT_BUCKET, Key=item["Key"])["Body"].read()
            if base64.b64encode(hashlib.sha256(data).digest()).decode() == configuration.get(
                "CodeSha256"
            ):
                deployed.append(data)
    assert len(deployed) == 1, "the deployed code is not one of the uploaded function zips"
    with zipfile.ZipFile(io.BytesIO(deployed[0])) as archive:
        if info.python_version == PY_VERSION:
            assert _assert_bytecode_for_every_source(archive, "/var/task") > 10
        else:
            assert not any(n.endswith(".pyc") for n in archive.namelist())
    username = new_user(idp, selfhosted, "bytecode")
    reply = idp.initiate_auth(
        ClientId=selfhosted.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    assert reply["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert "public_key" in reply["ChallengeParameters"]
