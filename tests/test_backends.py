"""Every backend gives the same answers: rdflib in memory, an Oxigraph workspace, a SPARQL endpoint.

The named queries run with the parameters of their ``# example:`` lines;
their rows must be the same multiset of rdflib terms (numbers compared by
value: Oxigraph writes ``80.0`` as ``80``), in the same order where the
query orders its rows. Learning paths and rankings over the bundled data
must not depend on the backend either.
"""

from __future__ import annotations

import shlex
from collections import Counter

import pytest
from rdflib import BNode, Literal, URIRef

from careergraph import queries
from careergraph.graph import QueryError, QueryTimeoutError, load
from careergraph.graph.sparql import inline_bindings, run_named, run_sparql

from oxigraph_server import oxigraph_server  # noqa: F401  (a session fixture)

NAMES = queries.names()


def example_params(named) -> dict:
    """The ``-p NAME=VALUE`` pairs of a query's ``# example:`` line."""
    if not named.example:
        return {}
    words = shlex.split(named.example)
    return dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word in ("-p", "--param"))


def key(term):
    """A comparable form of a term: numbers by value, blank nodes all alike."""
    if isinstance(term, BNode):
        return "_:"
    if isinstance(term, Literal) and term.datatype is not None:
        value = term.toPython()
        if not isinstance(value, Literal):
            return ("literal", str(term.datatype), value)
    return term


def rows(result):
    return [tuple(key(v) for v in row) for row in result.rows]


def ordered(named) -> bool:
    return "ORDER BY" in named.text.upper()


@pytest.fixture(scope="module")
def memory():
    return load()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from careergraph.graph.workspace import init_workspace

    ws = init_workspace(tmp_path_factory.mktemp("backends") / "ws")
    yield ws.knowledge_graph()
    ws.close()


@pytest.fixture(scope="module")
def remote(oxigraph_server):  # noqa: F811
    from careergraph.graph.endpoint import connect

    return connect(oxigraph_server.url, page_size=200)  # small pages: the paging is exercised


@pytest.fixture(scope="module")
def backends(memory, workspace, remote):
    return {"rdflib": memory, "oxigraph": workspace, "endpoint": remote}


def test_each_backend_says_what_it_is(memory, workspace, remote):
    assert (memory.backend, memory.oxigraph) == ("rdflib", None)
    assert workspace.backend == "oxigraph" and workspace.oxigraph is not None
    assert hasattr(workspace.oxigraph, "quads_for_pattern")
    assert (remote.backend, remote.oxigraph) == ("endpoint", None)


def test_every_query_runs_on_some_data():
    """The comparison below means something only if the examples return rows."""
    kg = load()
    empty = [n for n in NAMES if len(run_named(kg, n, **example_params(queries.get(n)))) == 0]
    assert empty == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
def test_named_query_gives_the_same_rows(backends, name, backend):
    named = queries.get(name)
    params = example_params(named)
    expected = run_named(backends["rdflib"], name, **params)
    got = run_named(backends[backend], name, **params)
    assert got.vars == expected.vars
    assert Counter(rows(got)) == Counter(rows(expected))
    if ordered(named):
        assert rows(got) == rows(expected)


@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
def test_every_skill_and_posting_gives_the_same_rows(backends, memory, backend):
    """Data-driven parameters beyond the examples: every posting, every person-posting gap."""
    person = memory.entities("person")[0]
    for posting in memory.entities("posting"):
        for name, params in (("skills-of-posting", {"posting": posting}),
                             ("skill-gap", {"person": person, "posting": posting})):
            expected = run_named(memory, name, **params)
            got = run_named(backends[backend], name, **params)
            assert rows(got) == rows(expected), (name, posting)
    for level in memory.entities("level"):
        expected = run_named(memory, "postings-by-seniority", level=level)
        assert Counter(rows(run_named(backends[backend], "postings-by-seniority", level=level))) \
            == Counter(rows(expected))


@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
def test_ad_hoc_queries_agree(backends, memory, backend):
    # COUNT(DISTINCT): Oxigraph 0.5 counts a triple once per source graph stating it
    texts = [
        "SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ?p cg:requiresSkill ?s } GROUP BY ?p",
        "SELECT DISTINCT ?s ?h WHERE { ?s cg:effortHours ?h }",
        "ASK { person:seed-author cg:hasSkill skill:dart }",
        "ASK { person:seed-author cg:hasSkill skill:no-such-skill }",
    ]
    for text in texts:
        expected, got = run_sparql(memory, text), run_sparql(backends[backend], text)
        if expected.type == "ASK":
            assert got.boolean == expected.boolean
        else:
            assert Counter(rows(got)) == Counter(rows(expected))
    construct = "CONSTRUCT { ?s cg:prerequisite ?o } WHERE { ?s cg:prerequisite ?o }"
    assert set(run_sparql(backends[backend], construct).graph) == set(run_sparql(memory, construct).graph)


