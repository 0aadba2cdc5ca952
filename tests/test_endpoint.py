"""``--endpoint URL``: the command line against a real Oxigraph SPARQL server, and its failures.

Failures are real too: a port nothing listens on, a path the server does not
serve, and a small local HTTP server that answers HTML or answers too late.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
import rdflib
from rdflib import Literal

from careergraph.cli.main import cli
from careergraph.graph import QueryTimeoutError, UsageError
from careergraph.graph.endpoint import PULLED_PREDICATES, Endpoint, connect, pull
from careergraph.graph.errors import EndpointError

from oxigraph_server import oxigraph_server  # noqa: F401  (a session fixture)

AUTH = "Auth & Session Service"
NUMBERS = {rdflib.XSD.decimal, rdflib.XSD.integer, rdflib.XSD.double}


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def one_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def dead_url() -> str:
    """A URL on a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/query"


@pytest.fixture
def odd_server():
    """A local HTTP server that answers HTML (``/html``) or nothing for 5 s (``/slow``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/slow":
                time.sleep(5)
            body = b"<html><body>Welcome to my blog</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            try:
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# -- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "json"])
def test_named_query_on_the_endpoint_prints_what_the_bundled_data_prints(oxigraph_server, fmt):  # noqa: F811
    args = ["query", "run", "roles-of-component", "-p", f"component={AUTH}", "--format", fmt]
    local = invoke(*args)
    remote = invoke("--endpoint", oxigraph_server.url, *args)
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout
    assert "Backend engineer" in remote.stdout or fmt == "json"


def test_endpoint_from_the_environment(oxigraph_server):  # noqa: F811
    args = ["sparql", "SELECT ?p WHERE { ?p cg:requiresSkill skill:dart } ORDER BY ?p", "--format", "csv"]
    remote = invoke(*args, env={"CAREERGRAPH_ENDPOINT": oxigraph_server.url})
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == invoke(*args).stdout
    assert len(remote.stdout.strip().splitlines()) == 3  # header and the two postings


@pytest.mark.parametrize("args", [
    ["path", "--to", "Senior Flutter Developer at Effective", "--format", "json"],
    ["rank", "postings", "--format", "json"],
    ["explain", "skill:bloc", "skill:flutter"],
])
def test_algorithms_on_the_endpoint_agree_with_the_bundled_data(oxigraph_server, args):  # noqa: F811
    local = invoke(*args)
    remote = invoke("--endpoint", oxigraph_server.url, *args)
    assert remote.exit_code == local.exit_code == 0, remote.output
    assert remote.stdout == local.stdout


def test_info_counts_on_the_server(oxigraph_server):  # noqa: F811
    local = json.loads(invoke("info", "--format", "json").stdout)
    remote = json.loads(invoke("--endpoint", oxigraph_server.url, "info", "--format", "json").stdout)
    assert remote["counts"] == local["counts"]
    assert remote["sources"][0]["file"] == oxigraph_server.url


def test_unreachable_endpoint_is_one_line_with_its_own_exit_code():
    url = dead_url()
    result = invoke("--endpoint", url, "query", "run", "roles-of-component", "-p", f"component={AUTH}")
    assert result.exit_code == EndpointError.exit_code == 4
    line = one_line(result)
    assert url in line and "cannot reach" in line


def test_wrong_path_is_an_http_error(oxigraph_server):  # noqa: F811
    url = oxigraph_server.url.replace("/query", "/no-such-path")
    result = invoke("--endpoint", url, "sparql", "ASK { ?s ?p ?o }")
    assert result.exit_code == 4
    assert url in one_line(result) and "HTTP 404" in one_line(result)


def test_a_web_page_is_not_a_sparql_answer(odd_server):
    result = invoke("--endpoint", f"{odd_server}/html", "sparql", "ASK { ?s ?p ?o }")
    assert result.exit_code == 4
    line = one_line(result)
    assert f"{odd_server}/html" in line and "not SPARQL" in line and "text/html" in line


def test_a_slow_endpoint_is_a_timeout(odd_server):
    started = time.monotonic()
    result = invoke("--endpoint", f"{odd_server}/slow", "sparql", "ASK { ?s ?p ?o }", "--timeout", "0.5")
    assert time.monotonic() - started < 4
    assert result.exit_code == QueryTimeoutError.exit_code == 3
    assert f"{odd_server}/slow" in one_line(result)


@pytest.mark.parametrize("other", [["--store", "somewhere"], ["--data", "x.ttl"]])
def test_endpoint_does_not_mix_with_store_or_data(other):
    result = invoke("--endpoint", "http://127.0.0.1:1/query", *other, "info")
    assert result.exit_code == 2
    assert "--endpoint does not mix" in one_line(result)


def test_endpoint_must_be_http():
    result = invoke("--endpoint", "file:///etc/passwd", "info")
    assert result.exit_code == 2
    assert "not an http" in one_line(result)


def test_bad_page_size_is_a_usage_error(oxigraph_server):  # noqa: F811
    result = invoke("--endpoint", oxigraph_server.url, "rank", "postings",
                    env={"CAREERGRAPH_ENDPOINT_PAGE_SIZE": "many"})
    assert result.exit_code == 2
    assert "CAREERGRAPH_ENDPOINT_PAGE_SIZE" in one_line(result)


# -- the library ---------------------------------------------------------------------------

def test_pull_pages_give_the_same_triples_as_one_request(oxigraph_server):  # noqa: F811
    endpoint = Endpoint(oxigraph_server.url)
    whole = pull(endpoint, page_size=100_000)
    before = endpoint.requests
    paged = pull(endpoint, page_size=7)
    assert set(paged) == set(whole) and len(whole) > 500
    assert endpoint.requests - before > 2 * len(PULLED_PREDICATES)  # several pages were fetched


def test_pulled_subgraph_is_the_local_subgraph(oxigraph_server, kg):  # noqa: F811
    """Every pulled triple is in the bundled data, and every bundled triple of a pulled predicate is pulled."""
    def same(triples):  # numbers by value: Oxigraph writes 10.0 as 10
        return {(s, p, ("number", o.toPython()) if isinstance(o, Literal) and o.datatype in NUMBERS else o)
                for s, p, o in triples}

    remote = connect(oxigraph_server.url)
    pulled = same(remote.graph.triples((None, None, None)))
    wanted = set(PULLED_PREDICATES)
    everything = same(kg.graph.triples((None, None, None)))
    local = same(t for t in kg.graph.triples((None, None, None)) if t[1] in wanted)
    assert local <= pulled <= everything
    assert len(remote.graph) < len(kg.graph)  # a subgraph: e.g. the sources' descriptions stay there


def test_named_query_does_not_pull_the_subgraph(oxigraph_server):  # noqa: F811
    remote = connect(oxigraph_server.url)
    rows = remote.query("roles-of-component", component=AUTH)
    assert sorted(remote.label(r.role) for r in rows) == \
        ['Backend engineer', 'DevOps engineer', 'QA engineer', 'Security engineer']
    assert remote._dataset is None  # only the names were fetched


def test_page_size_must_be_positive(oxigraph_server):  # noqa: F811
    with pytest.raises(UsageError):
        connect(oxigraph_server.url, page_size=0)


class _Shuffling(Endpoint):
    """A server whose unordered pages are not consistent: every OFFSET page repeats the first one."""

    def select(self, text, *, timeout=None):
        if " OFFSET " in text and "ORDER BY" not in text:
            text = text.split(" OFFSET ")[0]
        return super().select(text, timeout=timeout)


def test_inconsistent_unordered_pages_fall_back_to_order_by(oxigraph_server):  # noqa: F811
    whole = set(pull(Endpoint(oxigraph_server.url), page_size=100_000))
    assert set(pull(_Shuffling(oxigraph_server.url), page_size=50)) == whole


def test_validate_checks_what_the_server_holds(oxigraph_server):  # noqa: F811
    remote = invoke("--endpoint", oxigraph_server.url, "validate", "--format", "json")
    local = invoke("validate", "--format", "json")
    assert remote.exit_code == local.exit_code == 0
    errors = [p for p in json.loads(remote.stdout) if p["severity"] == "error"]
    assert errors == []
    with_file = invoke("--endpoint", oxigraph_server.url, "validate", "extra.ttl")
    assert with_file.exit_code == 2 and "--endpoint" in with_file.output
