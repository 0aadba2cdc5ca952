"""Bulk loading into a workspace: both load paths agree, failures and crashes leave no trace,
interrupted changes are repaired on open, and the generation token follows every change."""

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from careergraph.graph import InvalidDataError
from careergraph.graph import workspace as wsmod
from careergraph.graph.workspace import CATALOG, open_workspace
from careergraph.ontology import CG

from test_workspace import ANA, INVALID, snapshot

IMPORT_PREFIX = str(wsmod._IMPORT["import-"])
ACME = """@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix cg: <https://w3id.org/careergraph/ns#> .
<https://w3id.org/careergraph/org/acme> a schema:Organization ; rdfs:label "Acme" .
<https://w3id.org/careergraph/posting/p1> a cg:JobPosting ; rdfs:label "P1" ;
    schema:hiringOrganization <https://w3id.org/careergraph/org/acme> ;
    cg:requiresSkill <https://w3id.org/careergraph/skill/dart> .
"""
TRIG = """@prefix ex: <https://example.org/> .
ex:a ex:p ex:b .
ex:g1 { ex:a ex:q "one" . ex:a ex:p ex:b . }
ex:g2 { ex:c ex:q "two"@en . }
"""


@pytest.fixture(params=["transaction", "bulk"])
def path_kind(request, monkeypatch):
    """Run a test once with small files in one transaction and once with everything bulk loaded."""
    if request.param == "bulk":
        monkeypatch.setattr(wsmod, "BULK_THRESHOLD", 0)
    return request.param


def import_graphs(folder) -> list[str]:
    with open_workspace(folder) as ws:
        return sorted(g.value for g in ws.store.named_graphs() if g.value.startswith(IMPORT_PREFIX))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("bad, message", [
    ("malformed.ttl", "malformed.ttl:10: bad turtle syntax"),
    ("bad-triples.nt", "bad-triples.nt:2: bad nt syntax"),
    ("bad.rdf", "bad.rdf"),
    ("broken.jsonld", "broken.jsonld"),
    ("prerequisite-cycle.ttl", "would make a cg:prerequisite cycle: skill:a -> skill:b -> skill:c -> skill:a"),
    ("broader-cycle.ttl", "would make a skos:broader cycle"),
])
def test_a_failed_add_leaves_no_graph_behind(ws_dir, path_kind, bad, message):
    before = snapshot(ws_dir)
    with open_workspace(ws_dir) as ws:
        with pytest.raises(InvalidDataError, match=re.escape(message)):
            ws.add(INVALID / bad)
    assert snapshot(ws_dir) == before
    assert import_graphs(ws_dir) == []


def test_a_syntax_error_deep_in_a_bulk_loaded_file_names_its_line(ws_dir, tmp_path):
    n, bad_line = 30_000, 25_000
    lines = [f'<https://example.org/s{i}> <https://example.org/p> "v{i}" .\n' for i in range(n)]
    lines[bad_line - 1] = '<https://example.org/bad> <https://example.org/p> "unterminated .\n'
    big = tmp_path / "big.nt"
    big.write_text("".join(lines), encoding="utf-8")
    assert big.stat().st_size >= wsmod.BULK_THRESHOLD  # really the bulk path
    before = snapshot(ws_dir)
    with open_workspace(ws_dir) as ws, pytest.raises(InvalidDataError) as caught:
        ws.add(big)
    assert str(caught.value).startswith(f"{big}:{bad_line}: bad nt syntax")
    assert "\n" not in str(caught.value)
    assert snapshot(ws_dir) == before


def test_both_load_paths_store_the_same_quads(template, tmp_path, monkeypatch):
    ttl = write(tmp_path / "acme.ttl", ACME)
    trig = write(tmp_path / "named.trig", TRIG)
    results = {}
    for kind, threshold in (("transaction", wsmod.BULK_THRESHOLD), ("bulk", 0)):
        monkeypatch.setattr(wsmod, "BULK_THRESHOLD", threshold)
        folder = tmp_path / kind
        shutil.copytree(template, folder)
        with open_workspace(folder) as ws:
            counts = (ws.add(ttl).triples, ws.add(trig).triples)
        results[kind] = counts, snapshot(folder)
    assert results["transaction"] == results["bulk"]
    # the TriG file's named graphs are merged into its one source (as distinct triples)
    merged = {(s, p, o) for s, p, o, _ in Dataset().parse(trig, format="trig").quads()}
    assert results["bulk"][0] == (len(Graph().parse(ttl)), len(merged))


