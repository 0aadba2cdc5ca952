"""Removing a source of postings only shrinks the saved compiled index instead of leaving it to be rebuilt;
the answers are those of an index built afresh from the same store."""

import sqlite3

import pytest
from rdflib import URIRef

from careergraph.graph import UnknownEntityError
from careergraph.graph import index as index_module
from careergraph.graph.demand import demand
from careergraph.graph.index import build_index, compiled_index, load_index
from careergraph.graph.ranking import next_skills, rank
from careergraph.graph.resolve import LabelTable
from careergraph.graph.workspace import open_workspace
from test_index import _same_index

PREFIXES = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix schema: <https://schema.org/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
"""
#: A new posting, a requirement more for a bundled posting, and one for a posting another file declares.
POSTINGS = PREFIXES + """
posting:kotlin-lead a cg:JobPosting ; schema:title "Kotlin Platform Lead" ;
  cg:requiresSkill skill:dart, skill:git ; cg:prefersSkill skill:bloc .
posting:red-flutter-developer cg:requiresSkill skill:git .
posting:shared cg:requiresSkill skill:dart .
"""
OTHER = PREFIXES + """
posting:shared a cg:JobPosting ; schema:title "Shared posting" ; cg:requiresSkill skill:git .
"""
RED = "https://w3id.org/careergraph/posting/red-flutter-developer"
SHARED = "https://w3id.org/careergraph/posting/shared"
LEAD = "https://w3id.org/careergraph/posting/kotlin-lead"


def _answers(kg):
    person = URIRef("https://w3id.org/careergraph/person/seed-author")  # the bundled profile's person
    return (rank(kg, "postings", person=person), rank(kg, "roles", person=person),
            next_skills(kg, person=person), demand(kg))


def _no_build(*args, **kwargs):
    raise AssertionError("the index was built again")


def _table(folder) -> tuple:
    """The label table's rows and what it is keyed on."""
    db = sqlite3.connect(folder / "labels.sqlite")
    try:
        return (sorted(db.execute("SELECT tier, key, iri FROM labels")), sorted(db.execute("SELECT * FROM types")),
                sorted(db.execute("SELECT * FROM meta")))
    finally:
        db.close()


def _row(index, target) -> set:
    return {index.skills[j] for j in index.requires[index.target_position(target)].indices}


def test_removing_postings_shrinks_the_saved_index(ws_dir, tmp_path, monkeypatch):
    postings, other = tmp_path / "postings.ttl", tmp_path / "other.ttl"
    postings.write_text(POSTINGS, encoding="utf-8")
    other.write_text(OTHER, encoding="utf-8")
    folder = ws_dir / "index"
    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        ws.add(other)
        first = compiled_index(kg)  # saved: what the remove starts from
        assert kg.resolve("Shared posting")  # and the label table
        red_before = _row(first, RED)
        table_before = _table(folder)
        added = ws.add(postings)
        assert kg.resolve("Kotlin Platform Lead") == URIRef(LEAD)
        inode = (folder / "labels.sqlite").stat().st_ino
        grown = compiled_index(kg)
        assert LEAD in grown.targets and "https://w3id.org/careergraph/skill/git" in _row(grown, RED)
        assert _row(grown, SHARED) == {"https://w3id.org/careergraph/skill/dart",
                                       "https://w3id.org/careergraph/skill/git"}
        ws.remove(added.iri)
        key = kg.index_key()
        assert key != grown.key, "the data changed: a new key"
        saved = load_index(folder, key)
        assert saved is not None, "the index was saved for the state after the remove"
        monkeypatch.setattr(index_module, "build_index", _no_build)
        shrunk = compiled_index(kg)
        got = _answers(kg)
        monkeypatch.undo()
        # the rows the removed file gave are gone; what other sources say stays
        assert LEAD not in shrunk.targets
        assert _row(shrunk, RED) == red_before
        assert _row(shrunk, SHARED) == {"https://w3id.org/careergraph/skill/git"}
        _same_index(shrunk, build_index(kg))
        _same_index(shrunk, first)  # the store holds what it held before the add
        # the label table lost the removed file's names in place, and is keyed for the new state
        assert (folder / "labels.sqlite").stat().st_ino == inode, "the label table was not built again"
        table = _table(folder)
        assert ("key", key) in table[2]
        assert table[:2] == table_before[:2]
        with pytest.raises(UnknownEntityError):
            kg.resolve("Kotlin Platform Lead")
        assert kg.resolve("Shared posting") == URIRef(SHARED)
        (folder / "labels.sqlite").unlink()
        LabelTable.of(kg, folder)
        assert _table(folder) == table, "the rows a build makes"
    for f in folder.iterdir():  # no cache at all: everything built afresh from the same store
        f.unlink()
    with open_workspace(ws_dir) as ws:
        fresh = ws.knowledge_graph()
        assert load_index(folder, fresh.index_key()) is None
        assert _answers(fresh) == got
        assert load_index(folder, fresh.index_key()) is not None, "built afresh this time"


