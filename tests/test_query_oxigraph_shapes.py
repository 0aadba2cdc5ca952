"""Named queries answered another way on a workspace give the rows of their own text.

``careergraph.graph.sparql`` runs some named queries on Oxigraph in a text of
its own (:data:`~careergraph.graph.sparql.OXIGRAPH_TEXTS`: every pattern in a
sub-select, which Oxigraph joins by hashing) and answers
``skills-in-several-postings`` from the compiled index where one is saved and
exact for the data (:func:`careergraph.graph.demand.asked_counts`). The
``queries/*.rq`` texts say what the queries mean: here each other way is run
beside the text itself, on Oxigraph (which sorts) and on rdflib, over the
benchmark generator's tiny market (a 400-skill hierarchy) plus facts where the
ways could part: postings with two levels, two titles, two employers, no title
or no employer; a subject with a level that is not a posting; a level without
a rank and one with two; a posting asking for a skill and for skills narrower
and broader than it; skills met only through the hierarchy, several levels up;
a skill both required and preferred; skills only preferred; facts two sources
state. Where the data holds what the index leaves out (a literal skill, a
posting's ``cg:needsSkill``, a blank-node posting or hierarchy node), or no
index is saved, the query runs instead, and gives the same rows.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
from rdflib import URIRef

from careergraph import queries
from careergraph.graph import load, sparql
from careergraph.graph.demand import asked_counts
from careergraph.graph.index import compiled_index
from careergraph.graph.sparql import OXIGRAPH_TEXTS, _order_plan, bind_parameters, run_named, run_sparql

HERE = Path(__file__).parent
SPEC = importlib.util.spec_from_file_location("generate", HERE.parent / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)

PREFIXES = """\
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix role: <https://w3id.org/careergraph/role/> .
@prefix level: <https://w3id.org/careergraph/level/> .
@prefix org: <https://w3id.org/careergraph/org/> .
"""

EXTRA = PREFIXES + """\
level:trainee a cg:SeniorityLevel ; rdfs:label "Trainee"@en .
level:odd a cg:SeniorityLevel ; rdfs:label "Odd"@en ; cg:levelRank 7, 8 .
posting:y-two-levels a cg:JobPosting ; cg:seniority level:junior, level:senior ; schema:title "Two" ;
    schema:hiringOrganization org:o0001, org:o0002 ;
    cg:requiresSkill skill:y-leaf, skill:y-mid ; cg:prefersSkill skill:y-top .
posting:y-untitled a cg:JobPosting ; cg:seniority level:trainee ; schema:hiringOrganization org:o0001 ;
    cg:requiresSkill skill:y-leaf ; cg:prefersSkill skill:y-leaf .
posting:y-no-employer a cg:JobPosting ; cg:seniority level:trainee ; schema:title "N" ;
    cg:prefersSkill skill:y-only-preferred .
posting:y-odd a cg:JobPosting ; cg:seniority level:odd ; schema:title "O"@en, "O" ;
    schema:hiringOrganization org:o0003 ; cg:prefersSkill skill:y-only-preferred, skill:y-leaf2 .
posting:y-not-a-posting cg:seniority level:junior ; schema:title "U" ; schema:hiringOrganization org:o0001 ;
    cg:requiresSkill skill:y-top ; cg:prefersSkill skill:y-leaf .
skill:y-leaf a cg:Skill ; skos:broader skill:y-mid .
skill:y-leaf2 a cg:Skill ; skos:broader skill:y-mid .
skill:y-mid a cg:Skill ; skos:broader skill:y-top .
skill:y-top a cg:Skill ; skos:broader skill:s00001 .
skill:y-only-preferred a cg:Skill .
"""
# facts the generated file states too: a second source repeats them (Oxigraph's union is a bag)
REPEATED = PREFIXES + """\
posting:p000001 a cg:JobPosting ; cg:seniority level:middle ; cg:requiresSkill skill:s00055 .
skill:s00005 skos:broader skill:s00001 .
"""

# what the index leaves out, each breaking the index's answer on its own
INEXACT = {
    "literal skill": 'posting:p000001 cg:prefersSkill "Dart" .',
    "needs": "posting:y-untitled cg:needsSkill skill:y-only .",
    "blank posting": "[] a cg:JobPosting ; cg:requiresSkill skill:s00055 .",
    "blank hierarchy": "skill:s00055 skos:broader [ skos:broader skill:s00002 ] .",
    "literal hierarchy": 'skill:s00055 skos:broader "Programming" .',
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("query-shapes")
    generate.generate("T", 5, folder)
    (folder / "extra.ttl").write_text(EXTRA, encoding="utf-8")
    (folder / "repeated.ttl").write_text(REPEATED, encoding="utf-8")
    return [folder / "T.nt", folder / "extra.ttl", folder / "repeated.ttl"]


@pytest.fixture(scope="module")
def memory(files):
    return load(*files, bundled=False)


def _workspace(path, files, *, index: bool):
    from careergraph.graph.workspace import init_workspace

    ws = init_workspace(path, bundled=False)
    for f in files:
        ws.add(f)
    kg = ws.knowledge_graph()
    if index:
        compiled_index(kg)  # built and saved in the workspace's index folder
    return ws, kg


@pytest.fixture(scope="module")
def oxi(files, tmp_path_factory):
    ws, kg = _workspace(tmp_path_factory.mktemp("query-shapes-ws") / "ws", files, index=True)
    yield kg
    ws.close()


def shown(row):
    return tuple(None if v is None else v.n3() for v in row)


def rows(result):
    return [tuple(r) for r in result.rows]


def both_texts(memory, oxi, name, params):
    """The named query's own text run by Oxigraph (which sorts) and by rdflib (None without ``memory``)."""
    named = queries.get(name)
    return (rows(run_sparql(oxi, named.text, bindings=bind_parameters(oxi, named, params))),
            None if memory is None else
            rows(run_sparql(memory, named.text, bindings=bind_parameters(memory, named, params))))


