"""The fast builds of the caches give what the plain definitions give.

The compiled index reads a workspace's requirements as integer pairs and
computes its closures as sparse reachability; the label table reads the
store without FILTERs and in a second thread. Checked here against the
skill model's own methods (set by set), against the same files loaded in
memory through rdflib (odd IRIs, literals with tabs and newlines, blank
nodes, facts stated twice, a literal where an IRI belongs), and against the
reader that falls back to IRIs.
"""

import math
import sqlite3

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careergraph.graph import load
from careergraph.graph.convert import skill_model
from careergraph.graph.index import _MATRICES, _target_requirements, build_index, index_from
from test_paths_properties import _setup, instances

# Every awkward thing a file can hold where the builds read: IRIs with escapes, a fragment,
# parentheses and non-ASCII letters; labels with tabs, newlines, quotes, backslashes and
# languages; blank nodes as targets and as skills; a literal where a skill IRI belongs; a target
# typed twice; a literal as a prerequisite; an untyped subject with a requirement; a skill no model fact mentions; a target
# without requirements; and "needs" made cyclic by an inherited prerequisite (x is narrower
# than y, y needs z first, z needs x first).
ODD = r"""
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .

skill:base a cg:Skill ; skos:prefLabel "Base\tskill\nwith \"quotes\" and \\ a backslash" ; cg:effortHours 10 .
<https://w3id.org/careergraph/skill/caf%C3%A9#x> a cg:Skill ; skos:prefLabel "Café ☕"@fr , "Cafe"@en ;
    cg:effortHours 5 ; cg:prerequisite skill:base .
<urn:x:odd(skill)> a cg:Skill ; skos:altLabel "Odd, (very)" ; skos:broader skill:broad ; cg:effortHours 2 .
<https://example.org/ünïcödé/skill> a cg:Skill ; cg:effortHours 3 ; skos:broader skill:broad .
skill:broad a cg:Skill ; skos:prefLabel "Broad" , "  Broad  " .
skill:x a cg:Skill ; skos:broader skill:y ; cg:effortHours 1 .
skill:y a cg:Skill ; cg:prerequisite skill:z .
skill:z a cg:Skill ; cg:prerequisite skill:x ; cg:effortHours 4 .
skill:blank-prereq cg:prerequisite [ skos:prefLabel "anonymous" ] .
skill:base cg:prerequisite "a literal, no skill" .

posting:p1 a cg:JobPosting ; schema:title "Dev\twith a tab" ; rdfs:label "Dev\twith a tab" ;
    cg:requiresSkill skill:base , <urn:x:odd(skill)> , "dart" , skill:broad , skill:unmodelled ;
    cg:prefersSkill skill:z .
posting:p2 a cg:JobPosting , cg:Role ; rdfs:label "Both kinds"@de ;
    cg:requiresSkill [ a cg:Skill ] ; cg:needsSkill <https://w3id.org/careergraph/skill/caf%C3%A9#x> .
posting:p3 a cg:JobPosting ; schema:title "Nothing required" .
posting:p4 a cg:JobPosting ; cg:requiresSkill skill:x , skill:y .
_:anonymous a cg:JobPosting ; cg:requiresSkill skill:base ; rdfs:label "no IRI" .
posting:untyped cg:requiresSkill skill:base .
<https://w3id.org/careergraph/role/r1> a cg:Role ; cg:needsSkill skill:broad , skill:z ;
    rdfs:label "Rôle \"one\"" .
"""

# A second source stating some of the same facts again.
AGAIN = r"""
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .

posting:p1 a cg:JobPosting ; cg:requiresSkill skill:base , skill:broad ; rdfs:label "Dev\twith a tab" .
<https://w3id.org/careergraph/role/r1> a cg:Role ; cg:needsSkill skill:z .
"""


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("odd")
    (folder / "odd.ttl").write_text(ODD, encoding="utf-8")
    (folder / "again.ttl").write_text(AGAIN, encoding="utf-8")
    return [folder / "odd.ttl", folder / "again.ttl"]


