"""Build the two deployment artifacts of the trigger Lambdas: the function zip and the layer zip.

The function zip holds only what the handlers import, the ``cognito_passkey/lambdas`` and
``cognito_passkey/protocol`` packages (no templates, no builder, no local tooling), at those paths
and without a ``cognito_passkey/__init__.py`` (the name is an implicit namespace package, as in
the installed distribution). The layer zip holds exactly the ``lambda`` extra of the
distribution under ``python/``, installed from wheels built for Lambda's platform; boto3 comes
from the runtime.

Both zips are reproducible (sorted entries, fixed timestamps and modes), so unchanged inputs give
byte-identical files whose names carry their content hash: a stack update sees new code exactly
when the code changed. The layer is cached per input set.

Lambda's code directories are read-only, so a module shipped as source is compiled again on every
cold start. When the building interpreter is the runtime's Python version, each ``.py`` therefore
ships with its ``__pycache__/<module>.<cache tag>.pyc``, as an unchecked-hash pyc (PEP 552: the
runtime loads it without reading or hashing the source, and it holds no timestamp). The source
stays in the zip for tracebacks and audits. The bytes of a pyc can depend on what else the
compiling process holds (marshal's reference flags follow reference counts), so every tree is
compiled by ``compileall`` in a fresh interpreter with a fixed hash seed, under the path the
runtime sees (``/var/task``, ``/opt/python``) rather than the build machine's.

Command line: ``python -m cognito_passkey.local.build --out DIR [--python-version 3.13]
[--arch x86_64|arm64]`` prints the two paths, function first.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cognito_passkey.authenticator._files import write_atomically

DISTRIBUTION = "cognito-passkey"
LAMBDA_EXTRA = "lambda"
DEFAULT_PYTHON_VERSION = "3.13"
DEFAULT_ARCH = "x86_64"

_REPO_DIR = Path(__file__).resolve().parent.parent
"""The source checkout when run from one (its pyproject names the layer's requirements)."""
FUNCTION_PACKAGES = ("cognito_passkey.lambdas", "cognito_passkey.protocol")
"""What the handlers import, and all the function zip holds."""
_NOT_IN_FUNCTION = frozenset({"templates", "__pycache__"})
_FUNCTION_SUFFIXES = frozenset({".py", ".json"})
"""Code and data only: no documentation, no type-checker markers."""
_RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
"""Distributions the Lambda runtime already has; never shipped in the layer."""
_NOT_IN_LAYER_DIRS = frozenset({"__pycache__", "bin"})
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FUNCTION_ROOT = "/var/task"
LAYER_ROOT = "/opt"
"""Where Lambda unpacks the function zip and the layer zip."""
_LAYER_FORMAT = "2"
"""Bumped when the layer's layout changes, so old cache entries are not reused."""

_PLATFORMS = {
    "x86_64": ("manylinux2014_x86_64",),
    "arm64": ("manylinux2014_aarch64",),
}
_ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}


class BuildError(RuntimeError):
    """The artifacts could not be built (bad option, pip failure, missing metadata)."""


@dataclass(frozen=True)
class Artifact:
    """A built zip: where it is and the SHA-256 of its bytes (hex)."""

    path: Path
    sha256: str


def normalize_arch(arch: str) -> str:
    """Map ``x86_64``/``amd64``/``arm64``/``aarch64`` to Lambda's names (``x86_64``, ``arm64``)."""
    try:
        return _ARCH_ALIASES[arch.lower()]
    except KeyError:
        raise BuildError(f"unsupported architecture {arch!r}; use x86_64 or arm64") from None


def machine_arch() -> str:
    """This machine's architecture in Lambda's naming."""
    return normalize_arch(platform.machine())


def runtime_python_version(runtime_or_version: str) -> str:
    """``python3.13`` or ``3.13`` -> ``3.13``; anything else is an error."""
    match = re.fullmatch(r"(?:python)?(3\.\d{1,2})", runtime_or_version)
    if match is None:
        raise BuildError(f"not a Python runtime or version: {runtime_or_version!r}")
    return match.group(1)


def bytecode_tag(python_version: str) -> str | None:
    """The cache tag the runtime's interpreter looks for (``cpython-313``), or ``None`` when
    this interpreter is another version and so cannot write bytecode that runtime would load."""
    version = runtime_python_version(python_version)
    tag = "cpython-" + version.replace(".", "")
    if sys.implementation.cache_tag == tag:
        return tag
    _say_no_bytecode(version)
    return None


@functools.cache
def _say_no_bytecode(version: str) -> None:
    """Tell, once per target version, that the zips ship source only."""
    print(
        f"note: building with Python {sys.version_info.major}.{sys.version_info.minor} for the "
        f"python{version} runtime: the zips ship source only, compiled on every cold start "
        f"(build with Python {version} to ship bytecode)",
        file=sys.stderr,
    )


# --- requirements of the layer ---------------------------------------------------------------


