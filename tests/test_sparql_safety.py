"""Hostile SPARQL: refused before evaluation (SERVICE, LOAD, FROM, USING, updates), or stopped (runaway queries)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rdflib import Dataset, Graph
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from careergraph.graph import load
from careergraph.graph import sparql as sparql_mod
from careergraph.graph.errors import InvalidDataError, QueryError, QueryTimeoutError, UsageError
from careergraph.graph.sparql import prepare, run_sparql
from careergraph.ontology import PREFIXES


@pytest.fixture(scope="module")
def kg():
    return load()


class CountingServer:
    """An HTTP server on 127.0.0.1 (port chosen by the OS) that counts every request."""

    def __init__(self):
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": []}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    with CountingServer() as s:
        yield s


# -- SERVICE ----------------------------------------------------------------------------

def test_rdflib_really_calls_service_endpoints(server):
    """The hazard is real: plain rdflib sends the query to the SERVICE host."""
    list(Graph().query(f"SELECT * WHERE {{ SERVICE <{server.url}> {{ ?s ?p ?o }} }}"))
    assert server.requests >= 1


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_and_nothing_reaches_the_server(kg, server, template):
    with pytest.raises(QueryError, match="SERVICE .* is refused"):
        run_sparql(kg, template.format(url=server.url))
    with pytest.raises(QueryError, match="SERVICE"):
        run_sparql(kg, template.format(url=server.url), timeout=None)
    assert server.requests == 0


def test_the_query_process_has_no_network_even_if_a_service_slipped_through(kg, server):
    """Second line of defence: the child process cannot open sockets."""
    text = f"SELECT * WHERE {{ SERVICE SILENT <{server.url}> {{ ?s ?p ?o }} }}"
    unchecked = translateQuery(parseQuery(text), initNs=PREFIXES)  # bypasses prepare()'s check
    try:
        sparql_mod._run_in_child(kg, text, unchecked, {}, None, 10, sparql_mod.START_METHOD)
    except QueryError:
        pass  # rdflib may report the refused connection; either way nothing was sent
    assert server.requests == 0


def test_words_inside_literals_are_not_refused(kg):
    text = 'SELECT ?s WHERE { ?s rdfs:label ?l FILTER(?l != "SERVICE <http://x/> FROM <file:///etc/passwd> LOAD") }'
    assert len(run_sparql(kg, text)) > 0
    assert len(run_sparql(kg, "# SERVICE <http://x/> in a comment\nASK { ?s ?p ?o }")) == 1


# -- files and URLs: LOAD, FROM, FROM NAMED, USING ---------------------------------

def test_rdflib_really_reads_local_files(tmp_path):
    """The hazard is real: plain rdflib LOADs and reads FROM graphs from the file system."""
    data = tmp_path / "secret.ttl"
    data.write_text("<urn:a> <urn:b> <urn:secret> .\n", encoding="utf-8")
    ds = Dataset()
    ds.update(f"LOAD <{data.as_uri()}>")
    assert len(ds) == 1
    rows = list(Dataset().query(f"SELECT ?o FROM <{data.as_uri()}> WHERE {{ ?s ?p ?o }}"))
    assert [str(r[0]) for r in rows] == ["urn:secret"]


@pytest.mark.parametrize("text, message", [
    ("LOAD <file:///etc/passwd>", r"LOAD <file:///etc/passwd> is refused"),
    ("LOAD <file:///etc/passwd> INTO GRAPH <urn:g>", r"LOAD <file:///etc/passwd> is refused"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", r"FROM <file:///etc/passwd> is refused"),
    ("SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
     r"FROM NAMED <file:///etc/passwd> is refused"),
    ("ASK FROM <http://127.0.0.1:9/x.ttl> { ?s ?p ?o }", r"FROM <http://127.0.0.1:9/x.ttl> is refused"),
    ("DESCRIBE ?s FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", r"FROM <file:///etc/passwd> is refused"),
    ("DELETE { ?s ?p ?o } USING <file:///etc/passwd> WHERE { ?s ?p ?o }",
     r"USING <file:///etc/passwd> is refused"),
    ("INSERT DATA { skill:x skill:y skill:z }", r"SPARQL Update \(INSERT DATA\) is refused"),
    ("DELETE WHERE { ?s ?p ?o }", r"SPARQL Update \(DELETE WHERE\) is refused"),
    ("CLEAR ALL", r"SPARQL Update \(CLEAR\) is refused"),
    ("DROP GRAPH source:postings", r"SPARQL Update \(DROP\) is refused"),
    ("INSERT DATA { <a:b> <a:b> ", r"SPARQL Update \(INSERT\) is refused"),
])
def test_reaching_outside_or_writing_is_refused(kg, text, message, tmp_path):
    before = len(kg.graph)
    with pytest.raises(QueryError, match=message):
        run_sparql(kg, text)
    assert len(kg.graph) == before


def test_from_a_real_file_is_refused_before_reading_it(kg, tmp_path):
    data = tmp_path / "other.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    with pytest.raises(QueryError, match="FROM"):
        run_sparql(kg, f"SELECT * FROM <{data.as_uri()}> WHERE {{ ?s ?p ?o }}", timeout=None)


def test_jsonld_with_a_remote_or_file_context_is_refused(tmp_path, server):
    for context in (server.url, (tmp_path / "ctx.jsonld").as_uri(), [server.url, {"x": "urn:x"}]):
        doc = tmp_path / "remote.jsonld"
        doc.write_text(json.dumps({"@context": context, "@id": "urn:a", "x": "y"}), encoding="utf-8")
        with pytest.raises(InvalidDataError, match="@context"):
            load(doc)
    nested = tmp_path / "nested.jsonld"
    nested.write_text(json.dumps({"@context": {"@import": server.url}, "@id": "urn:a"}), encoding="utf-8")
    with pytest.raises(InvalidDataError, match="@import"):
        load(nested)
    assert server.requests == 0


# -- runaway queries ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",  # a cartesian product
    'ASK { FILTER(REGEX("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")) }',  # catastrophic regex
])
def test_a_runaway_query_is_stopped_within_the_timeout(kg, text):
    start = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="stopped after 2 s"):
        run_sparql(kg, text, timeout=2)
    assert time.monotonic() - start < 2 + 1
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.name == "careergraph-query"]


def test_timeout_error_has_its_own_exit_code():
    assert QueryTimeoutError.exit_code == 3
    assert QueryError.exit_code == 1


def test_limit_caps_rows_and_says_so(kg):
    everything = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # millions of rows; the cap stops it early
    result = run_sparql(kg, everything, limit=7, timeout=10)
    assert len(result) == 7 and result.truncated
    small = run_sparql(kg, "SELECT ?p WHERE { ?p a cg:JobPosting }", limit=100)
    assert len(small) == 5 and not small.truncated
    graph = run_sparql(kg, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", limit=10)
    assert len(graph) == 10 and graph.truncated


@pytest.mark.parametrize("options", [{"timeout": 0}, {"timeout": -1}, {"limit": 0}, {"limit": 2.5}])
def test_bad_timeout_or_limit_is_a_usage_error(kg, options):
    with pytest.raises(UsageError):
        run_sparql(kg, "ASK {}", **options)


def test_spawn_start_method_gives_the_same_answer(kg):
    """Where fork is missing, the child gets the graph as N-Quads; the answers agree."""
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    forked = sparql_mod._run_in_child(kg, text, prepare(text), {}, None, 60, sparql_mod.START_METHOD)
    spawned = sparql_mod._run_in_child(kg, text, prepare(text), {}, None, 60, "spawn")
    assert forked == spawned and len(forked[2]) >= 8


def test_child_start_overhead_is_small(kg):
    """Measured, not assumed: a trivial query in a child process costs little more than in-process."""
    if sparql_mod.START_METHOD != "fork":
        pytest.skip("fork is not available")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run_sparql(kg, "ASK { }", timeout=10)
        times.append(time.perf_counter() - start)
    assert sorted(times)[2] < 0.5


# -- messages -------------------------------------------------------------------------

def test_syntax_error_names_line_column_and_text(kg):
    text = "SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}"
    with pytest.raises(QueryError) as info:
        run_sparql(kg, text)
    message = str(info.value)
    assert "line 4, column 3" in message and "FILTER(?s = )" in message and "\n" not in message


def test_unknown_prefix_is_named_with_its_line(kg):
    with pytest.raises(QueryError) as info:
        run_sparql(kg, 'SELECT * WHERE {\n  ?s rdfs:label "ex:x" .\n  ?s ex:thing ?o\n}')
    message = str(info.value)
    assert "unknown prefix 'ex:'" in message and "line 3, column 6" in message


def test_careergraph_prefixes_are_predeclared_and_can_be_overridden(kg):
    assert run_sparql(kg, "ASK { skill:dart a cg:Skill }").boolean is True
    override = "PREFIX skill: <urn:other:> ASK { skill:dart a cg:Skill }"
    assert run_sparql(kg, override).boolean is False


def test_deep_nesting_is_a_query_error_not_a_crash(kg):
    with pytest.raises(QueryError, match="nested too deeply"):
        run_sparql(kg, "SELECT * WHERE { FILTER(" + "(" * 300 + "1" + ")" * 300 + ") }")


def test_empty_query_is_refused(kg):
    with pytest.raises(QueryError, match="empty"):
        run_sparql(kg, "  \n ")
