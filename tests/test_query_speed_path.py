"""The fast path of ``careergraph query run``: the bundled data in an in-memory Oxigraph store.

Without --data, --store or --endpoint a named query runs on
:func:`careergraph.graph.sparql.query_graph` instead of rdflib's evaluator on
:func:`careergraph.graph.load`. It must give the same rows, with the same
lexical forms, and the same command output in every format.
"""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rdflib import Literal

from careergraph import queries
from careergraph.cli.main import cli
from careergraph.cli.options import State
from careergraph.graph import load
from careergraph.graph.sparql import prepare, query_graph, query_type, run_named, text_type

NAMES = queries.names()


def example_words(named) -> list[str]:
    """The ``-p NAME=VALUE`` arguments of a query's ``# example:`` line."""
    words = shlex.split(named.example or "")
    return [f"-p{words[i + 1]}" for i, word in enumerate(words) if word in ("-p", "--param")]


def exact(term):
    """A term with everything that shows in output: kind, text, datatype, language."""
    if term is None:
        return None
    return (type(term).__name__, str(term), getattr(term, "datatype", None), getattr(term, "language", None))


@pytest.fixture(scope="module")
def rdflib_kg():
    return load()


@pytest.fixture(scope="module")
def fast_kg():
    return query_graph()


def test_the_fast_graph_is_oxigraph_with_the_same_sources(rdflib_kg, fast_kg):
    assert rdflib_kg.backend == "rdflib"
    assert fast_kg.backend == "oxigraph"
    assert len(fast_kg.oxigraph) == len(list(rdflib_kg.graph.quads((None, None, None, None))))
    assert sorted(fast_kg.sources, key=lambda s: str(s.iri)) == sorted(rdflib_kg.sources, key=lambda s: str(s.iri))


def test_the_fast_graph_holds_the_same_quads(rdflib_kg, fast_kg):
    """Same quads; Oxigraph writes decimals canonically (20.0 as 20), so literals compare by value."""
    def quads(kg):
        out = set()
        for s, p, o, g in kg.graph.quads((None, None, None, None)):
            if isinstance(o, Literal) and o.datatype is not None:
                o = ("literal", str(o.datatype), o.toPython())
            out.add((s, p, o, getattr(g, "identifier", g)))
        return out

    assert quads(fast_kg) == quads(rdflib_kg)


@pytest.mark.parametrize("name", NAMES)
def test_text_type_agrees_with_the_parser(name):
    text = queries.get(name).text
    assert text_type(text) == query_type(prepare(text))


@pytest.mark.parametrize("name", NAMES)
def test_named_query_gives_the_same_rows(rdflib_kg, fast_kg, name):
    named = queries.get(name)
    params = dict(word[2:].split("=", 1) for word in example_words(named))
    expected = run_named(rdflib_kg, name, **params)
    got = run_named(fast_kg, name, **params)
    assert got.type == expected.type and got.vars == expected.vars
    assert len(expected) > 0, f"{name}: the example finds nothing, so it checks nothing"
    want = [tuple(exact(v) for v in row) for row in expected.rows]
    have = [tuple(exact(v) for v in row) for row in got.rows]
    if "ORDER BY" not in named.text.upper():
        want, have = sorted(want, key=repr), sorted(have, key=repr)
    assert have == want


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["table", "tsv"])  # labels; exact terms
def test_command_output_is_the_same(monkeypatch, name, fmt):
    args = ["query", "run", name, *example_words(queries.get(name)), "--format", fmt]
    runner = CliRunner()
    fast = runner.invoke(cli, args)
    monkeypatch.setattr(State, "query_kg", property(lambda self: self.kg))  # the rdflib path
    slow = runner.invoke(cli, args)
    assert slow.exit_code == 0, slow.output
    assert (fast.exit_code, fast.output) == (slow.exit_code, slow.output)


@pytest.mark.parametrize("args", [
    ["query", "run", "roles-of-component", "-p", "component=No Such Component"],
    ["query", "run", "roles-of-component"],
    ["query", "run", "roles-of-component", "-p", "colour=red"],
    ["query", "run", "skills-in-several-postings", "-p", "min=many"],
    ["query", "run", "skills-in-several-postings", "--format", "turtle"],
    ["query", "run", "skills-in-several-postings", "--limit", "2"],
])
def test_errors_and_limits_are_the_same(monkeypatch, args):
    runner = CliRunner()
    fast = runner.invoke(cli, args)
    monkeypatch.setattr(State, "query_kg", property(lambda self: self.kg))
    slow = runner.invoke(cli, args)
    assert (fast.exit_code, fast.output) == (slow.exit_code, slow.output)


def test_text_type_ignores_keywords_in_strings_and_comments():
    assert text_type('# SELECT\nPREFIX ask: <http://example.org/SELECT>\nCONSTRUCT { ?s ?p "ASK" } WHERE { ?s ?p ?o }') \
        == "CONSTRUCT"


def test_a_named_query_on_the_fast_graph_does_not_load_the_sparql_parser():
    """What makes the path fast: neither rdflib's Turtle-to-SPARQL machinery nor its parser is needed."""
    code = ("import sys\nfrom careergraph.graph.sparql import query_graph, run_named\n"
            "run_named(query_graph(), 'roles-of-component', component='Auth & Session Service')\n"
            "print('rdflib.plugins.sparql.parser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
