"""The ``query`` and ``sparql`` commands, in-process with CliRunner: output, formats and exit codes."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from careergraph import queries
from careergraph.cli.main import cli
from careergraph.graph import load
from careergraph.graph.results import parse_results
from careergraph.graph.sparql import run_named

AUTH = "Auth & Session Service"


@pytest.fixture(scope="module")
def kg():
    return load()


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# -- help -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["query"], ["query", "list"], ["query", "show"], ["query", "run"],
                                     ["sparql"]])
def test_help_ends_with_an_example(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "careergraph " in result.output.split("Example:")[1]


def test_command_module_imports_nothing_heavy_at_load_time():
    source = Path(__file__).resolve().parents[1] / "cli" / "query_cmds.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {(n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name for n in top}
    assert not any(name.startswith(("rdflib", "careergraph.graph", "networkx")) for name in names)


# -- query list / show ----------------------------------------------------------------------

def test_query_list_names_every_query():
    table = invoke("query", "list")
    assert table.exit_code == 0
    for q in queries.all_queries():
        assert q.name in table.stdout and q.title in table.stdout
    import json

    listed = json.loads(invoke("query", "list", "--format", "json").stdout)
    assert [item["name"] for item in listed] == queries.names()
    assert all(item["title"] for item in listed)


def test_query_show_prints_parameters_and_text():
    result = invoke("query", "show", "skill-gap")
    assert result.exit_code == 0
    q = queries.get("skill-gap")
    assert q.title in result.stdout
    for p in q.parameters:
        assert p.signature() in result.stdout
    assert "SELECT DISTINCT ?skill ?requirement ?status ?via" in result.stdout
    import json

    shown = json.loads(invoke("query", "show", "skill-gap", "--format", "json").stdout)
    assert shown["text"] == q.text and [p["name"] for p in shown["parameters"]] == ["person", "posting"]


def test_query_show_unknown_is_a_usage_error():
    result = invoke("query", "show", "roles-of-componnet")
    assert result.exit_code == 2
    assert "roles-of-component" in one_line_error(result)


# -- query run --------------------------------------------------------------------------------

def test_query_run_shows_labels_by_default_and_iris_on_request(kg):
    expected = list(run_named(kg, "roles-of-component", component=AUTH))
    result = invoke("query", "run", "roles-of-component", "-p", f"component={AUTH}")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "role"
    assert [line.strip() for line in lines[2:]] == [kg.label(r.role) for r in expected]
    assert f"({len(expected)} rows)" in result.stderr
    raw = invoke("query", "run", "roles-of-component", "-p", f"component={AUTH}", "--iris")
    assert [line.strip() for line in raw.stdout.splitlines()[2:]] == [str(r.role) for r in expected]


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "xml"])
def test_query_run_standard_formats_read_back(kg, fmt):
    expected = run_named(kg, "skills-in-several-postings", min=3)
    result = invoke("query", "run", "skills-in-several-postings", "-p", "min=3", "--format", fmt)
    assert result.exit_code == 0
    back = parse_results(result.stdout, fmt)
    assert back.vars == expected.vars
    if fmt == "csv":
        assert [[str(v) for v in row] for row in back.rows] == [[str(v) for v in row] for row in expected.rows]
    else:
        assert [tuple(row) for row in back.rows] == [tuple(row) for row in expected.rows]


@pytest.mark.parametrize("args, message", [
    (["skill-gap", "-p", "person=Seed author"], "needs parameter 'posting'; its parameters: person"),
    (["roles-of-component", "-p", "colour=red"], "no parameter 'colour'; its parameters: component"),
    (["roles-of-component", "-p", "component"], "not NAME=VALUE"),
    (["roles-of-component", "-p", "component=a", "-p", "component=b"], "given twice"),
    (["roles-of-component", "-p", "component=Nonexistent Service"], "unknown component"),
    (["skills-in-several-postings", "-p", "min=many"], "must be an integer"),
    (["no-such-query"], "unknown query"),
    (["roles-of-component", "-p", f"component={AUTH}", "--format", "turtle"], "does not apply"),
    (["roles-of-component", "-p", f"component={AUTH}", "--timeout", "0"], "--timeout"),
])
def test_query_run_usage_errors_exit_2(args, message):
    result = invoke("query", "run", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


# -- sparql ---------------------------------------------------------------------------------

def test_sparql_text_stdin_and_file_agree(tmp_path, kg):
    text = "SELECT ?p WHERE { ?p cg:requiresSkill skill:dart } ORDER BY ?p"
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    outputs = [invoke("sparql", text, "--format", "tsv"),
               invoke("sparql", "-", "--format", "tsv", input=text),
               invoke("sparql", f"@{path}", "--format", "tsv")]
    assert all(r.exit_code == 0 for r in outputs)
    assert outputs[0].stdout == outputs[1].stdout == outputs[2].stdout
    rows = parse_results(outputs[0].stdout, "tsv").rows
    dart = kg.resolve("skill:dart")
    assert {r[0] for r in rows} == set(kg.graph.subjects(kg.resolve("cg:requiresSkill"), dart))


def test_sparql_missing_file_is_a_usage_error(tmp_path):
    result = invoke("sparql", f"@{tmp_path / 'missing.rq'}")
    assert result.exit_code == 2 and "cannot read" in result.stderr


@pytest.mark.parametrize("text, expected", [("ASK { person:seed-author cg:hasSkill skill:dart }", "true"),
                                            ("ASK { person:seed-author cg:hasSkill skill:kotlin }", "false")])
def test_ask_prints_the_answer_and_exits_0(text, expected):
    result = invoke("sparql", text)
    assert result.exit_code == 0 and result.stdout == expected + "\n"
    as_json = invoke("sparql", text, "--format", "json")
    assert parse_results(as_json.stdout, "json").boolean is (expected == "true")
    wrong = invoke("sparql", text, "--format", "csv")
    assert wrong.exit_code == 2 and "does not apply to an ASK query" in wrong.stderr


@pytest.mark.parametrize("fmt, parser", [(None, "turtle"), ("turtle", "turtle"), ("nt", "nt"),
                                         ("jsonld", "json-ld")])
def test_construct_prints_rdf(kg, fmt, parser):
    text = "CONSTRUCT { ?c cg:staffedBy ?r } WHERE { ?c cg:staffedBy ?r }"
    result = invoke("sparql", text, *(["--format", fmt] if fmt else []))
    assert result.exit_code == 0
    got = Graph().parse(data=result.stdout, format=parser)
    expected = Graph()
    for t in kg.graph.triples((None, kg.resolve("cg:staffedBy"), None)):
        expected.add(t)
    assert isomorphic(got, expected)


@pytest.mark.parametrize("text, message", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("LOAD <file:///etc/passwd>", "LOAD <file:///etc/passwd> is refused"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM <file:///etc/passwd> is refused"),
    ("SELECT ?s WHERE {\n  ?s ?p \n}", "line 2, column 3"),  # the incomplete triple pattern
    ("SELECT ?s WHERE { ?s nope:thing ?o }", "unknown prefix 'nope:'"),
])
def test_refused_and_malformed_queries_exit_1_with_one_line(text, message):
    result = invoke("sparql", text)
    assert result.exit_code == 1
    assert message in one_line_error(result)


def test_runaway_query_times_out_with_exit_3():
    start = time.monotonic()
    result = invoke("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                    "--timeout", "1")
    assert time.monotonic() - start < 1 + 1
    assert result.exit_code == 3
    line = one_line_error(result)
    assert "stopped after 1 s" in line and "--timeout" in line


def test_limit_truncates_and_says_so():
    result = invoke("sparql", "SELECT ?s WHERE { ?s a cg:Skill }", "--limit", "3", "--format", "tsv")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1 + 3
    assert "showing the first 3 rows" in result.stderr
    everything = invoke("sparql", "SELECT ?s WHERE { ?s a cg:Skill }", "--limit", "0", "--format", "tsv")
    assert len(everything.stdout.splitlines()) > 100 and "showing" not in everything.stderr


def test_user_data_is_queried_with_its_provenance(tmp_path):
    data = tmp_path / "mine.ttl"
    data.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
                    "@prefix skill: <https://w3id.org/careergraph/skill/> .\n"
                    "<https://example.org/posting/1> a cg:JobPosting ; cg:requiresSkill skill:dart .\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data", str(data), "query", "run", "provenance",
                                      "-p", "subject=https://example.org/posting/1", "--format", "tsv"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    rows = parse_results(result.stdout, "tsv").rows
    assert {str(r[2]) for r in rows} == {data.resolve().as_uri()}
    assert {str(r[3]) for r in rows} == {"mine.ttl"}
