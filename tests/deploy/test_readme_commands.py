"""The commands the READMEs show exist as written: every ``cognito-passkey`` line names real
commands and options (and its ``--help`` runs), every script, module, template and
``file://`` path it names exists from the folder the README says to run it in (the
repository root). Pragmatic: nothing here talks to AWS."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cognito_passkey.client.cli import cli

ROOT = Path(__file__).resolve().parents[2]
READMES = ("README.md", "client/README.md", "local/README.md", "lambdas/templates/README.md")
PROGRAMS = ("cognito-passkey", ".venv/bin/cognito-passkey")


def shell_lines(text: str) -> list[str]:
    """The lines of fenced (non-Python) and indented code blocks, continuations joined."""
    lines: list[str] = []
    fence: str | None = None
    previous_blank = True
    in_indented = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else (stripped[3:] or "sh")
            continue
        if fence is not None:
            if fence not in ("python", "py", "ini", "toml", "json", "yaml"):
                lines.append(stripped)
            continue
        if raw.startswith("    ") and (previous_blank or in_indented):
            in_indented = True
            lines.append(stripped)
        else:
            in_indented = in_indented and not stripped
            if stripped:
                in_indented = False
        previous_blank = not stripped
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line
        else:
            joined.append(line)
    return [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined if line]


def cli_lines() -> list[tuple[str, str]]:
    found = []
    for readme in READMES:
        for line in shell_lines((ROOT / readme).read_text(encoding="utf-8")):
            if line.split(" ", 1)[0] in PROGRAMS:
                found.append((readme, line))
    return found


def _option(command: click.Command, name: str) -> click.Parameter | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def command_path(line: str) -> list[str]:
    """The subcommand names of ``line``, checking each option it uses on the way.

    ``local up | status | down`` and ``soft create|info`` are alternatives: each must be a
    command, and the first is followed.
    """
    words = shlex.split(line.replace(" | ", "|"))[1:]
    ctx = click.Context(cli)
    command: click.Command = cli
    path: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in ("--", "...") or word.endswith("..."):
            break
        if word.startswith("-") and len(word) > 1:
            name = word.split("=", 1)[0]
            option = _option(command, name) or _option(cli, name)
            assert option is not None, f"{line!r}: {name} is no option of {' '.join(path)}"
            if not (isinstance(option, click.Option) and option.is_flag) and "=" not in word:
                index += 1
            continue
        if isinstance(command, click.Group):
            names = word.split("|")
            found = [command.get_command(ctx, name) for name in names]
            assert all(found), f"{line!r}: no command among {names}"
            first = found[0]
            assert first is not None
            command = first
            path.append(names[0])
    return path


@pytest.mark.parametrize(("readme", "line"), cli_lines(), ids=lambda value: str(value)[:60])
def test_each_cli_example_names_real_commands_and_options(readme: str, line: str) -> None:
    path = command_path(line)
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, f"{readme}: {line}: {result.output}"


def test_the_cli_examples_were_found() -> None:
    lines = [line for _readme, line in cli_lines()]
    assert any("config import-stack" in line for line in lines)
    assert any(line.startswith("cognito-passkey --profile local") for line in lines)


def test_the_version_example_runs() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "version" in result.stdout


def _all_lines() -> list[tuple[str, str]]:
    return [
        (readme, line)
        for readme in READMES
        for line in shell_lines((ROOT / readme).read_text(encoding="utf-8"))
    ]


def test_scripts_modules_and_files_the_readmes_name_exist() -> None:
    checked = 0
    for readme, line in _all_lines():
        words = shlex.split(line)
        if words[:1] == ["bash"] and words[1].startswith("scripts/"):
            assert (ROOT / words[1]).is_file(), f"{readme}: {line}"
            checked += 1
        if "-m" in words and words[0].endswith("python"):
            module = words[words.index("-m") + 1]
            if module.startswith("cognito_passkey"):
                assert importlib.util.find_spec(module) is not None, f"{readme}: {line}"
                checked += 1
        for word in words:
            if word.startswith("file://"):
                assert (ROOT / word.removeprefix("file://")).is_file(), f"{readme}: {line}"
                checked += 1
    assert checked >= 4


def test_the_templates_readme_makes_the_bucket_before_it_uses_it() -> None:
    lines = [line for readme, line in _all_lines() if readme == "lambdas/templates/README.md"]
    steps = [line.split()[:3] for line in lines if line.startswith("aws ")]
    made = steps.index(["aws", "s3", "mb"])
    assert made < steps.index(["aws", "s3", "cp"])
    assert made < steps.index(["aws", "cloudformation", "create-stack"])
    create = next(line for line in lines if "create-stack" in line)
    template = re.search(r"file://(\S+)", create)
    assert template is not None and (ROOT / template.group(1)).is_file()
    assert template.group(1).startswith("lambdas/templates/")