@pytest.fixture(scope="module")
def odd_workspace(odd_files, tmp_path_factory):
    from careergraph.graph.workspace import init_workspace

    with init_workspace(tmp_path_factory.mktemp("oddws") / "ws", bundled=False) as ws:
        for f in odd_files:
            ws.add(f)
        yield ws


def _assert_same_index(got, want):
    assert list(got.skills) == list(want.skills)
    assert list(got.targets) == list(want.targets) and list(got.kinds) == list(want.kinds)
    assert np.array_equal(got.hours, want.hours) and np.array_equal(got.weight, want.weight)
    assert np.array_equal(got.cyclic, want.cyclic)
    for name in _MATRICES:
        a, b = getattr(got, name), getattr(want, name)
        assert tuple(a.shape) == tuple(b.shape), name
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices), name
    assert got.options.keys() == want.options.keys()
    for k in got.options:
        assert np.array_equal(got.options[k], want.options[k]), k


def test_workspace_index_is_the_rdflib_one_on_odd_data(odd_files, odd_workspace):
    """The integer-pair reader over Oxigraph gives the index rdflib's reading of the same files gives."""
    kg = odd_workspace.knowledge_graph()
    assert kg.oxigraph is not None
    native = build_index(kg)
    memory = load(*odd_files, bundled=False)
    # rdflib's reading lists the blank-node posting as a target too; a workspace leaves it out (a blank
    # node has no name that a later read would give again), so the reference drops it as well
    reqs, kinds = _target_requirements(memory)
    assert any(t.startswith("n") and "/" not in t for t in reqs), "the blank-node posting, read by rdflib"
    named = {t: v for t, v in reqs.items() if ":" in t}
    plain = index_from(skill_model(memory), named, kinds=kinds)
    _assert_same_index(native, plain)
    # what the data says, checked on its own
    p1 = native.target_position("https://w3id.org/careergraph/posting/p1")
    named = {native.skills[j] for j in native.requires[p1].indices}
    assert "dart" not in native.skills, "a literal is no skill"
    assert {"https://w3id.org/careergraph/skill/base", "urn:x:odd(skill)",
            "https://w3id.org/careergraph/skill/unmodelled"} <= named
    assert native.kinds[native.target_position("https://w3id.org/careergraph/posting/p2")] == "posting"
    assert native.target_position("https://w3id.org/careergraph/posting/untyped") is None
    assert native.requires[native.target_position("https://w3id.org/careergraph/posting/p3")].nnz == 0
    assert all(t.startswith(("https://", "urn:")) for t in native.targets), "no blank node as a target"
    cyclic = {native.skills[i] for i in np.flatnonzero(native.cyclic)}
    assert cyclic == {"https://w3id.org/careergraph/skill/x", "https://w3id.org/careergraph/skill/z"}


def test_requirements_read_in_two_halves_give_the_same_index(odd_workspace, monkeypatch):
    """Many targets are read in two threads, half each (here with the threshold lowered)."""
    from careergraph.graph import index as index_module

    kg = odd_workspace.knowledge_graph()
    whole = build_index(kg)
    monkeypatch.setattr(index_module, "_SPLIT_TARGETS", 1)
    calls = []
    read = index_module._read_pairs
    monkeypatch.setattr(index_module, "_read_pairs", lambda store, t, s: calls.append(len(t)) or read(store, t, s))
    _assert_same_index(build_index(kg), whole)
    assert len(calls) == 2 and sum(calls) == len(whole.targets)


def test_reader_falls_back_to_iris_when_one_cannot_go_in_a_query(odd_workspace, monkeypatch):
    """An IRI a VALUES block cannot hold sends the reader back to reading IRIs: the same index."""
    from careergraph.graph import neighbourhood
    from careergraph.graph.errors import InvalidDataError

    kg = odd_workspace.knowledge_graph()
    fast = build_index(kg)
    checked = neighbourhood.iri_ref

    def refuse(iri):
        if "%C3%A9" in str(iri):
            raise InvalidDataError(f"refused: {iri}")
        return checked(iri)

    monkeypatch.setattr(neighbourhood, "iri_ref", refuse)
    _assert_same_index(build_index(kg), fast)


