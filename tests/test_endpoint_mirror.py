"""``add --from-endpoint``: a workspace that mirrors what the algorithms read from a real SPARQL server."""

from __future__ import annotations

import json
import socket

import rdflib
from click.testing import CliRunner

from careergraph.cli.main import cli
from careergraph.graph.endpoint import Endpoint, mirror, pull

from oxigraph_server import oxigraph_server  # noqa: F401  (a session fixture)


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def mirrored(endpoint, tmp_path, **kw) -> set:
    out = tmp_path / f"mirror-{endpoint.requests}.nt"
    count = mirror(endpoint, out, **kw)
    triples = set(rdflib.Graph().parse(out, format="nt"))
    assert count == len(triples)
    return triples


class _Shuffling(Endpoint):
    """Unordered pages that are not consistent: every OFFSET page repeats the first one."""

    def _post(self, text, accept, timeout):
        if " OFFSET " in text and "ORDER BY" not in text:
            text = text.split(" OFFSET ")[0]
        return super()._post(text, accept, timeout)


class _JsonOnly(Endpoint):
    """A server that answers SELECT with SPARQL JSON only."""

    def _post(self, text, accept, timeout):
        return super()._post(text, "application/sparql-results+json", timeout)


def test_the_mirror_holds_what_pull_reads(oxigraph_server, tmp_path):  # noqa: F811
    endpoint = Endpoint(oxigraph_server.url)
    pulled = set(pull(endpoint, page_size=100_000))
    whole = mirrored(endpoint, tmp_path, page_size=100_000)
    assert whole == pulled and len(whole) > 500
    before = endpoint.requests
    assert mirrored(endpoint, tmp_path, page_size=7) == whole
    assert endpoint.requests - before > 100  # many pages
    assert mirrored(_Shuffling(oxigraph_server.url), tmp_path, page_size=50) == whole
    assert mirrored(_JsonOnly(oxigraph_server.url), tmp_path, page_size=50) == whole


def test_a_mirror_workspace_answers_as_the_bundled_data(oxigraph_server, tmp_path):  # noqa: F811
    ws = str(tmp_path / "ws")
    assert invoke("init", "--no-bundled", ws).exit_code == 0
    added = invoke("--store", ws, "add", "--from-endpoint", oxigraph_server.url,
                   env={"CAREERGRAPH_ENDPOINT_PAGE_SIZE": "100"})
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith(f"added {oxigraph_server.url}: ")
    for args in (["path", "--to", "Senior Flutter Developer at Effective", "--format", "json"],
                 ["rank", "postings", "--format", "json"], ["explain", "skill:bloc", "skill:flutter"]):
        local, mine = invoke(*args), invoke("--store", ws, *args)
        assert mine.exit_code == local.exit_code == 0, mine.output
        assert mine.stdout == local.stdout
    # adding it again is refused; --replace refreshes it
    again = invoke("--store", ws, "add", "--from-endpoint", oxigraph_server.url)
    assert again.exit_code == 2 and "--replace" in again.output
    assert invoke("--store", ws, "add", "--replace", "--from-endpoint", oxigraph_server.url).exit_code == 0
    info = json.loads(invoke("--store", ws, "info", "--format", "json").stdout)
    assert [s["file"] for s in info["sources"] if s["kind"] == "user"] == [oxigraph_server.url]
    assert not [p for p in (tmp_path / "ws").iterdir() if p.name.startswith(".import-")]  # the temporary file


def test_an_unreachable_endpoint_leaves_the_workspace_as_it_was(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = str(tmp_path / "ws")
    invoke("init", "--no-bundled", ws)
    before = sorted(p.name for p in (tmp_path / "ws").iterdir())
    result = invoke("--store", ws, "add", "--from-endpoint", f"http://127.0.0.1:{port}/query")
    assert result.exit_code == 4
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert "cannot reach" in line and "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "ws").iterdir()) == before
    info = json.loads(invoke("--store", ws, "info", "--format", "json").stdout)
    assert [s for s in info["sources"] if s["kind"] == "user"] == []


def test_files_or_an_endpoint(tmp_path):
    ws = str(tmp_path / "ws")
    invoke("init", "--no-bundled", ws)
    for args in ([], ["x.ttl", "--from-endpoint", "http://127.0.0.1:1/query"]):
        result = invoke("--store", ws, "add", *args)
        assert result.exit_code == 2 and "--from-endpoint" in result.output
