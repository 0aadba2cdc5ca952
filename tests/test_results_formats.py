"""Result formats: every SELECT/ASK format reads back through rdflib's result parsers; RDF output parses back."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from careergraph.graph import load
from careergraph.graph.errors import QueryError, UsageError
from careergraph.graph.results import FORMATS_BY_TYPE, QueryResult, display_rows, parse_results, serialize, tsv_term
from careergraph.graph.sparql import run_named, run_sparql

EX = "http://example.org/"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's closed XSD warns when pytest inspects it


@pytest.fixture(scope="module")
def kg():
    return load()


def tricky_result() -> QueryResult:
    """Values that break naive writers: tabs, newlines, CR, quotes, backslashes, tags, types, blanks."""
    rows = [
        (URIRef(EX + "a"), Literal('tab\there\nnew line "quoted" back\\slash\r', lang="en"), Literal(2)),
        (BNode("b0"), Literal("Точка Знаний", lang="ru"), Literal("3.50", datatype=XSD.decimal)),
        (URIRef(EX + "b"), Literal("x", datatype=XSD.string), Literal("1e3", datatype=XSD.double)),
        (URIRef(EX + "c"), Literal(""), Literal(True)),
        (URIRef(EX + "d"), None, Literal("2024-01-31", datatype=XSD.date)),
        (None, Literal("\\t is not a tab"), Literal("-7", datatype=XSD.integer)),
        (URIRef(EX + "e"), Literal("custom", datatype=URIRef(EX + "type")), None),
    ]
    return QueryResult.select(["s", "label", "value"], rows)


def exact_rows(result: QueryResult) -> list[tuple]:
    return [tuple(row) for row in result.rows]


def normalised(term):
    """Blank node labels may be renamed by a parser; everything else must be identical."""
    return "_:blank" if isinstance(term, BNode) else term


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_typed_formats_round_trip_exactly(fmt):
    result = tricky_result()
    back = parse_results(serialize(result, fmt), fmt)
    assert back.vars == result.vars
    assert [tuple(map(normalised, r)) for r in back.rows] == [tuple(map(normalised, r)) for r in result.rows]
    # the same terms, with their types and language tags (Literal == compares them)
    for a, b in zip(back.rows, result.rows):
        for x, y in zip(a, b):
            if isinstance(y, Literal):
                assert (x.datatype, x.language, str(x)) == (y.datatype, y.language, str(y))


def test_csv_round_trips_the_text_of_each_value():
    """W3C CSV keeps only lexical forms: strings come back, types and tags do not."""
    result = tricky_result()
    text = serialize(result, "csv")
    assert text.splitlines()[0] == "s,label,value"
    back = parse_results(text, "csv")
    assert back.vars == result.vars and len(back.rows) == len(result.rows)
    for got, sent in zip(back.rows, result.rows):
        for x, y in zip(got, sent):
            if y is None or str(y) == "":  # CSV cannot tell an empty string from unbound
                assert x is None or str(x) == ""
            elif isinstance(y, BNode):
                assert str(x).lstrip("_:") == str(y)
            else:
                assert str(x) == str(y)


def test_tsv_follows_the_w3c_layout():
    result = tricky_result()
    lines = serialize(result, "tsv").split("\n")
    assert lines[0] == "?s\t?label\t?value"
    assert lines[-1] == "" and len(lines) == len(result.rows) + 2  # one line per row, final newline
    for line in lines[1:-1]:
        assert line.count("\t") == 2  # tabs inside values are escaped
    assert lines[1].split("\t") == [f"<{EX}a>", '"tab\\there\\nnew line \\"quoted\\" back\\\\slash\\r"@en', "2"]
    assert lines[2].split("\t")[0] == "_:b0"
    assert lines[6].split("\t")[2] == "-7"
    assert lines[5].split("\t")[1] == ""  # unbound


def test_control_characters_go_through_tsv_and_json_but_not_xml():
    result = QueryResult.select(["v"], [(Literal("bell\a back\b form\f vt\v fs\x1c"),)])
    for fmt in ("tsv", "json"):
        assert exact_rows(parse_results(serialize(result, fmt), fmt)) == exact_rows(result)
    assert '\\b' in serialize(result, "tsv") and '\\f' in serialize(result, "tsv")
    with pytest.raises(QueryError, match="XML cannot carry"):
        serialize(result, "xml")


def test_tsv_terms():
    assert tsv_term(None) == ""
    assert tsv_term(Literal(-12)) == "-12"
    odd = Literal("007", datatype=XSD.integer, normalize=False)  # not canonical: keep the lexical form
    assert tsv_term(odd) == '"007"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert tsv_term(Literal(False)) == "false"
    assert tsv_term(Literal("a")) == '"a"'
    assert tsv_term(Literal("a", datatype=XSD.string)) == '"a"^^<http://www.w3.org/2001/XMLSchema#string>'
    with pytest.raises(TypeError):
        tsv_term("plain python string")


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
_xml_safe = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n\r"),
                    max_size=40)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(_text, min_size=1, max_size=4), lang=st.sampled_from([None, "en", "ru", "en-GB"]))
def test_any_text_round_trips_through_tsv_and_json(values, lang):
    rows = [(Literal(v, lang=lang), URIRef(EX + str(i))) for i, v in enumerate(values)]
    result = QueryResult.select(["v", "s"], rows)
    for fmt in ("tsv", "json"):
        assert exact_rows(parse_results(serialize(result, fmt), fmt)) == rows, fmt


@settings(max_examples=100, deadline=None)
@given(values=st.lists(_xml_safe, min_size=1, max_size=4))
def test_any_xml_safe_text_round_trips_through_xml(values):
    rows = [(Literal(v),) for v in values]
    result = QueryResult.select(["v"], rows)
    assert exact_rows(parse_results(serialize(result, "xml"), "xml")) == rows


def test_real_answers_round_trip(kg):
    result = run_named(kg, "skills-in-several-postings")
    assert len(result) > 5
    for fmt in ("json", "xml", "tsv"):
        back = parse_results(serialize(result, fmt), fmt)
        assert exact_rows(back) == exact_rows(result)
    json_doc = json.loads(serialize(result, "json"))
    assert json_doc["head"]["vars"] == ["skill", "postings"]
    first = json_doc["results"]["bindings"][0]
    assert first["skill"]["type"] == "uri"
    assert first["postings"]["datatype"] == str(XSD.integer)
    root = ET.fromstring(serialize(result, "xml"))
    assert root.tag == "{http://www.w3.org/2005/sparql-results#}sparql"


@pytest.mark.parametrize("answer", [True, False])
def test_ask_formats(kg, answer):
    text = "ASK { skill:dart a cg:Skill }" if answer else "ASK { skill:dart a cg:Role }"
    result = run_sparql(kg, text)
    assert result.type == "ASK" and result.boolean is answer and bool(result) is answer
    assert serialize(result, "text") == ("true\n" if answer else "false\n")
    for fmt in ("json", "xml"):
        back = Result.parse(io.BytesIO(serialize(result, fmt).encode()), format=fmt)
        assert back.type == "ASK" and back.askAnswer is answer
        assert parse_results(serialize(result, fmt), fmt).boolean is answer


@pytest.mark.parametrize("fmt, parser", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_and_describe_parse_back_isomorphic(kg, fmt, parser):
    construct = run_sparql(kg, "CONSTRUCT { ?c cg:staffedBy ?r } WHERE { ?c cg:staffedBy ?r }")
    describe = run_sparql(kg, "DESCRIBE skill:dart")
    expected = Graph()
    for t in kg.graph.triples((None, kg.resolve("cg:staffedBy"), None)):
        expected.add(t)
    assert isomorphic(construct.graph, expected)
    assert (kg.resolve("skill:dart"), kg.resolve("cg:effortHours"), None) in describe.graph
    for result in (construct, describe):
        assert result.type in ("CONSTRUCT", "DESCRIBE")
        back = Graph().parse(data=serialize(result, fmt), format=parser)
        assert isomorphic(back, result.graph)


def test_formats_that_do_not_apply_are_usage_errors(kg):
    select = run_sparql(kg, "SELECT ?s WHERE { ?s a cg:Role }")
    ask = run_sparql(kg, "ASK { }")
    graph = run_sparql(kg, "CONSTRUCT WHERE { ?s a cg:Role }")
    for result, wrong in ((select, "turtle"), (select, "text"), (ask, "csv"), (ask, "tsv"), (graph, "json")):
        assert wrong not in FORMATS_BY_TYPE[result.type]
        with pytest.raises(UsageError, match="does not apply"):
            serialize(result, wrong)


def test_display_rows_show_labels_or_iris(kg):
    result = run_named(kg, "roles-of-component", component="Auth & Session Service")
    headers, rows = display_rows(result, kg)
    assert headers == ["role"]
    assert [r[0] for r in rows] == [kg.label(row.role) for row in result]
    _, raw = display_rows(result, kg, iris=True)
    assert [r[0] for r in raw] == [str(row.role) for row in result]
    blank = QueryResult.select(["x", "y"], [(BNode("n1"), None)])
    assert display_rows(blank, kg)[1] == [["_:n1", ""]]


def test_rows_behave_like_rdflib_rows(kg):
    result = run_named(kg, "skills-of-posting", posting="posting:red-flutter-developer")
    row = result.rows[0]
    assert row.skill == row["skill"] == row[0]
    assert result.as_dicts()[0]["skill"] == row.skill
    assert list(result) == result.rows and len(result) == len(result.rows)
