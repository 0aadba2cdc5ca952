"""`careergraph add` says what an added file points at that nothing in the workspace declares."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, Graph, URIRef

from careergraph.cli.main import cli
from careergraph.graph import load
from careergraph.graph.checks import undeclared_references
from careergraph.graph.resolve import curie
from careergraph.graph.workspace import open_workspace

DATA = Path(__file__).parent / "data" / "workspace_add"


def _run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _undeclared_by_hand(*files) -> set:
    """IRI objects of the files' triples (other than types) that neither they nor the bundled data type."""
    bundled = load().graph
    g = Graph()
    for f in files:
        g.parse(f)
    return {o for _, p, o in g if isinstance(o, URIRef) and p != RDF.type
            and (o, RDF.type, None) not in g and (o, RDF.type, None) not in bundled}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ws") / "ws"
    assert _run("init", folder)[0] == 0
    return folder


def test_add_warns_of_undeclared_values_and_keeps_the_file(workspace):
    postings = DATA / "ghost-postings.ttl"
    expected = _undeclared_by_hand(postings)
    assert len(expected) == 3, "the data file points at two unknown skills and one unknown organisation"
    code, out, err = _run("--store", workspace, "add", postings)
    assert code == 0 and out.startswith(f"added {postings}")
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"Warning: {postings}: points at ") for line in lines)
    named = set(re.findall(r"\b(?:skill|org):[\w-]+", err))
    assert named == {curie(o) for o in expected}
    assert "1 cg:Organization value(s)" in err and "2 cg:Skill value(s)" in err
    assert "validate" in err and "Traceback" not in err
    ws = open_workspace(workspace, read_only=True)
    try:
        (source,) = [s for s in ws.sources() if s.file == str(postings.resolve())]
        assert source.triples == len(Graph().parse(postings)), "the file went in whole"
    finally:
        ws.close()


def test_a_later_file_that_declares_them_clears_the_warning(workspace):
    skills = DATA / "ghost-skills.ttl"
    code, out, err = _run("--store", workspace, "add", skills)
    assert code == 0 and err == ""
    ws = open_workspace(workspace, read_only=True)
    try:
        graphs = {s.file: str(s.iri) for s in ws.sources() if s.kind == "user"}
        left = undeclared_references(ws.store, graphs[str((DATA / "ghost-postings.ttl").resolve())])
    finally:
        ws.close()
    expected = _undeclared_by_hand(DATA / "ghost-postings.ttl", skills)
    assert {o for values in left.values() for o in values} == {str(o) for o in expected}
    assert list(left) == ["https://w3id.org/careergraph/ns#Organization"]
