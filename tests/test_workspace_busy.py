"""A workspace another process holds: exit code 5 at once, or ``--wait SECONDS`` for it; Ctrl-C is exit 130.

``flock`` locks belong to an open file, so a workspace held open in this
process keeps the command line (run in-process) out as another process would.
"""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli
from careergraph.graph.workspace import WorkspaceBusyError, open_workspace

pytest.importorskip("fcntl")  # no flock on Windows: Oxigraph's own writer lock only


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.mark.parametrize("holder_reads, args", [
    (False, ["info"]),  # a reader while a writer holds it
    (True, ["learned", "skill:dart"]),  # a writer while a reader holds it
])
def test_a_held_workspace_is_exit_code_5_in_one_line(ws_dir, holder_reads, args):
    with open_workspace(ws_dir, read_only=holder_reads):
        result = invoke("--store", str(ws_dir), *args)
    assert result.exit_code == WorkspaceBusyError.exit_code == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(ws_dir) in lines[0] and "in use" in lines[0] and "--wait" in lines[0]


def test_readers_share_a_workspace(ws_dir):
    with open_workspace(ws_dir, read_only=True):
        result = invoke("--store", str(ws_dir), "info", "--format", "json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_wait_goes_on_once_the_other_process_is_done(ws_dir, how):
    holder = open_workspace(ws_dir)
    timer = threading.Timer(1.0, holder.close)
    timer.start()
    try:
        if how == "option":
            result = invoke("--store", str(ws_dir), "--wait", "30", "info", "--format", "json")
        else:
            result = invoke("--store", str(ws_dir), "info", "--format", "json", env={"CAREERGRAPH_WAIT": "30"})
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert '"counts"' in result.stdout
    assert "waiting up to 30 s" in result.stderr and str(ws_dir) in result.stderr


def test_wait_gives_up_after_its_seconds(ws_dir):
    with open_workspace(ws_dir):
        result = invoke("--store", str(ws_dir), "--wait", "0.3", "info")
    assert result.exit_code == 5
    assert "waiting up to 0.3 s" in result.stderr and "in use" in result.stderr.splitlines()[-1]


def test_wait_must_not_be_negative(ws_dir):
    result = CliRunner().invoke(cli, ["--store", str(ws_dir), "--wait", "-1", "info"])
    assert result.exit_code == 2 and "--wait" in result.stderr


def test_ctrl_c_is_exit_code_130_in_one_line(ws_dir, monkeypatch):
    from careergraph.graph import workspace

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workspace.Workspace, "learned", interrupted)
    result = invoke("--store", str(ws_dir), "learned", "skill:dart")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["Error: interrupted"]
    assert invoke("--store", str(ws_dir), "info").exit_code == 0  # the workspace was let go


def _readers_together(ws_dir, read, n: int = 3) -> list:
    """``read(ws)`` in ``n`` threads at once, each on its own read-only open of ``ws_dir``: the answers."""
    readers = [open_workspace(ws_dir, read_only=True) for _ in range(n)]
    answers, errors = [], []

    def run(ws):
        try:
            answers.append(read(ws))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(ws,)) for ws in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ws in readers:
        ws.close()
    assert not errors, errors
    return answers


def test_readers_finding_the_label_table_stale_build_it_once(ws_dir, monkeypatch):
    """The first commands after a change find the label table stale at once: one builds it, the
    others wait for it and read it (they used to build it each, into the same temporary file)."""
    import time

    from careergraph.graph.resolve import LabelTable

    built = []
    original = LabelTable._build.__func__

    def slow_build(cls, *args):
        built.append(threading.get_ident())
        time.sleep(0.5)  # long enough for the other readers to arrive while it builds
        return original(cls, *args)

    monkeypatch.setattr(LabelTable, "_build", classmethod(slow_build))
    (ws_dir / "index" / LabelTable.FILE).unlink(missing_ok=True)
    def read(ws):
        kg = ws.knowledge_graph()
        return kg.curie(LabelTable.of(kg, ws_dir / "index").lookup("Dart", None)[0])

    assert _readers_together(ws_dir, read) == ["skill:dart"] * 3
    assert len(built) == 1


def test_readers_finding_the_index_stale_build_it_once(ws_dir, monkeypatch):
    """As the label table: one of the readers started together after a change builds the compiled
    index and saves it; the others wait and load it (at L each built it: 94-98 s and 2.2 GB in all)."""
    import shutil
    import time

    from careergraph.graph import index as index_mod

    built = []
    original = index_mod.build_index

    def slow_build(kg, **kwargs):
        built.append(threading.get_ident())
        time.sleep(0.5)
        return original(kg, **kwargs)

    monkeypatch.setattr(index_mod, "build_index", slow_build)
    shutil.rmtree(ws_dir / "index", ignore_errors=True)
    sizes = _readers_together(ws_dir, lambda ws: len(index_mod.compiled_index(ws.knowledge_graph()).targets))
    assert len(built) == 1
    assert len(sizes) == 3 and len(set(sizes)) == 1 and sizes[0] > 5


PROFILE = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix person: <https://w3id.org/careergraph/person/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
person:zoe a cg:Person ; rdfs:label "Zoe Quince" ; cg:hasSkill skill:dart .
"""

POSTING = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix schema: <https://schema.org/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
posting:zoe-job a cg:JobPosting ; schema:title "Quince job" ; cg:requiresSkill skill:dart .
"""


@pytest.mark.parametrize("text, index_kept", [(PROFILE, True), (POSTING, False)])
def test_removing_a_source_without_indexed_facts_keeps_the_index(ws_dir, tmp_path, text, index_kept):
    """A profile holds no fact of the compiled index: removing it leaves the index (and the data
    generation) as they were; its names leave the label table. A file of postings changes the index."""
    from careergraph.graph import UnknownEntityError
    from careergraph.graph.index import compiled_index, load_index

    mine = tmp_path / "mine.ttl"
    mine.write_text(text, encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        added = ws.add(mine)
        kg = ws.knowledge_graph()
        name = "Zoe Quince" if index_kept else "Quince job"
        assert kg.resolve(name)
        compiled_index(kg)  # built and saved for this state
        key = kg.index_key()
        ws.remove(added.iri)
        kg = ws.knowledge_graph()
        assert (kg.index_key() == key) is index_kept
        assert load_index(ws_dir / "index", kg.index_key()) is not None  # kept, or shrunk by the remove
        with pytest.raises(UnknownEntityError):
            kg.resolve(name)
        assert kg.resolve("Dart")


def test_removing_a_profile_added_before_the_last_index_change_drops_its_names(ws_dir, tmp_path):
    """The profile's names are in the label table built after a later file changed the index:
    removing the profile keeps the index but must drop those names."""
    from careergraph.graph import UnknownEntityError
    from careergraph.graph.index import compiled_index

    profile, posting = tmp_path / "profile.ttl", tmp_path / "posting.ttl"
    profile.write_text(PROFILE, encoding="utf-8")
    posting.write_text(POSTING, encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        added = ws.add(profile)
        ws.add(posting)  # changes the index: the label table is built anew, the profile's names in it
        kg = ws.knowledge_graph()
        assert kg.resolve("Zoe Quince") and kg.resolve("Quince job")
        compiled_index(kg)
        key = kg.index_key()
        ws.remove(added.iri)
        kg = ws.knowledge_graph()
        assert kg.index_key() == key
        with pytest.raises(UnknownEntityError):
            kg.resolve("Zoe Quince")
        assert kg.resolve("Quince job")