def tricky_nt(path: Path, n: int = 400) -> Path:
    """N-Triples with LF and CRLF line ends, comments, blank lines, escaped line breaks in
    literals, blank nodes used far apart and repeated triples."""
    rows = []
    for i in range(n):
        subject = f"_:b{i % 7}" if i % 3 == 0 else f"<https://example.org/s{i % 50}>"
        obj = '"v%d\\nnext \\u00e9"@en' % (i % 90) if i % 2 else f"_:b{i * 5 % 7}"
        end = "\r\n" if i % 5 == 0 else "\n"
        rows.append(f"{subject} <https://example.org/p{i % 4}> {obj} .{end}")
        if i % 37 == 0:
            rows.append("# a comment\n")
        if i % 41 == 0:
            rows.append("\n")
    path.write_bytes("".join(rows).encode("utf-8"))
    return path


def test_the_recorded_count_is_the_graph_s_distinct_triples(ws_dir, tmp_path, path_kind):
    """The catalog's triple count (what ``info`` relies on) against rdflib's own reading of the file."""
    nt = tricky_nt(tmp_path / "tricky.nt")
    expected = Graph().parse(nt, format="nt")  # repeats once, blank nodes shared
    assert len(expected) < 400  # the file does repeat triples
    with open_workspace(ws_dir) as ws:
        info = ws.add(nt)
        lines = [f"{q.subject} {q.predicate} {q.object} ."
                 for q in ws.store.quads_for_pattern(None, None, None, ox.NamedNode(str(info.iri)))]
        (entry,) = [s for s in ws.sources() if s.iri == info.iri]
    stored = Graph().parse(data="\n".join(lines), format="nt")
    assert info.triples == entry.triples == len(lines) == len(expected)
    assert isomorphic(stored, expected)


def test_an_interrupted_load_is_removed_on_the_next_open(ws_dir, caplog):
    """What a SIGKILL during bulk_load leaves: an import graph without a catalog entry."""
    before = snapshot(ws_dir)
    with open_workspace(ws_dir) as ws:
        generation = ws.generation
        ws.store.bulk_load(input=ANA.encode(), format=ox.RdfFormat.TURTLE,
                           to_graph=ox.NamedNode(IMPORT_PREFIX + "0123456789ab"))
        assert ws.repairs == []
    with caplog.at_level(logging.WARNING, logger="careergraph.graph.workspace"):
        ws = open_workspace(ws_dir)
    try:
        (repair,) = ws.repairs
        assert "removed 3 triples of import-0123456789ab" in repair and "interrupted" in repair
        assert repair in caplog.text
        assert ws.generation != generation
    finally:
        ws.close()
    assert snapshot(ws_dir) == before
    with open_workspace(ws_dir) as ws:
        assert ws.repairs == []  # nothing left to repair


