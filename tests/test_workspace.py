"""The persistent workspace: init, reopen, add, remove, learned/forget, and atomic writes."""

import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

from careergraph.cli.main import cli
from careergraph.graph import InvalidDataError, UsageError, load
from careergraph.graph.workspace import BULK_THRESHOLD, WorkspaceError, init_workspace, open_workspace
from careergraph.ontology import CG

INVALID = Path(__file__).parent / "data" / "invalid"
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
ANA = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/careergraph/person/ana> a cg:Person ; rdfs:label "Ana"@en ; cg:hasSkill skill:dart .
"""


def _stable(match) -> str:
    return "source/import" if match.group(0).startswith("source/") else "_:b"


def snapshot(folder) -> tuple[int, str]:
    """(number of quads, digest of all quads) of a closed workspace.

    Import graph names and blank node labels are random, and catalog entries
    carry a time stamp: all are normalised so two imports of the same file
    compare equal.
    """
    ws = open_workspace(folder)
    try:
        lines = sorted(re.sub(r'"[0-9T:+Z.-]+"\^\^<http://www.w3.org/2001/XMLSchema#dateTime>', '"TIME"',
                              re.sub(r"source/import-[0-9a-f]+|_:\w+", _stable, str(q)))
                       for q in ws.store)
    finally:
        ws.close()
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def plain(term):
    """Compare literals by value: Oxigraph reads plain literals back as xsd:string and writes
    decimals in canonical form ("4" for "4.0"); RDF 1.1 says these are the same values."""
    if isinstance(term, Literal):
        if term.datatype in (None, XSD_STRING):
            return ("literal", str(term), term.language)
        return ("literal", term.toPython(), str(term.datatype))
    return term


def quads_by_graph(kg):
    out = {}
    for s, p, o, g in kg.dataset.quads((None, None, None, None)):
        out.setdefault(str(getattr(g, "identifier", g)), set()).add((s, p, plain(o)))
    return out


def test_init_holds_what_an_in_memory_load_holds(ws_dir):
    ws = open_workspace(ws_dir)
    try:
        kg = ws.knowledge_graph()
        memory = load()
        assert quads_by_graph(kg) == {str(src.iri): {(s, p, plain(o)) for s, p, o in memory.dataset.graph(src.iri)}
                                      for src in memory.sources}
        assert kg.info().counts == memory.info().counts
        assert [(s.iri, s.kind, s.triples) for s in ws.sources()] == \
            [(s.iri, s.kind, s.triples) for s in sorted(memory.sources, key=lambda s: (
                {"ontology": 0, "seed": 1, "curated": 2}[s.kind], s.file))]
        assert kg.curie(kg.resolve("BLoC/Cubit")) == "skill:bloc"
    finally:
        ws.close()


def test_init_refuses_non_empty_folders_and_existing_workspaces(ws_dir, tmp_path):
    with pytest.raises(WorkspaceError, match="already a careergraph workspace"):
        init_workspace(ws_dir)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("x")
    with pytest.raises(WorkspaceError, match="not empty"):
        init_workspace(busy)
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    with pytest.raises(WorkspaceError, match="not a careergraph workspace"):
        open_workspace(tmp_path / "nowhere")


@pytest.mark.parametrize("args", [["init", "{busy}"], ["--store", "{busy}", "info"]])
def test_a_folder_that_is_the_wrong_place_is_a_usage_error(tmp_path, args):
    from click.testing import CliRunner

    from careergraph.cli.main import cli

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("x")
    result = CliRunner().invoke(cli, [a.format(busy=busy) for a in args])
    assert result.exit_code == 2, result.output
    assert str(busy) in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_a_workspace_open_elsewhere_is_reported_in_use(ws_dir):
    ws = open_workspace(ws_dir)
    try:
        code = f"from careergraph.graph.workspace import open_workspace; open_workspace({str(ws_dir)!r})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode != 0 and "in use by another careergraph process" in out.stderr
    finally:
        ws.close()


def test_add_replace_and_remove(ws_dir, tmp_path):
    mine = tmp_path / "ana.ttl"
    mine.write_text(ANA, encoding="utf-8")
    ws = open_workspace(ws_dir)
    try:
        info = ws.add(mine)
        assert info.triples == 3 and info.kind == "user"
        kg = ws.knowledge_graph()
        ana = kg.resolve("Ana", kind="person")
        assert (ana, CG.hasSkill, kg.resolve("skill:dart")) in kg.graph
        with pytest.raises(UsageError, match="use --replace"):
            ws.add(mine)
        mine.write_text(ANA.replace("skill:dart", "skill:flutter"), encoding="utf-8")
        ws.add(mine, replace=True)
        kg = ws.knowledge_graph()
        assert set(kg.graph.objects(ana, CG.hasSkill)) == {kg.resolve("skill:flutter")}
        assert [s.file for s in ws.sources() if s.kind == "user"] == [str(mine.resolve())]
        ws.remove(ws.sources()[-1].iri)
        assert not [s for s in ws.sources() if s.kind == "user"]
        assert (ana, None, None) not in ws.knowledge_graph().graph
    finally:
        ws.close()


@pytest.mark.parametrize("bad, message", [
    ("malformed.ttl", "malformed.ttl:10: bad turtle syntax"),
    ("bad-triples.nt", "bad-triples.nt:2: bad nt syntax"),
    ("remote-context.jsonld", "is a reference to another document"),
    ("prerequisite-cycle.ttl", "would make a cg:prerequisite cycle: skill:a -> skill:b -> skill:c -> skill:a"),
])
def test_failed_add_leaves_the_store_unchanged(ws_dir, bad, message):
    before = snapshot(ws_dir)
    ws = open_workspace(ws_dir)
    try:
        with pytest.raises(InvalidDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            ws.add(INVALID / bad)
    finally:
        ws.close()
    assert snapshot(ws_dir) == before


def test_cycle_across_the_store_and_the_file_is_caught(ws_dir, tmp_path):
    # curated data says Flutter needs Dart; a file saying Dart needs Flutter closes a cycle
    path = tmp_path / "loop.ttl"
    path.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
                    "<https://w3id.org/careergraph/skill/dart> cg:prerequisite "
                    "<https://w3id.org/careergraph/skill/flutter> .\n", encoding="utf-8")
    ws = open_workspace(ws_dir)
    try:
        with pytest.raises(InvalidDataError, match="skill:(dart|flutter) -> skill:(dart|flutter) -> skill:"):
            ws.add(path)
    finally:
        ws.close()


def run_cli(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_workspace_round(ws_dir, tmp_path):
    fresh = tmp_path / "fresh"
    code, out = run_cli("init", str(fresh))
    assert code == 0 and "created workspace" in out
    code, out = run_cli("--store", str(fresh), "learned", "Dart event loop")
    assert code == 0 and "has learned Dart event loop" in out
    code, out = run_cli("--store", str(fresh), "learned", "Dart event loop")
    assert code == 0 and out.startswith("already recorded")
    ws = open_workspace(fresh)
    try:
        kg = ws.knowledge_graph()
        person = kg.resolve("person:seed-author")
        assert (person, CG.hasSkill, kg.resolve("skill:dart-event-loop")) in kg.graph
        (src,) = kg.sources_of(person, CG.hasSkill, kg.resolve("skill:dart-event-loop"))
        assert src.label == "progress"
    finally:
        ws.close()  # also detaches the store from `kg`
    code, out = run_cli("--store", str(fresh), "forget", "Dart event loop")
    assert code == 0
    code, out = run_cli("--store", str(fresh), "forget", "Dart event loop")
    assert code == 1 and "nothing to forget" in out
    code, out = run_cli("--store", str(fresh), "learned", "Dart evnt loop")
    assert code == 2 and "did you mean" in out, out
    code, out = run_cli("--store", str(fresh), "--data", "x.ttl", "info")
    assert code == 2 and "--data and --store do not mix" in out
    code, out = run_cli("learned", "Dart")
    assert code == 2 and "needs a workspace" in out


def _big_file(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f'<https://example.org/skill/s{i}> <http://www.w3.org/2004/02/skos/core#prefLabel> '
                    f'"Skill {i}"@en .\n')
    return path


def _folder_state(folder: Path) -> tuple:
    """(name, size, mtime) of each file in the store folder, read while another process may be
    changing it: opening the store renames LOG and deletes old files, so a file listed but gone
    by the time it is stat'ed is left out (which reads as a change) instead of raising."""
    state = []
    for entry in os.scandir(folder / "oxigraph"):
        try:
            info = entry.stat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            state.append((entry.name, info.st_size, info.st_mtime_ns))
    return tuple(sorted(state))


