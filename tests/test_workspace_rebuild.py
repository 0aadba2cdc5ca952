"""Dropping a big graph by copying the rest into a new store: same content as deleting, crash-safe, locked."""

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest

from careergraph.graph import InvalidDataError
from careergraph.graph import workspace as wsmod
from careergraph.graph.workspace import WorkspaceError, open_workspace

from test_workspace import snapshot

PREFIX = "https://w3id.org/careergraph/"


def big_file(path, n: int, *, cycle: bool = False, blank: bool = False):
    """``n`` prerequisite edges (a chain), with a blank node and a cycle on request."""
    lines = [f"<{PREFIX}skill/big-{i}> <{PREFIX}ns#prerequisite> <{PREFIX}skill/big-{i + 1}> ." for i in range(n)]
    if cycle:
        lines.append(f"<{PREFIX}skill/big-{n}> <{PREFIX}ns#prerequisite> <{PREFIX}skill/big-0> .")
    if blank:
        lines.append('_:note <http://www.w3.org/2000/01/rdf-schema#comment> "kept\\tas is" .')
        lines.append(f"<{PREFIX}skill/big-0> <http://www.w3.org/2000/01/rdf-schema#seeAlso> _:note .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bundled_size(folder) -> int:
    with open_workspace(folder) as ws:
        return sum(s.triples for s in ws.sources())


@pytest.fixture
def rebuilds(monkeypatch):
    """Record every rebuild; the threshold is lowered so that small test files take that path."""
    monkeypatch.setattr(wsmod, "REBUILD_THRESHOLD", 1)
    calls = []
    real = wsmod.Workspace._rebuild_without

    def spy(self, names):
        calls.append(set(names))
        return real(self, names)

    monkeypatch.setattr(wsmod.Workspace, "_rebuild_without", spy)
    return calls


def test_removing_the_biggest_source_rebuilds_and_leaves_what_deleting_leaves(ws_dir, tmp_path, rebuilds):
    before = snapshot(ws_dir)
    small = tmp_path / "small.nt"
    small.write_text(f"_:b <{PREFIX}ns#hasSkill> <{PREFIX}skill/dart> .\n", encoding="utf-8")
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50, blank=True)
    with open_workspace(ws_dir) as ws:
        kept = ws.add(small)
        with_small = None
    with_small = snapshot(ws_dir)
    with open_workspace(ws_dir) as ws:
        info = ws.add(big)
        kg = ws.knowledge_graph()  # made before the rebuild, read after it
        assert kg.resolve("skill:big-3")
        ws.remove(info.iri)
        assert rebuilds == [{str(info.iri)}]
        assert not ws.store.contains_named_graph(ox.NamedNode(str(info.iri)))
        assert ws.store.contains_named_graph(ox.NamedNode(str(kept.iri)))
        assert len(list(kg.oxigraph.quads_for_pattern(ox.NamedNode(PREFIX + "skill/big-3"), None, None))) == 0
    assert snapshot(ws_dir) == with_small != before
    (folder,) = store_folders(ws_dir)
    assert folder.startswith("oxigraph-")


def test_a_small_source_is_deleted_in_place(ws_dir, tmp_path, rebuilds):
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50)
    small = big_file(tmp_path / "small.nt", 3)
    with open_workspace(ws_dir) as ws:
        ws.add(big)
        info = ws.add(small)
        ws.remove(info.iri)
        assert rebuilds == [] and store_folders(ws_dir) == ["oxigraph"]


def test_a_big_add_that_fails_its_check_is_undone_by_a_rebuild(ws_dir, tmp_path, rebuilds):
    before = snapshot(ws_dir)
    bad = big_file(tmp_path / "cycle.nt", bundled_size(ws_dir) + 50, cycle=True)
    with open_workspace(ws_dir) as ws:
        with pytest.raises(InvalidDataError, match="cycle"):
            ws.add(bad)
        assert len(rebuilds) == 1
    assert snapshot(ws_dir) == before


def test_a_big_orphan_is_repaired_by_a_rebuild(ws_dir, tmp_path, rebuilds):
    before = snapshot(ws_dir)
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50)
    with open_workspace(ws_dir) as ws:  # a load killed before its commit leaves an uncatalogued graph
        ws.store.bulk_load(path=str(big), format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(str(wsmod._IMPORT["import-0123456789ab"])))
    with open_workspace(ws_dir) as ws:
        (repair,) = ws.repairs
        assert "import-0123456789ab" in repair and len(rebuilds) == 1
    assert snapshot(ws_dir) == before


def store_folders(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("oxigraph"))


def test_a_rebuild_killed_before_its_switch_is_undone_on_open(ws_dir, tmp_path, rebuilds, monkeypatch):
    before = snapshot(ws_dir)
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50)
    with open_workspace(ws_dir) as ws:
        info = ws.add(big)
    added = snapshot(ws_dir)
    real = wsmod._write_marker

    def killed(folder, meta):
        if "store" in meta:
            raise KeyboardInterrupt  # the copy is complete on disk, the marker still names the old store
        return real(folder, meta)

    with open_workspace(ws_dir) as ws:
        monkeypatch.setattr(wsmod, "_write_marker", killed)
        with pytest.raises(KeyboardInterrupt):
            ws.remove(info.iri)
        monkeypatch.undo()
    assert len(store_folders(ws_dir)) == 2
    with open_workspace(ws_dir) as ws:
        copy, orphan = ws.repairs  # the copy is deleted, then the removed source's graph in place
        assert "oxigraph-" in copy and "interrupted rebuild" in copy
        assert str(info.iri).rsplit("/", 1)[-1] in orphan
        assert [s for s in ws.sources() if s.kind == "user"] == []
    assert store_folders(ws_dir) == ["oxigraph"]
    assert added != snapshot(ws_dir) == before