def test_a_column_only_the_removed_postings_named_means_a_build(ws_dir, tmp_path):
    """A skill that only the removed file's requirements named has a column a build would not
    have: the index is not saved for the new state, and the next question builds it."""
    postings = tmp_path / "postings.ttl"
    postings.write_text(POSTINGS + "posting:kotlin-lead cg:requiresSkill skill:kotlin-only .\n", encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        added = ws.add(postings)
        with_it = compiled_index(kg)
        assert "https://w3id.org/careergraph/skill/kotlin-only" in with_it.skills
        ws.remove(added.iri)
        assert load_index(ws_dir / "index", kg.index_key()) is None
        rebuilt = compiled_index(kg)
        assert "https://w3id.org/careergraph/skill/kotlin-only" not in rebuilt.skills
        _same_index(rebuilt, build_index(kg))


@pytest.mark.parametrize("kind", ["model", "light"])
def test_other_removes_keep_their_rules(ws_dir, tmp_path, kind):
    """A file with a prerequisite changes the skill model: its remove leaves the index to be
    built again; a file with no indexed fact keeps the index as it is."""
    text = {"model": PREFIXES + "skill:git cg:prerequisite skill:dart .\n",
            "light": PREFIXES + "posting:red-flutter-developer schema:title \"Red, again\" .\n"}[kind]
    extra = tmp_path / "extra.ttl"
    extra.write_text(text, encoding="utf-8")
    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        added = ws.add(extra)
        compiled_index(kg)
        before = kg.index_key()
        ws.remove(added.iri)
        assert (kg.index_key() == before) is (kind == "light")
        assert (load_index(ws_dir / "index", kg.index_key()) is not None) is (kind == "light")
        _same_index(compiled_index(kg), build_index(kg))


def test_names_another_source_also_gives_leave_the_label_table_to_be_rebuilt(ws_dir, tmp_path):
    """The removed file typed a posting that another file types too: its rows stay in a build,
    so the table is not changed in place but made again when next read, with the same names."""
    postings, other = tmp_path / "postings.ttl", tmp_path / "other.ttl"
    postings.write_text(PREFIXES + "posting:shared a cg:JobPosting ; schema:title \"Kotlin job\" ;\n"
                        "  cg:requiresSkill skill:dart .\n", encoding="utf-8")
    other.write_text(OTHER, encoding="utf-8")
    folder = ws_dir / "index"
    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        ws.add(other)
        compiled_index(kg)
        added = ws.add(postings)
        assert kg.resolve("Kotlin job") == URIRef(SHARED)
        ws.remove(added.iri)
        assert load_index(folder, kg.index_key()) is not None, "the index still shrinks"
        assert ("key", kg.index_key()) not in _table(folder)[2], "left for a rebuild"
        assert kg.resolve("Shared posting") == URIRef(SHARED)
        with pytest.raises(UnknownEntityError):
            kg.resolve("Kotlin job")
        table = _table(folder)
    (folder / "labels.sqlite").unlink()
    with open_workspace(ws_dir) as ws:
        LabelTable.of(ws.knowledge_graph(), folder)
    assert _table(folder) == table