def test_label_table_holds_the_rdflib_index_rows_on_odd_data(odd_workspace, tmp_path):
    """The table built from the store (no FILTER, a second thread) holds the rows of the index
    rdflib's reading of the same files gives: tabs, newlines, quotes, languages, blank nodes."""
    from careergraph.graph.resolve import LabelIndex, LabelTable

    kg = odd_workspace.knowledge_graph()
    table = LabelTable.of(kg, tmp_path)
    db = sqlite3.connect(table.path)
    labels = db.execute("SELECT tier, key, iri FROM labels").fetchall()
    types = db.execute("SELECT iri, class FROM types").fetchall()
    plain = LabelIndex(kg.graph)  # the same store read through rdflib (its catalog included)
    want_labels = [(tier, k, str(i)) for tier, keys in enumerate(plain.tiers) for k, iris in keys.items()
                   for i in iris]
    want_types = [(str(i), str(c)) for i, classes in plain.types.items() for c in classes]
    assert sorted(labels) == sorted(want_labels) and len(labels) == len(set(labels))
    assert sorted(types) == sorted(want_types)
    assert (0, "base skill with \"quotes\" and \\ a backslash", "https://w3id.org/careergraph/skill/base") \
        in labels, "a label with a tab and a newline, normalised"
    assert (0, "café ☕", "https://w3id.org/careergraph/skill/caf%C3%A9#x") in labels
    assert all(not iri.startswith("_:") for _, _, iri in labels)
    native = LabelIndex(store=kg.oxigraph)  # the in-memory index read the same way: URIRefs, same rows
    assert native.tiers == plain.tiers and native.types == plain.types


# -- the sparse closures against the model's own methods ---------------------------------------
def _reference(model, skills, targets):
    """Per skill, and per target, what the index must hold, from SkillModel's methods, set by set."""
    pos = {s: i for i, s in enumerate(skills)}
    options = [model.options(s) for s in skills]
    choice = [o != (s,) for s, o in zip(skills, options)]

    def reach(i):  # along "needs" from skills that are not choices
        seen, todo = {i}, [i]
        while todo:
            j = todo.pop()
            if not choice[j]:
                for k in model.needs(skills[j]):
                    if pos[k] not in seen:
                        seen.add(pos[k])
                        todo.append(pos[k])
        return seen

    reached = [reach(i) for i in range(len(skills))]
    fixed = [{j for j in r if not choice[j]} for r in reached]
    frontier = [{j for j in r if choice[j]} for r in reached]
    cyclic = {i for i, r in enumerate(reached) if any(i in reached[j] for j in r if j != i)}
    up = [{pos[b] for b in model.up(s) if b != s} if not frontier[i] and not choice[i] else set()
          for i, s in enumerate(skills)]

    def drop_met(f, fr):
        met = set().union(*(up[k] for k in f)) if f else set()
        return fr - met

    closure = [{pos[k] for k in model.closure({s})} for s in skills]
    option_rows = []
    for c in (i for i in range(len(skills)) if choice[i]):
        for o in options[c]:
            j = pos[o]
            if j == c:
                f = {c}.union(*(fixed[pos[k]] for k in model.needs(skills[c])))
                fr = set().union(*(frontier[pos[k]] for k in model.needs(skills[c])))
            else:
                f, fr = fixed[j], frontier[j]
            option_rows.append((c, f, drop_met(f, fr)))
    target_rows = []
    for name in sorted(targets):
        req = {pos[s] for s in targets[name]}
        f = set().union(*(fixed[r] for r in req)) if req else set()
        fr = set().union(*(frontier[r] for r in req)) if req else set()
        target_rows.append((req, f, drop_met(f, fr)))
    return {"fixed": fixed, "frontier": [drop_met(f, fr) for f, fr in zip(fixed, frontier)],
            "cyclic": cyclic, "up": up, "closure": closure, "options": option_rows, "targets": target_rows}


def _row(m, i) -> set:
    return set(m.indices[m.indptr[i]:m.indptr[i + 1]].tolist())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instances(max_skills=9), min_size=1, max_size=1), st.data())
