"""Named queries on Oxigraph: rows ordered on their TSV text, only the rows shown made terms.

``careergraph.graph.sparql`` orders the rows of a named query's final ORDER BY
in Python, reading the sort keys from Oxigraph's TSV (:func:`_sort_tsv`);
these tests hold it to the term-based order (:func:`_sort_rows`, itself checked
against Oxigraph's ORDER BY in ``test_query_scale.py``) on random rows, and
count the terms made when a limit cuts the answer. A value bound to a variable
that the outer SELECT and a sub-select both select is written as a BIND.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from careergraph.graph import load
from careergraph.graph import sparql
from careergraph.graph.results import from_tsv
from careergraph.graph.sparql import (_column_keys, _order_plan, _sort_rows, _sort_tsv, _Unsortable,
                                      inline_bindings, run_named, run_sparql)

NS = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _terms():
    iris = st.sampled_from([f"{NS}{x}" for x in ("a", "a-b", "a/b", "ab", "b", "B", "é", "a0")]).map(ox.NamedNode)
    numbers = st.one_of(
        st.integers(-3, 3).map(lambda i: ox.Literal(str(i), datatype=ox.NamedNode(XSD + "integer"))),
        st.sampled_from(["-1.5", "0.5", "2.0"]).map(lambda d: ox.Literal(d, datatype=ox.NamedNode(XSD + "decimal"))),
    )
    strings = st.text(alphabet="aAbé \t\"\\z\n", max_size=3).map(ox.Literal)
    tagged = st.sampled_from(["x", "y"]).map(lambda s: ox.Literal(s, language="en"))
    return st.one_of(st.just(None), iris, st.sampled_from(["b1", "b2"]).map(ox.BlankNode), numbers, strings, tagged)


QUERIES = [  # hidden keys under DISTINCT (rows merged once they are dropped), descending keys
    "SELECT DISTINCT ?b WHERE { ?row ?p ?o OPTIONAL { ?row <%sa> ?a } OPTIONAL { ?row <%sb> ?b } } "
    "ORDER BY DESC(?a) ?b",
    "SELECT DISTINCT ?b ?row WHERE { ?row ?p ?o OPTIONAL { ?row <%sa> ?a } OPTIONAL { ?row <%sb> ?b } } "
    "ORDER BY ?a ?b",
    "SELECT ?a ?b ?row WHERE { ?row ?p ?o OPTIONAL { ?row <%sa> ?a } OPTIONAL { ?row <%sb> ?b } } "
    "ORDER BY DESC(?a) ?b",
    "SELECT DISTINCT ?a ?b WHERE { ?row ?p ?o OPTIONAL { ?row <%sa> ?a } OPTIONAL { ?row <%sb> ?b } } "
    "ORDER BY ?b DESC(?a)",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_terms(), _terms()), min_size=0, max_size=14),
       which=st.integers(0, len(QUERIES) - 1), limit=st.one_of(st.none(), st.integers(1, 16)))
def test_tsv_order_is_the_term_order_and_a_limit_cuts_it(rows, which, limit):
    store = ox.Store()
    for i, (a, b) in enumerate(rows):
        row = ox.NamedNode(f"{NS}row{i}")
        store.add(ox.Quad(row, ox.NamedNode(NS + "in"), ox.Literal("x"), ox.NamedNode(NS + "g")))
        for name, value in (("a", a), ("b", b)):
            if value is not None:
                store.add(ox.Quad(row, ox.NamedNode(NS + name), value, ox.NamedNode(NS + "g")))
    plan = _order_plan(QUERIES[which] % (NS, NS))
    data = store.query(plan.text.replace("?row ?p ?o", f"?row <{NS}in> ?o"), use_default_graph_as_union=True) \
        .serialize(format=ox.QueryResultsFormat.TSV)
    names = [v[1:] for v in data.decode().split("\n", 1)[0].split("\t")]
    _, terms = from_tsv(data)
    position = {n: i for i, n in enumerate(names)}
    try:
        got_names, got, truncated = _sort_tsv(names, data, plan, limit)
    except _Unsortable:  # then the terms cannot be ordered in Python either
        with pytest.raises(_Unsortable):
            for n, _ in plan.keys:
                _column_keys([row[position[n]] for row in terms])
        return
    want_names, want = _sort_rows(names, terms, plan)
    assert got_names == want_names
    assert got == (want if limit is None else want[:limit])
    assert truncated == (limit is not None and len(want) > limit)


def test_a_limit_makes_only_the_rows_shown(monkeypatch):
    """Of 300 rows ordered by an IRI, a limit of 5 makes terms of about 5 rows, not 300."""
    store = ox.Store()
    for i in range(300):
        s = ox.NamedNode(f"{NS}s{i:03d}")
        store.add(ox.Quad(s, ox.NamedNode(NS + "p"), ox.Literal(f"title {i}"), ox.NamedNode(NS + "g")))
        store.add(ox.Quad(s, ox.NamedNode(NS + "q"), ox.NamedNode(f"{NS}o{i % 7}"), ox.NamedNode(NS + "g")))
    plan = _order_plan(f"SELECT ?s ?t ?o WHERE {{ ?s <{NS}p> ?t ; <{NS}q> ?o }} ORDER BY DESC(?s)")
    data = store.query(plan.text, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)
    made = []
    real = sparql._tsv_cell
    monkeypatch.setattr(sparql, "_tsv_cell", lambda cell: made.append(cell) or real(cell))
    names, rows, truncated = _sort_tsv(["s", "t", "o"], data, plan, 5)
    assert truncated and [str(r[0])[-3:] for r in rows] == ["299", "298", "297", "296", "295"]
    assert len(made) <= 3 * 6  # the 5 rows kept and the one that shows there are more
    made.clear()
    _sort_tsv(["s", "t", "o"], data, plan, None)
    assert len(made) == 300 + 300 + 7  # without a limit, every distinct cell


@pytest.fixture(scope="module")
def memory():
    return load()


@pytest.fixture(scope="module")
def oxi():
    return sparql.query_graph()


SUB_SELECTED = "SELECT ?skill ?p WHERE { ?p cg:requiresSkill ?skill . { SELECT ?skill WHERE { ?x cg:prefersSkill ?skill } } }"


def test_a_value_selected_inside_and_outside_a_sub_select_is_bound_once():
    dart = URIRef("https://w3id.org/careergraph/skill/dart")
    text = inline_bindings(SUB_SELECTED, {"skill": dart})
    assert text.startswith("SELECT ?skill ?p WHERE { BIND(<https://w3id.org/careergraph/skill/dart> AS ?skill)")
    assert "{ SELECT (<https://w3id.org/careergraph/skill/dart> AS ?skill) WHERE" in text
    # selected only by the outer SELECT: written there, as before
    assert inline_bindings("SELECT ?skill WHERE { ?p cg:requiresSkill ?skill }", {"skill": dart}) \
        == f"SELECT (<{dart}> AS ?skill) WHERE {{ ?p cg:requiresSkill <{dart}> }}"


@pytest.mark.parametrize("skill", ["skill:dart", "skill:flutter", "skill:state-management"])
def test_a_value_bound_in_a_sub_select_gives_rdflibs_rows(memory, oxi, skill):
    value = memory.resolve(skill)
    expected = sorted(tuple(r) for r in run_sparql(memory, SUB_SELECTED, bindings={"skill": value}).rows)
    got = sorted(tuple(r) for r in run_sparql(oxi, SUB_SELECTED, bindings={"skill": value}).rows)
    assert got == expected


@pytest.mark.parametrize("level", [None, "level:junior", "level:middle", "level:senior", "level:lead"])
def test_postings_by_seniority_with_a_level_on_oxigraph_is_rdflibs(memory, oxi, level):
    params = {} if level is None else {"level": level}
    expected = [tuple(r) for r in run_named(memory, "postings-by-seniority", **params).rows]
    assert expected or level is not None
    assert [tuple(r) for r in run_named(oxi, "postings-by-seniority", **params).rows] == expected
    if level is not None:
        assert {r[0] for r in expected} <= {memory.resolve(level)}