# `careergraph add` that SIGKILLs itself once the whole file is in its import graph and before
# its catalog entry is written: the partial import the repair on open has to remove.
ADD_KILLED_AFTER_LOAD = """
import os, signal
from careergraph.graph import workspace
load = workspace.Workspace._load
def load_and_die(self, *args, **kwargs):
    load(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
workspace.Workspace._load = load_and_die
from careergraph.cli.main import main
main()
"""


def test_an_import_killed_part_way_leaves_the_store_as_it_was(template, tmp_path):
    """SIGKILL the importing process at several points; the store is always all-before or all-after.

    The file is big enough to be bulk loaded, which is not transactional: a kill
    during the load leaves part of it in an uncatalogued graph, which the next
    open (here inside ``snapshot``) removes. One kill lands as soon as the
    store's files start to change; the others at fractions of a complete run's
    time; and one at a known moment, right after the load and before the catalog
    entry, so that every run checks the repair of a whole uncatalogued graph.
    """
    big = _big_file(tmp_path / "big.nt", 40_000)
    assert big.stat().st_size >= BULK_THRESHOLD

    def command(folder):
        return [sys.executable, "-m", "careergraph.cli", "--store", str(folder), "add", str(big)]

    # One complete run gives the 'after' state and the run's length.
    full = tmp_path / "full"
    shutil.copytree(template, full)
    before = snapshot(full)
    start = time.monotonic()
    run = subprocess.run(command(full), capture_output=True, text=True)
    total = time.monotonic() - start
    assert run.returncode == 0, f"the complete run failed:\n{run.stderr}"
    after = snapshot(full)
    assert after[0] == before[0] + 40_000 + 6  # the triples and the catalog entry

    killed_running = []
    for when in ("first write", 0.3, 0.6, 0.85):
        folder = tmp_path / f"kill-{when}"
        shutil.copytree(template, folder)
        initial = _folder_state(folder)
        with open(tmp_path / f"kill-{when}.stderr", "w+", encoding="utf-8") as err:
            proc = subprocess.Popen(command(folder), stdout=subprocess.DEVNULL, stderr=err)
            if when == "first write":
                deadline = time.monotonic() + 4 * total + 10
                while proc.poll() is None and _folder_state(folder) == initial and time.monotonic() < deadline:
                    time.sleep(0.002)
            else:
                time.sleep(total * when)
            running = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            err.seek(0)
            assert running or proc.returncode == 0, f"the import run for {when} failed:\n{err.read()}"
        state = snapshot(folder)
        assert state in (before, after), f"partial import after SIGKILL at {when}: {state[0]} quads"
        if running:
            killed_running.append((when, "before" if state == before else "after"))
    assert killed_running, "no kill landed while the import was running"

    folder = tmp_path / "kill-after-load"
    shutil.copytree(template, folder)
    run = subprocess.run([sys.executable, "-c", ADD_KILLED_AFTER_LOAD, "--store", str(folder), "add", str(big)],
                         capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    with open_workspace(folder) as ws:
        repairs = ws.repairs
    assert snapshot(folder) == before, f"the uncatalogued import survived the open (repairs: {repairs})"
    assert any("removed 40000 triples of import-" in r for r in repairs), repairs


IMPORTS = Path(__file__).parent / "data" / "import" / "valid"
BAD_IMPORTS = Path(__file__).parent / "data" / "invalid" / "import"


def test_imports_go_straight_into_the_workspace(ws_dir):
    code, out = run_cli("--store", str(ws_dir), "import", "profile", str(IMPORTS / "profile.yaml"))
    assert code == 0 and "to the workspace as source:import-" in out, out
    code, out = run_cli("--store", str(ws_dir), "import", "postings", str(IMPORTS / "postings.csv"))
    assert code == 0, out
    # the same file again is refused; --replace swaps the catalog entries in one transaction
    code, out = run_cli("--store", str(ws_dir), "import", "profile", str(IMPORTS / "profile.yaml"))
    assert code == 2 and "profile.yaml: already in the workspace" in out, out
    before = snapshot(ws_dir)
    code, out = run_cli("--store", str(ws_dir), "import", "profile", "--replace", str(IMPORTS / "profile.yaml"))
    assert code == 0, out
    assert snapshot(ws_dir) == before  # the same content again
    code, out = run_cli("--store", str(ws_dir), "import", "esco", str(Path(__file__).parent / "data" / "esco"))
    assert code == 0, out
    with open_workspace(ws_dir) as ws:
        user = [s for s in ws.sources() if s.kind == "user"]
        assert sorted(s.label for s in user) == ["esco", "postings.csv", "profile.yaml"]
        assert all(s.triples > 0 for s in user)
        assert not list(Path(ws_dir).glob(".import-*"))  # the temporary files are gone


def test_a_failed_import_leaves_the_workspace_unchanged(ws_dir):
    before = snapshot(ws_dir)
    bad = sorted(BAD_IMPORTS.glob("*.csv"))[0]
    code, out = run_cli("--store", str(ws_dir), "import", "postings", str(bad))
    assert code != 0 and "Traceback" not in out
    assert snapshot(ws_dir) == before
    code, out = run_cli("import", "profile", str(IMPORTS / "profile.yaml"))
    assert code == 2 and "give -o OUT to write a file, or --store DIR" in out


def test_export_from_a_workspace_round_trips(ws_dir, tmp_path):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    mine = tmp_path / "ana.ttl"
    mine.write_text(ANA, encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        ws.add(mine)
    out = tmp_path / "out.ttl"
    code, text = run_cli("--store", str(ws_dir), "export", "--no-bundled", "--format", "ttl", "-o", str(out))
    assert code == 0, text
    assert isomorphic(Graph().parse(out), Graph().parse(mine))