def lambda_requirements() -> list[str]:
    """The ``lambda`` extra's requirement strings (markers dropped), boto3 family excluded.

    Read from the source checkout's pyproject.toml when there is one (it is the truth while
    developing), else from the installed distribution's metadata.
    """
    requirements = _requirements_from_pyproject()
    if requirements is None:
        requirements = _requirements_from_metadata()
    kept = [r for r in requirements if _requirement_name(r) not in _RUNTIME_PROVIDED]
    if not kept:
        raise BuildError(f"the {LAMBDA_EXTRA!r} extra of {DISTRIBUTION} is empty")
    return sorted(kept)


def _requirements_from_pyproject() -> list[str] | None:
    try:
        tomllib = importlib.import_module("tomllib")  # Python 3.11+
    except ModuleNotFoundError:
        return None
    pyproject = _REPO_DIR / "pyproject.toml"
    if not pyproject.is_file():
        return None

    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    if data.get("project", {}).get("name") != DISTRIBUTION:
        return None
    extras = data["project"].get("optional-dependencies", {})
    return [str(r) for r in extras.get(LAMBDA_EXTRA, [])]


def _requirements_from_metadata() -> list[str]:
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise BuildError(f"{DISTRIBUTION} is not installed; cannot read its extras") from None
    marker = re.compile(r"""extra\s*==\s*["']""" + re.escape(LAMBDA_EXTRA) + r"""["']""")
    result = []
    for requirement in requires:
        spec, _, markers = requirement.partition(";")
        if marker.search(markers) and not re.search(r"\b(and|or)\b", markers):
            result.append(spec.strip())
    return result


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise BuildError(f"cannot parse requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


# --- reproducible zips -----------------------------------------------------------------------


def _deterministic_zip(entries: Iterable[tuple[str, Path]]) -> bytes:
    """Zip ``(arcname, file)`` pairs sorted by arcname with fixed timestamps and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for arcname, source in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_EPOCH)
            executable = os.access(source, os.X_OK)
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def _compile_tree(root: Path, runtime_dir: str) -> None:
    """Write an unchecked-hash pyc beside every ``.py`` under ``root``, named as if ``root``
    were ``runtime_dir``, in a fresh interpreter so the bytes depend on the sources only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    command = [sys.executable, "-s", "-m", "compileall", "-q", "-f"]
    command += ["--invalidation-mode", "unchecked-hash", "-d", runtime_dir, str(root)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BuildError(f"could not compile {runtime_dir}:\n{result.stdout}{result.stderr}")


def _bytecode_entries(
    root: Path, arc_prefix: str, entries: Sequence[tuple[str, Path]], tag: str
) -> list[tuple[str, Path]]:
    """The compiled ``__pycache__`` file of each ``.py`` entry (arcnames under ``arc_prefix``,
    files under ``root``); a source without one is an error, so no module ships uncompiled."""
    result = []
    for arcname, _ in entries:
        if not arcname.endswith(".py"):
            continue
        directory, _, filename = arcname.rpartition("/")
        pyc_arcname = f"{directory}/__pycache__/{filename[:-3]}.{tag}.pyc"
        pyc = root / pyc_arcname.removeprefix(arc_prefix)
        if not pyc.is_file():
            raise BuildError(f"compiling {arcname} gave no {pyc_arcname}")
        result.append((pyc_arcname, pyc))
    return result


def _write_atomically(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` through a temporary file, so readers never see half a zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, mode=0o644)  # build outputs hold no secrets


def _files_under(root: Path, skip: frozenset[str]) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in skip for part in relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_file():
            yield path


# --- the function zip ------------------------------------------------------------------------


def _package_dir(name: str) -> Path:
    module = importlib.import_module(name)
    if module.__file__ is None:
        raise BuildError(f"{name} is not an importable package")
    return Path(module.__file__).resolve().parent


def build_function_zip(out_dir: Path, *, python_version: str = DEFAULT_PYTHON_VERSION) -> Artifact:
    """Zip :data:`FUNCTION_PACKAGES` into ``out_dir``; the name carries the content hash.

    ``python_version`` is the target runtime: its bytecode ships too when this interpreter
    is that version (:func:`bytecode_tag`).
    """
    entries: list[tuple[str, Path]] = []
    for package in FUNCTION_PACKAGES:
        root = _package_dir(package)
        arcname = package.replace(".", "/")
        entries.extend(
            (f"{arcname}/{path.relative_to(root).as_posix()}", path)
            for path in _files_under(root, _NOT_IN_FUNCTION)
            if path.suffix in _FUNCTION_SUFFIXES
        )
    if not any(name.endswith("lambdas/handlers/__init__.py") for name, _ in entries):
        raise BuildError("the cognito_passkey.lambdas package has no handlers")
    entries.sort()
    tag = bytecode_tag(python_version)
    if tag is None:
        data = _deterministic_zip(entries)
    else:
        with tempfile.TemporaryDirectory(prefix="cognito-passkey-function-") as tmp:
            task = Path(tmp) / "task"
            for arcname, source in entries:
                (task / arcname).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, task / arcname)
            _compile_tree(task, FUNCTION_ROOT)
            data = _deterministic_zip(entries + _bytecode_entries(task, "", entries, tag))
    digest = hashlib.sha256(data).hexdigest()
    path = Path(out_dir) / f"cognito-passkey-function-{digest[:16]}.zip"
    _write_atomically(data, path)
    return Artifact(path, digest)


# --- the layer zip ---------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where built layers are kept between runs (``COGNITO_PASSKEY_BUILD_CACHE`` overrides)."""
    override = os.environ.get("COGNITO_PASSKEY_BUILD_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cognito-passkey")) / "layers"


def build_layer_zip(
    out_dir: Path,
    *,
    python_version: str = DEFAULT_PYTHON_VERSION,
    arch: str = DEFAULT_ARCH,
    cache_dir: Path | None = None,
    refresh: bool = False,
) -> Artifact:
    """Install the ``lambda`` extra for Lambda's platform under ``python/`` and zip it.

    ``python_version`` is the target interpreter (``3.13`` or ``python3.13``), ``arch`` the
    Lambda architecture. Wheels only (``--only-binary=:all:``), so what is built on one
    machine runs on another. The zip is cached under ``cache_dir`` keyed by every input;
    ``refresh`` rebuilds it (to pick up new upstream releases). Bytecode ships when this
    interpreter is ``python_version`` (:func:`bytecode_tag`).
    """
    version = runtime_python_version(python_version)
    lambda_arch = normalize_arch(arch)
    requirements = lambda_requirements()
    key_material = json.dumps(
        {
            "format": _LAYER_FORMAT,
            "python": version,
            "arch": lambda_arch,
            "requirements": requirements,
            "bytecode": bytecode_tag(version),
        },
        sort_keys=True,
    )
    key = hashlib.sha256(key_material.encode()).hexdigest()[:24]
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cache / f"layer-{key}.zip"
    if refresh or not cached.is_file():
        data = _build_layer_bytes(requirements, version, lambda_arch, bytecode_tag(version))
        _write_atomically(data, cached)
    data = cached.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    path = Path(out_dir) / f"cognito-passkey-layer-py{version}-{lambda_arch}-{digest[:16]}.zip"
    if not path.is_file():
        _write_atomically(data, path)
    return Artifact(path, digest)


def _build_layer_bytes(
    requirements: Sequence[str], version: str, arch: str, cache_tag: str | None
) -> bytes:
    with tempfile.TemporaryDirectory(prefix="cognito-passkey-layer-") as tmp:
        target = Path(tmp) / "python"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--target",
            str(target),
            "--implementation",
            "cp",
            "--python-version",
            version,
            "--only-binary=:all:",
        ]
        for tag in _PLATFORMS[arch]:
            command += ["--platform", tag]
        command += list(requirements)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(
                f"pip could not install the layer for Python {version} on {arch}:\n"
                f"{result.stdout}{result.stderr}"
            )
        shipped = _installed_distributions(target)
        leaked = sorted(shipped & _RUNTIME_PROVIDED)
        if leaked:
            raise BuildError(
                f"the layer would ship {', '.join(leaked)}; boto3 must come from the runtime"
            )
        entries = [
            (f"python/{path.relative_to(target).as_posix()}", path)
            for path in _files_under(target, _NOT_IN_LAYER_DIRS)
        ]
        if cache_tag is not None:
            _compile_tree(target, f"{LAYER_ROOT}/python")
            entries += _bytecode_entries(target, "python/", entries, cache_tag)
        return _deterministic_zip(entries)


def _installed_distributions(target: Path) -> set[str]:
    names = set()
    for info in target.glob("*.dist-info"):
        name = info.name[: -len(".dist-info")].rsplit("-", 1)[0]
        names.add(re.sub(r"[-_.]+", "-", name).lower())
    return names


# --- command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Build both zips into ``--out`` and print their paths (function, then layer)."""
    parser = argparse.ArgumentParser(
        prog="python -m cognito_passkey.local.build",
        description="Build the cognito-passkey Lambda function zip and dependency layer zip.",
    )
    parser.add_argument("--out", type=Path, default=Path("dist/lambda"), help="output directory")
    parser.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        help="target runtime, e.g. 3.13 or python3.13 (default %(default)s)",
    )
    parser.add_argument(
        "--arch", default=DEFAULT_ARCH, help="x86_64 or arm64 (default %(default)s)"
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="layer cache directory")
    parser.add_argument(
        "--refresh", action="store_true", help="rebuild the layer, ignoring the cache"
    )
    args = parser.parse_args(argv)
    try:
        function = build_function_zip(args.out, python_version=args.python_version)
        layer = build_layer_zip(
            args.out,
            python_version=args.python_version,
            arch=args.arch,
            cache_dir=args.cache_dir,
            refresh=args.refresh,
        )
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(function.path)
    print(layer.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