def test_a_rebuild_killed_after_its_switch_is_finished_on_open(ws_dir, tmp_path, rebuilds, monkeypatch):
    before = snapshot(ws_dir)
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50)
    with open_workspace(ws_dir) as ws:
        info = ws.add(big)

    def killed(path, **kw):
        raise KeyboardInterrupt  # before the old store's folder is deleted

    with open_workspace(ws_dir) as ws:
        monkeypatch.setattr(wsmod.shutil, "rmtree", killed)
        with pytest.raises(KeyboardInterrupt):
            ws.remove(info.iri)
        monkeypatch.undo()
    assert store_folders(ws_dir)[0] == "oxigraph" and len(store_folders(ws_dir)) == 2
    with open_workspace(ws_dir) as ws:
        (repair,) = ws.repairs
        assert "deleted oxigraph," in repair
    assert store_folders(ws_dir) != ["oxigraph"] and len(store_folders(ws_dir)) == 1
    assert snapshot(ws_dir) == before


def test_a_marker_naming_no_store_is_refused(ws_dir):
    marker = ws_dir / wsmod.MARKER
    for name in ("../elsewhere", "oxigraph-missing", 5):
        meta = json.loads(marker.read_text())
        meta["store"] = name
        marker.write_text(json.dumps(meta))
        with pytest.raises(WorkspaceError, match="names no store folder"):
            open_workspace(ws_dir)


def test_a_workspace_is_held_by_one_process(ws_dir):
    with open_workspace(ws_dir):
        with pytest.raises(WorkspaceError, match="in use"):
            open_workspace(ws_dir)
        out = subprocess.run([sys.executable, "-m", "careergraph.cli", "--store", str(ws_dir), "info"],
                             capture_output=True, text=True)
        assert out.returncode != 0 and "in use" in out.stderr and "Traceback" not in out.stderr
    with open_workspace(ws_dir) as ws:  # released on close
        assert ws.sources()


def test_knowledge_graphs_and_later_changes_use_the_new_store(ws_dir, tmp_path, rebuilds):
    big = big_file(tmp_path / "big.nt", bundled_size(ws_dir) + 50)
    with open_workspace(ws_dir) as ws:
        info = ws.add(big)
        kg = ws.knowledge_graph()
        ws.remove(info.iri)
        assert kg.resolve("skill:dart") and kg.info().counts["posting"] == 5
        again = ws.add(big)  # after the switch, writes go to the new store
        assert kg.resolve("skill:big-7")
    with open_workspace(ws_dir) as ws:
        assert [s.iri for s in ws.sources() if s.kind == "user"] == [again.iri] and ws.repairs == []


def run_cli(ws_dir, *args):
    return subprocess.run([sys.executable, "-m", "careergraph.cli", "--store", str(ws_dir), *args],
                          capture_output=True, text=True)


def test_readers_share_a_workspace_and_keep_writers_out(ws_dir, tmp_path):
    with open_workspace(ws_dir, read_only=True) as reader:
        assert reader.read_only
        out = run_cli(ws_dir, "info")  # a second reader
        assert out.returncode == 0, out.stderr
        mine = big_file(tmp_path / "mine.nt", 3)
        out = run_cli(ws_dir, "add", str(mine))  # a writer
        assert out.returncode != 0 and "in use" in out.stderr and "Traceback" not in out.stderr
        with pytest.raises(WorkspaceError, match="in use"):
            open_workspace(ws_dir)
        with pytest.raises(WorkspaceError, match="read-only"):
            reader.add(mine)
        with pytest.raises(WorkspaceError, match="read-only"):
            reader.learned(store_uri("person/seed-author"), store_uri("skill/dart"))
    out = run_cli(ws_dir, "add", str(mine))
    assert out.returncode == 0, out.stderr


def store_uri(path):
    from rdflib import URIRef

    return URIRef(PREFIX + path)


def test_a_reader_that_finds_a_repair_to_make_opens_for_writing(ws_dir, tmp_path):
    before = snapshot(ws_dir)
    with open_workspace(ws_dir) as ws:
        ws.store.bulk_load(input=b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .",
                           format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(str(wsmod._IMPORT["import-0123456789ab"])))
    with open_workspace(ws_dir, read_only=True) as ws:
        assert not ws.read_only and len(ws.repairs) == 1
    with open_workspace(ws_dir, read_only=True) as ws:
        assert ws.read_only and ws.repairs == []
    assert snapshot(ws_dir) == before


def test_commands_that_only_read_open_the_workspace_read_only(ws_dir, monkeypatch):
    from click.testing import CliRunner

    from careergraph.cli.main import WRITING_COMMANDS, cli

    opened = []
    real = wsmod.open_workspace

    def spy(path, **kw):
        opened.append(kw.get("read_only", False))
        return real(path, **kw)

    monkeypatch.setattr(wsmod, "open_workspace", spy)
    for args in (["info"], ["rank", "postings", "--limit", "1"], ["query", "run", "skills-of-role",
                                                                 "-p", "role=role:qa-engineer"]):
        result = CliRunner().invoke(cli, ["--store", str(ws_dir), *args])
        assert result.exit_code == 0, result.output
    assert opened == [True, True, True]
    assert {"add", "remove", "learned", "forget", "import", "init"} == set(WRITING_COMMANDS)


def test_without_flock_a_reader_opens_for_writing(ws_dir, monkeypatch):
    monkeypatch.setattr(wsmod, "_lock", lambda folder, shared=False, **_: None)  # as on Windows
    with open_workspace(ws_dir, read_only=True) as ws:
        assert not ws.read_only
        with pytest.raises(WorkspaceError, match="in use"):  # Oxigraph's own lock keeps a second out
            open_workspace(ws_dir, read_only=True)