@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
def test_values_are_escaped_not_pasted(backends, memory, backend):
    """A string value full of SPARQL syntax is one literal on every backend."""
    hostile = 'x" } ; DROP ALL ; SELECT * { ?s ?p "\\\n'
    text = "SELECT ?v WHERE { BIND(?given AS ?v) }"
    for kg in (memory, backends[backend]):
        result = run_sparql(kg, text, bindings={"given": Literal(hostile)})
        assert [str(r.v) for r in result] == [hostile]


def test_limit_is_the_same_everywhere(backends):
    text = "SELECT ?s WHERE { ?s a cg:Skill } ORDER BY ?s"
    answers = {name: run_sparql(kg, text, limit=7) for name, kg in backends.items()}
    assert all(a.truncated and len(a) == 7 for a in answers.values())
    assert len({tuple(rows(a)) for a in answers.values()}) == 1


def test_oxigraph_query_is_stopped_at_the_time_limit(workspace):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with pytest.raises(QueryTimeoutError):
        run_sparql(workspace, slow, timeout=0.5)
    # the store is still usable afterwards (the child only read it)
    assert len(run_sparql(workspace, "SELECT ?s WHERE { ?s a cg:Person }")) == 1


def test_refused_queries_are_refused_on_every_backend(backends, oxigraph_server):  # noqa: F811
    for kg in backends.values():
        with pytest.raises(QueryError, match="SERVICE"):
            run_sparql(kg, f"SELECT * WHERE {{ SERVICE <{oxigraph_server.url}> {{ ?s ?p ?o }} }}")
        with pytest.raises(QueryError, match="Update"):
            run_sparql(kg, "INSERT DATA { skill:x a cg:Skill }")


# -- inlining values ------------------------------------------------------------------------

ROLE = URIRef("https://w3id.org/careergraph/role/qa-engineer")


@pytest.mark.parametrize("text, expected", [
    ("SELECT ?c WHERE { ?c cg:staffedBy ?role }", f"SELECT ?c WHERE {{ ?c cg:staffedBy <{ROLE}> }}"),
    ("SELECT ?role WHERE { ?c cg:staffedBy $role }",
     f"SELECT (<{ROLE}> AS ?role) WHERE {{ ?c cg:staffedBy <{ROLE}> }}"),
    ("SELECT * WHERE { ?c cg:staffedBy ?role }",
     f"SELECT * WHERE {{ BIND(<{ROLE}> AS ?role) ?c cg:staffedBy <{ROLE}> }}"),
    ("SELECT ?c WHERE { ?c ?p ?o FILTER(BOUND(?role)) } GROUP BY ?role ?c ORDER BY ?role",
     f"SELECT ?c WHERE {{ ?c ?p ?o FILTER(true) }} GROUP BY (<{ROLE}>) ?c ORDER BY (<{ROLE}>)"),
    ('SELECT ?c WHERE { ?c rdfs:label "?role" . ?c ?roles ?x } # ?role',
     'SELECT ?c WHERE { ?c rdfs:label "?role" . ?c ?roles ?x } # ?role'),
])
def test_inline_bindings(text, expected):
    assert inline_bindings(text, {"role": ROLE}) == expected


@pytest.mark.parametrize("text", [
    "SELECT ?c WHERE { ?c ?p ?o BIND(1 AS ?role) }",
    "SELECT ?c WHERE { VALUES ?role { role:qa-engineer } ?c cg:staffedBy ?role }",
])
def test_a_parameter_the_query_assigns_is_refused(text):
    with pytest.raises(QueryError, match="cannot"):
        inline_bindings(text, {"role": ROLE})


def test_blank_nodes_cannot_be_inlined():
    with pytest.raises(QueryError, match="blank node"):
        inline_bindings("SELECT ?x WHERE { ?x ?p ?o }", {"x": BNode()})


# -- algorithms -----------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
def test_learning_paths_agree(backends, memory, backend):
    from careergraph.graph.paths import learning_path

    for target in [*memory.entities("posting"), *memory.entities("role")[:4]]:
        expected = learning_path(memory, None, target).as_dict()
        assert learning_path(backends[backend], None, target).as_dict() == expected, target


@pytest.mark.parametrize("backend", ["oxigraph", "endpoint"])
@pytest.mark.parametrize("kind", ["postings", "roles", "components"])
def test_rankings_agree(backends, memory, backend, kind):
    from careergraph.graph.ranking import rank

    assert rank(backends[backend], kind).as_dict() == rank(memory, kind).as_dict()