def python_order(kg, name, params):
    """The named query's own text on Oxigraph, its rows ordered in Python as :func:`run_named` orders them."""
    named = queries.get(name)
    return rows(sparql._run(kg, named.text, None, "SELECT", bind_parameters(kg, named, params), 30.0, None,
                            trusted=True))


def test_the_edge_facts_reach_the_answers(memory):
    by_level = rows(run_sparql(memory, queries.get("postings-by-seniority").text))
    postings = [str(r[1]).rsplit("/", 1)[1] for r in by_level]
    assert postings.count("y-two-levels") == 4  # two levels x two employers
    assert postings.count("y-odd") == 2 and "y-untitled" not in postings and "y-not-a-posting" not in postings
    several = dict(run_named(memory, "skills-in-several-postings", min=1, narrower="true").rows)
    plain = dict(run_named(memory, "skills-in-several-postings", min=1).rows)
    top, mid = (URIRef(f"https://w3id.org/careergraph/skill/y-{s}") for s in ("top", "mid"))
    # y-top: asked by y-two-levels itself (and through y-mid, y-leaf), y-untitled and y-odd through the hierarchy
    assert int(plain[top]) == 1 and int(several[top]) == 3 and int(several[mid]) == 3


@pytest.mark.parametrize("name", sorted(OXIGRAPH_TEXTS))
def test_an_oxigraph_text_keeps_the_projection_and_order(name):
    mine, theirs = _order_plan(OXIGRAPH_TEXTS[name]), _order_plan(queries.get(name).text)
    assert (mine.keys, mine.hidden, mine.distinct) == (theirs.keys, theirs.hidden, theirs.distinct)
    assert sparql.text_type(OXIGRAPH_TEXTS[name]) == sparql.text_type(queries.get(name).text)


def shape_cases(memory):
    levels = [None, *sorted(memory.entities("level"), key=str)]
    return [("postings-by-seniority", {} if lvl is None else {"level": str(lvl)}) for lvl in levels]


def test_every_other_way_is_compared_here(memory):
    """A new text for Oxigraph or a new answer from the index needs its cases in this file."""
    assert {name for name, _ in shape_cases(memory)} == set(OXIGRAPH_TEXTS)
    assert set(sparql._INDEX_ANSWERS) == {"skills-in-several-postings"}


def test_oxigraph_texts_give_the_rows_of_the_named_text(memory, oxi):
    checked = 0
    for name, params in shape_cases(memory):
        assert name in OXIGRAPH_TEXTS
        oxigraph_sorts, rdflib_rows = both_texts(memory, oxi, name, params)
        got = rows(run_named(oxi, name, **params))
        assert got == python_order(oxi, name, params), (name, params)  # tied rows too
        # Oxigraph's ORDER BY and rdflib's: the same rows, in the same order of the key columns
        # (each may order tied rows either way)
        for other in (oxigraph_sorts, rdflib_rows):
            assert Counter(map(shown, got)) == Counter(map(shown, other)), (name, params)
            assert [r[:2] for r in got] == [r[:2] for r in other], (name, params)
        checked += len(got) > 1
    assert checked >= 5


SEVERAL = [{"min": m, "narrower": n} for m, n in (("-1", "true"), ("0", "false"), ("1", "false"), ("2", "true"),
                                                  ("3", "false"), ("7", "true"))]
#: The cases also run by rdflib (slow on the hierarchy: it walks skos:broader+ posting by posting).
BY_RDFLIB = ({"min": "2", "narrower": "true"}, {"min": "1", "narrower": "false"})