def test_sparse_closures_are_the_models_sets(instances_, data):
    model, *_ = _setup(instances_[0])
    modelled = {*model.hours, *model.prerequisites, *model.broader, *model.narrower,
                *(p for v in model.prerequisites.values() for p in v)}
    pool = sorted(modelled | set(instances_[0][5]))  # with skills the model does not mention
    targets = {f"t{i}": data.draw(st.sets(st.sampled_from(pool), max_size=4)) for i in range(3)}
    skills = sorted(modelled.union(*targets.values()))
    idx = index_from(model, targets)
    assert list(idx.skills) == skills
    want = _reference(model, skills, targets)
    for i in range(len(skills)):
        assert _row(idx.skill_fixed, i) == want["fixed"][i]
        assert _row(idx.skill_frontier, i) == want["frontier"][i]
        assert _row(idx.up, i) == want["up"][i]
        assert _row(idx.closure, i) == want["closure"][i]
    assert set(np.flatnonzero(idx.cyclic).tolist()) == want["cyclic"]
    t = idx.options
    got_options = [(int(t["choice"][t["segment"][r]]), _row(idx.option_fixed, r), _row(idx.option_frontier, r))
                   for r in t["row"].tolist()]
    assert got_options == want["options"]
    for i, (req, f, fr) in enumerate(want["targets"]):
        assert (_row(idx.requires, i), _row(idx.fixed, i), _row(idx.frontier, i)) == (req, f, fr)
    for m in (idx.up, idx.requires, idx.fixed):  # rows stored sorted: the saved file is the same every run
        for i in range(m.shape[0]):
            row = m.indices[m.indptr[i]:m.indptr[i + 1]]
            assert np.all(row[1:] > row[:-1])


# -- the readers ---------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), min_size=1, max_size=6))
def test_tsv_rows_give_back_every_text(texts):
    """Texts with tabs, newlines, quotes, backslashes and any letter come back as they went in."""
    import pyoxigraph as ox

    from careergraph.graph.native import select_iris

    store = ox.Store()
    g = ox.NamedNode("http://x/g")
    for i, text in enumerate(texts):
        store.add(ox.Quad(ox.NamedNode(f"http://x/s{i}"), ox.NamedNode("http://x/p"), ox.Literal(text), g))
    rows = select_iris(store, "SELECT ?s (STR(?o) AS ?t) WHERE { ?s ?p ?o }")
    assert sorted(rows) == sorted((f"http://x/s{i}", t) for i, t in enumerate(texts))
    assert select_iris(store, "SELECT ?s ?o WHERE { ?s ?p ?o }", literals=False) == \
        [(s, None) for s, _ in select_iris(store, "SELECT ?s ?o WHERE { ?s ?p ?o }")]


@pytest.mark.parametrize("values", ["(1 UNDEF)", "(UNDEF 2)", '("1" 2)', "(1 2.5)", "(<http://x/a> 2)"])
def test_integer_rows_refuse_anything_else(values):
    import pyoxigraph as ox

    from careergraph.graph.native import select_integers

    with pytest.raises(ValueError):
        select_integers(ox.Store(), f"SELECT ?a ?b WHERE {{ VALUES (?a ?b) {{ (7 8) {values} }} }}", 2)
    ok = select_integers(ox.Store(), "SELECT ?a ?b WHERE { VALUES (?a ?b) { (7 8) (-1 0) } }", 2)
    assert ok.tolist() == [[7, 8], [-1, 0]] and not math.isnan(ok.sum())


def test_integer_rows_read_in_threads_leave_the_warnings_filters_alone():
    """build_index reads integer rows in two threads at once: a warnings filter changed for the
    read (catch_warnings is not thread-safe) once stayed on, and a later command died of a
    DeprecationWarning raised as an error."""
    import threading
    import warnings

    import pyoxigraph as ox

    from careergraph.graph.native import select_integers

    store = ox.Store()
    query = "SELECT ?a ?b WHERE { VALUES (?a ?b) { " + " ".join(f"({i} {i + 1})" for i in range(2000)) + " } }"
    select_integers(store, query, 2)
    before = list(warnings.filters)
    errors = []

    def read():
        try:
            for _ in range(30):
                assert select_integers(store, query, 2).shape == (2000, 2)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert warnings.filters == before
