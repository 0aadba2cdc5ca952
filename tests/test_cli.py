"""The command line: version, help, exit codes, start-up cost."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli


def all_commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, prefix + (name,))


COMMANDS = list(all_commands())


def test_version():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"careergraph {version('careergraph')}"


def test_group_help_has_example():
    assert "Example:" in (cli.help or "")


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_help_has_an_example(path, cmd):
    assert "Example:" in (cmd.help or ""), f"careergraph {' '.join(path)} has no Example: block"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_example_lines_are_printed_as_written(path, cmd):
    """click re-wraps paragraphs; an Example block must keep one command per line."""
    example = (cmd.help or "").split("Example:", 1)[1]
    lines = [line.strip() for line in example.splitlines() if line.strip().startswith("careergraph")]
    assert lines
    shown = [line.strip() for line in CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, [*path, "--help"], terminal_width=200).output.splitlines()]
    for line in lines:
        assert line in shown, f"{line!r} is re-wrapped in `careergraph {' '.join(path)} --help`"


def test_usage_error_exit_code():
    result = CliRunner().invoke(cli, ["info", "--format", "yaml"])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2


def test_validate_exit_codes(tmp_path):
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 0
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix cg: <https://w3id.org/careergraph/ns#> .\n<urn:x> a cg:JobPosting .\n',
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: urn:x: error: A job posting needs a title (schema:title)." in result.output


def test_validate_json(tmp_path):
    import json

    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_startup_imports_no_heavy_modules():
    """`careergraph --help` must stay fast: importing the CLI loads no rdflib, networkx or pyvis."""
    code = ("import sys, careergraph.cli.main; "
            "print(sorted(m for m in ('rdflib', 'networkx', 'pyvis', 'pyshacl', 'yaml', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_script_runs():
    import shutil
    from pathlib import Path

    beside = Path(sys.executable).with_name("careergraph")
    exe = str(beside) if beside.exists() else shutil.which("careergraph")
    if exe is None:
        pytest.skip("the careergraph console script is not installed")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "careergraph" in out.stdout


def test_tables_are_whole_when_not_on_a_terminal_and_fit_a_given_width(monkeypatch):
    import io

    from careergraph.cli import output

    monkeypatch.setattr(output.click, "get_text_stream", lambda name: io.StringIO())  # a pipe
    table = output.table
    long = "prerequisite of " + ", ".join(f"skill number {i}" for i in range(30))
    whole = table(["#", "why"], [[1, long]])
    assert long in whole and "…" not in whole
    narrow = table(["#", "why"], [[1, long]], width=40)
    assert all(len(line) <= 40 for line in narrow.splitlines()) and "…" in narrow
