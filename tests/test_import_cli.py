"""The import, link and export commands: output files, exit codes, one-line errors, nothing half-written."""

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from careergraph.cli.main import cli
from careergraph.graph.import_profile import import_profile

DATA = Path(__file__).parent / "data"
VALID = DATA / "import" / "valid"
INVALID = DATA / "invalid" / "import"
ESCO_DIR = DATA / "esco"
EXPECTED = list(csv.DictReader((INVALID / "expected.csv").open(encoding="utf-8")))


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_import_profile_then_load_it(kg, tmp_path):
    out = tmp_path / "me.ttl"
    result = run("import", "profile", VALID / "profile.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert "wrote 1 person" in result.output
    assert isomorphic(Graph().parse(out), import_profile(kg, VALID / "profile.yaml").graph)
    info = run("--data", out, "info", "--format", "json")
    assert info.exit_code == 0, info.output
    counts = json.loads(info.output)["counts"]
    assert counts["person"] == kg.info().counts["person"] + 1
    assert counts["skill"] == kg.info().counts["skill"]


def test_import_postings_create_missing(tmp_path):
    out = tmp_path / "jobs.ttl"
    refused = run("import", "postings", VALID / "new-skills.yaml", "-o", out)
    assert refused.exit_code == 1
    assert not out.exists()
    result = run("import", "postings", VALID / "new-skills.yaml", "-o", out, "--create-missing")
    assert result.exit_code == 0, result.output
    assert "skill:temporal" in result.output
    assert out.exists()


# one bad input per kind of reader and mistake; test_import_profile/_postings run every row
CLI_ROWS = ("malformed.yaml", "malformed.json", "malformed.csv", "unknown-skills.yaml", "duplicate-id.csv",
            "unknown-seniority.csv", "non-numeric-level.yaml", "empty-skills.csv")


@pytest.mark.parametrize("row", [r for r in EXPECTED if r["file"] in CLI_ROWS], ids=lambda r: r["file"])
def test_bad_input_exits_1_with_one_line_and_writes_nothing(tmp_path, row):
    out = tmp_path / "out.ttl"
    out.write_text("# the previous content\n", encoding="utf-8")
    kind = "profile" if row["importer"] == "profile" else "postings"
    result = run("import", kind, INVALID / row["file"], "-o", out)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert row["message"] in lines[0]
    assert out.read_text(encoding="utf-8") == "# the previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]


def test_posting_text_dry_run_prints_spans_and_writes_nothing(tmp_path):
    text = (VALID / "ad.txt").read_text(encoding="utf-8")
    result = run("import", "posting", "--text", VALID / "ad.txt", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "skill:flutter-web" in result.output and "[Flutter Web]" in result.output
    assert "nothing written" in result.output
    assert list(tmp_path.iterdir()) == []
    missing = run("import", "posting", "--text", VALID / "ad.txt")
    assert missing.exit_code == 2
    # every line shows a span of the text, and the text of that span
    shown = [line for line in result.output.splitlines() if line[:1].isdigit()]
    assert len(shown) == 10
    for line in shown:
        start, end = map(int, line.split("[", 1)[1].split("]", 1)[0].split("-"))
        assert "[" + " ".join(text[start:end].split()) + "]" in line


def test_posting_text_writes_a_posting(tmp_path):
    out = tmp_path / "ad.ttl"
    result = run("import", "posting", "--text", "-", "--title", "Go developer", "--company", "Acme",
                 "--seniority", "middle", "-o", out, input="We need Go and Kafka.\n")
    assert result.exit_code == 0, result.output
    nt = Graph().parse(out).serialize(format="nt")
    assert "/skill/go>" in nt and "/skill/kafka>" in nt and '"Go developer"' in nt
    bad = run("import", "posting", "--text", "-", "--seniority", "principal", "-o", out,
              input="We need Go.\n")
    assert bad.exit_code == 1 and "known levels" in bad.output


def test_import_esco_and_link(tmp_path):
    out = tmp_path / "esco.nt"
    result = run("import", "esco", ESCO_DIR, "-o", out, "--format", "json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output[result.output.index("{"):])
    assert counts["occupations"] == 4 and counts["skills"] == 8
    assert out.exists()
    filtered = run("import", "esco", ESCO_DIR, "-o", tmp_path / "some.ttl", "--occupations", "2512,1219",
                   "--format", "json")
    assert filtered.exit_code == 0, filtered.output
    assert json.loads(filtered.output[filtered.output.index("{"):])["occupations"] == 2
    bad = run("import", "esco", ESCO_DIR, "-o", tmp_path / "x.nt", "--occupations", "programmers")
    assert bad.exit_code == 2
    assert not (tmp_path / "x.nt").exists()

    links = tmp_path / "links.ttl"
    accepted = run("link", "esco", out, "--accept-all", "-o", links)
    assert accepted.exit_code == 0, accepted.output
    all_links = len(Graph().parse(links))
    assert all_links >= 3
    # interactively: say no to the first proposal and yes to the rest
    answers = "n\n" + "y\n" * 50
    some = run("link", "esco", out, "-o", links, input=answers)
    assert some.exit_code == 0, some.output
    assert len(Graph().parse(links)) == all_links - 1
    loaded = run("--data", out, "--data", links, "info")
    assert loaded.exit_code == 0, loaded.output


def test_export_to_stdout_and_file(kg, tmp_path):
    result = run("export", "--format", "nt", "--focus", "skill:dart", "--depth", "0")
    assert result.exit_code == 0
    assert len(Graph().parse(data=result.output, format="nt")) > 3
    path = tmp_path / "cg.graphml"
    result = run("export", "--format", "graphml", "-o", path)
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8").startswith("<?xml")
    assert run("export", "--focus", "nothing like this").exit_code == 2
    assert run("export", "--format", "xlsx").exit_code == 2


def test_write_is_atomic_when_replacing_fails(tmp_path, monkeypatch):
    from careergraph.graph.importing import write_atomic

    target = tmp_path / "out.ttl"
    target.write_text("old", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_files_follow_the_umask_like_any_other_file(tmp_path):
    from careergraph.graph.importing import write_atomic

    ordinary = tmp_path / "plain.ttl"
    ordinary.write_text("x", encoding="utf-8")  # what open() gives under this process's umask
    for umask in (0o022, 0o077):
        previous = os.umask(umask)
        try:
            write_atomic(tmp_path / f"out-{umask:o}.ttl", "new")
        finally:
            os.umask(previous)
        assert (tmp_path / f"out-{umask:o}.ttl").stat().st_mode & 0o777 == 0o666 & ~umask
    export = tmp_path / "export.ttl"
    assert run("export", "-o", export).exit_code == 0
    assert export.stat().st_mode & 0o777 == ordinary.stat().st_mode & 0o777


def test_imports_work_on_a_workspace(kg, tmp_path):
    ws = tmp_path / "ws"
    assert run("init", ws).exit_code == 0
    out = tmp_path / "me.ttl"
    result = run("--store", ws, "import", "profile", VALID / "profile.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert f"--store {ws} add {out}" in result.output
    assert run("--store", ws, "add", out).exit_code == 0
    info = run("--store", ws, "info", "--format", "json")
    assert json.loads(info.output)["counts"]["person"] == kg.info().counts["person"] + 1
    exported = run("--store", ws, "export", "--format", "nt", "--no-bundled")
    assert exported.exit_code == 0, exported.output
    assert len(Graph().parse(data=exported.output, format="nt")) == len(Graph().parse(out))