def test_a_repair_is_reported_by_the_cli(ws_dir):
    with open_workspace(ws_dir) as ws:
        ws.store.bulk_load(input=ANA.encode(), format=ox.RdfFormat.TURTLE,
                           to_graph=ox.NamedNode(IMPORT_PREFIX + "0123456789ab"))
    out = subprocess.run([sys.executable, "-m", "careergraph.cli", "--store", str(ws_dir), "info"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stderr.splitlines() if "removed 3 triples of import-" in line]
    assert "Traceback" not in out.stderr


def test_a_replace_cut_short_after_its_commit_is_finished_on_open(ws_dir, tmp_path, monkeypatch):
    mine = write(tmp_path / "ana.ttl", ANA)
    with open_workspace(ws_dir) as ws:
        old = ws.add(mine).iri
    write(mine, ANA.replace("skill:dart", "skill:flutter"))

    def crash(self, name):
        raise KeyboardInterrupt  # killed while deleting the old version

    monkeypatch.setattr(wsmod.Workspace, "_delete_graph", crash)
    with open_workspace(ws_dir) as ws:
        with pytest.raises(KeyboardInterrupt):
            ws.add(mine, replace=True)
    monkeypatch.undo()
    with open_workspace(ws_dir) as ws:
        (repair,) = ws.repairs  # the old version, no longer in the catalog
        assert f"removed 3 triples of {old.rsplit('/', 1)[-1]}" in repair
        user = [s for s in ws.sources() if s.kind == "user"]
        assert len(user) == 1 and user[0].iri != old
        kg = ws.knowledge_graph()
        ana = kg.resolve("Ana", kind="person")
        assert set(kg.graph.objects(ana, CG.hasSkill)) == {kg.resolve("skill:flutter")}
        assert not ws.store.contains_named_graph(ox.NamedNode(str(old)))


def test_replace_keeps_entities_the_new_version_uses_but_no_longer_declares(ws_dir, tmp_path, path_kind):
    postings = write(tmp_path / "postings.ttl", ACME)
    acme = URIRef("https://w3id.org/careergraph/org/acme")
    with open_workspace(ws_dir) as ws:
        ws.add(postings)
    # the new version refers to Acme (now known to the store) without declaring it again
    write(postings, "\n".join(line for line in ACME.splitlines() if not line.startswith("<https://w3id.org/"
                                                                                       "careergraph/org/acme>")))
    with open_workspace(ws_dir) as ws:
        info = ws.add(postings, replace=True)
        kg = ws.knowledge_graph()
        assert str(kg.label(acme)) == "Acme"
        (src,) = kg.sources_of(acme, None, None)
        assert src.iri == info.iri
        assert info.triples == len(Graph().parse(data=ACME, format="turtle"))
        # a bundled entity the new version uses is not copied into it
        dart = kg.resolve("skill:dart")
        assert not list(ws.store.quads_for_pattern(ox.NamedNode(str(dart)), None, None,
                                                   ox.NamedNode(str(info.iri))))


def test_the_generation_changes_with_every_change_and_only_then(ws_dir, tmp_path):
    mine = write(tmp_path / "ana.ttl", ANA)
    seen = []

    def generation(ws):
        seen.append(ws.generation)
        assert isinstance(seen[-1], str) and seen[-1]
        return seen[-1]

    with open_workspace(ws_dir) as ws:
        g0 = generation(ws)
        ws.sources()
        ws.knowledge_graph()
        assert generation(ws) == g0  # reading changes nothing
        info = ws.add(mine)
        generation(ws)
        kg = ws.knowledge_graph()
        person, skill = kg.resolve("Ana"), kg.resolve("skill:flutter")
        assert ws.learned(person, skill)
        generation(ws)
        assert not ws.learned(person, skill)  # already recorded: no change
        assert generation(ws) == seen[-2]
        assert ws.forget(person, skill)
        generation(ws)
        assert not ws.forget(person, skill)
        assert generation(ws) == seen[-2]
        ws.remove(info.iri)
        last = generation(ws)
    with open_workspace(ws_dir) as ws:
        assert ws.generation == last  # persisted
    changes = [g for i, g in enumerate(seen) if i == 0 or g != seen[i - 1]]
    assert len(changes) == len(set(changes)) == 5  # start, add, learned, forget, remove


def test_a_workspace_without_a_generation_gets_one(ws_dir):
    import json

    marker = ws_dir / wsmod.MARKER
    meta = json.loads(marker.read_text(encoding="utf-8"))
    del meta["generation"]
    marker.write_text(json.dumps(meta), encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        generation = ws.generation
    assert json.loads(marker.read_text(encoding="utf-8"))["generation"] == generation


def test_the_catalog_entry_escapes_any_label(ws_dir, tmp_path):
    mine = write(tmp_path / "ana.ttl", ANA)
    label = 'tricky "} ; DROP ALL ; INSERT DATA { <a:b> <c:d> "e" }\n\\'
    with open_workspace(ws_dir) as ws:
        before = sum(1 for _ in ws.store)
        info = ws.add(mine, label=label)
        (entry,) = [s for s in ws.sources() if s.iri == info.iri]
        assert entry.label == label
        assert sum(1 for _ in ws.store) == before + 3 + 6
        assert not list(ws.store.quads_for_pattern(ox.NamedNode("a:b"), None, None))
        assert len(list(ws.store.quads_for_pattern(ox.NamedNode(str(info.iri)), None, None,
                                                   ox.NamedNode(str(CATALOG))))) == 6


def test_temporary_files_of_a_killed_bulk_load_are_deleted_on_open(ws_dir):
    # a SIGKILL during bulk_load leaves index files named like this in the store folder (seen on L)
    leftover = ws_dir / "oxigraph" / "bulk-123456789.sst"
    leftover.write_bytes(b"\0" * 1000)
    before = snapshot(ws_dir)  # (this open already deletes it)
    assert not leftover.exists()
    leftover.write_bytes(b"\0" * 1000)
    with open_workspace(ws_dir) as ws:
        (repair,) = ws.repairs
        assert "deleted 1 temporary files" in repair
    assert not leftover.exists()
    assert snapshot(ws_dir) == before


def test_the_load_benchmark_runs_and_reports_its_ratios(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        import load_bench
    finally:
        sys.path.pop(0)
    nt = tmp_path / "tiny.nt"
    nt.write_text("".join(f'<https://example.org/s{i}> <https://example.org/p> "{i}" .\n' for i in range(50)),
                  encoding="utf-8")
    times = load_bench.run(nt, repeat=1, work=tmp_path)
    assert set(times) >= {"careergraph workspace add", "pyoxigraph bulk_load (named graph)",
                          "reopen: open_workspace + knowledge_graph()"}
    assert all(t > 0 for case, values in times.items() for t in values if not case.startswith("cpu: "))
    assert all(t >= 0 for values in times.values() for t in values)
    assert len(times["cpu: careergraph workspace add"]) == len(times["careergraph workspace add"]) == 1
    table = load_bench.render(nt, times)
    assert "ratio: workspace add / pyoxigraph bulk_load (default graph)" in table
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("cg-load-bench-")]  # cleaned up