def test_the_index_answers_skills_in_several_postings(memory, oxi, monkeypatch):
    assert asked_counts(oxi) is not None and asked_counts(oxi, narrower=True) is not None
    expected = {}
    for params in SEVERAL:
        expected[tuple(params.items())] = both_texts(memory if params in BY_RDFLIB else None, oxi,
                                                     "skills-in-several-postings", params)

    def no_query(*args, **kwargs):
        raise AssertionError("the query ran: the index did not answer")

    monkeypatch.setattr(sparql, "_run_oxigraph", no_query)
    for params in SEVERAL:
        oxigraph_sorts, rdflib_rows = expected[tuple(params.items())]
        got = rows(run_named(oxi, "skills-in-several-postings", **params))
        assert got == oxigraph_sorts, params
        if rdflib_rows is not None:
            assert [(s, int(n)) for s, n in got] == [(s, int(n)) for s, n in rdflib_rows], params
        assert all(str(n.datatype).endswith("#integer") for _, n in got)
        for limit in (1, 5, len(got) or 1):
            cut = run_named(oxi, "skills-in-several-postings", limit=limit, **params)
            assert rows(cut) == got[:limit] and cut.truncated == (len(got) > limit), (params, limit)
    counts = [int(n) for _, n in got]
    assert len(counts) > len(set(counts))  # ties in the count: ordered by IRI


@pytest.mark.parametrize("what", sorted(INEXACT))
def test_the_query_runs_where_the_index_cannot_answer_exactly(what, files, tmp_path):
    odd = tmp_path / "odd.ttl"
    odd.write_text(PREFIXES + INEXACT[what] + "\n", encoding="utf-8")
    small = files[1:]  # the edge facts alone: a workspace and an index in a moment
    ws, kg = _workspace(tmp_path / "ws", [*small, odd], index=True)
    try:
        memory = load(*small, odd, bundled=False)
        narrower = what.endswith("hierarchy")
        assert asked_counts(kg, narrower=narrower) is None
        for params in ({"min": "1", "narrower": "true"}, {"min": "2", "narrower": "false"}):
            oxigraph_sorts, rdflib_rows = both_texts(memory, kg, "skills-in-several-postings", params)
            got = rows(run_named(kg, "skills-in-several-postings", **params))
            assert got == oxigraph_sorts and got, params
            assert len(got) == len(rdflib_rows), params
    finally:
        ws.close()


def test_without_a_saved_index_the_query_runs(files, tmp_path):
    ws, kg = _workspace(tmp_path / "ws", files[1:], index=False)
    try:
        assert asked_counts(kg) is None
        assert not (Path(kg.index_folder) / "index.json").exists()  # nothing was built for it
        assert len(run_named(kg, "skills-in-several-postings")) > 0
    finally:
        ws.close()


def test_with_narrower_skills_the_index_is_built_for_the_answer(files, tmp_path):
    """With narrower=true the query evaluates skos:broader+ per requirement (56 s at L): a build
    (6 s there) is cheaper, saved for the next questions, and gives the query's rows."""
    ws, kg = _workspace(tmp_path / "ws", files[1:], index=False)
    try:
        params = {"min": "1", "narrower": "true"}
        oxigraph_sorts, _ = both_texts(None, kg, "skills-in-several-postings", params)
        assert not (Path(kg.index_folder) / "index.json").exists()
        got = rows(run_named(kg, "skills-in-several-postings", **params))
        assert (Path(kg.index_folder) / "index.json").exists(), "built and saved for the answer"
        assert asked_counts(kg, narrower=True) is not None
        assert got == oxigraph_sorts and got
    finally:
        ws.close()


def test_the_check_is_recorded_once_per_index_key(files, tmp_path):
    """What the data holds is asked once per index key and read back from the index folder."""
    import json

    from careergraph.graph.demand import ASKED_FILE

    ws, kg = _workspace(tmp_path / "ws", files[1:], index=True)
    try:
        path = Path(kg.index_folder) / ASKED_FILE
        assert not path.exists()
        assert asked_counts(kg) is not None
        saved = json.loads(path.read_text(encoding="utf-8"))
        assert saved["exact"] is True and saved["key"].endswith(kg.index_key())
        path.write_text(json.dumps({**saved, "exact": False}), encoding="utf-8")  # read, not asked again
        assert asked_counts(kg) is None
        path.write_text(json.dumps({**saved, "key": "another", "exact": False}), encoding="utf-8")
        assert asked_counts(kg) is not None  # another key: asked again
        assert [p.name for p in Path(kg.index_folder).glob("*.tmp")] == []
    finally:
        ws.close()
