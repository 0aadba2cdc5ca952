"""``export --focus`` refuses a neighbourhood over ``--max-nodes`` at once, in one line, writing nothing.

The sizes are computed here by a breadth-first search over the whole graph
(as tests/test_export.py does), in memory and on a workspace of the same
bundled data; the limit is then set around them.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from rdflib import RDF, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from careergraph.cli.main import cli
from careergraph.graph.errors import UsageError, ViewTooBigError
from careergraph.graph.export import FOCUS_MAX_NODES, export


def _reach(kg, focus: str, depth: int) -> set:
    """The IRIs within ``depth`` links of ``focus`` (rdf:type left out), over every named graph."""
    links = {(s, o) for s, p, o, g in kg.dataset.quads((None, None, None, None))
             if getattr(g, "identifier", g) != DATASET_DEFAULT_GRAPH_ID and p != RDF.type
             and isinstance(s, URIRef) and isinstance(o, URIRef)}
    start = kg.resolve(focus)
    reach, frontier = {start}, {start}
    for _ in range(depth):
        frontier = ({o for s, o in links if s in frontier} | {s for s, o in links if o in frontier}) - reach
        reach |= frontier
    return reach


def _about(kg, nodes: set) -> int:
    """Triples of the named graphs whose subject is one of ``nodes``."""
    return sum(1 for s, _, _, g in kg.dataset.quads((None, None, None, None))
               if s in nodes and getattr(g, "identifier", g) != DATASET_DEFAULT_GRAPH_ID)


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_over_the_limit_in_memory_names_the_entity_the_size_and_the_option(kg):
    size = len(_reach(kg, "skill:dart", 2))
    assert size > 20
    with pytest.raises(ViewTooBigError) as err:
        export(kg, "ttl", focus="skill:dart", depth=2, max_nodes=size - 1)
    message = str(err.value)
    assert isinstance(err.value, UsageError) and err.value.exit_code == 2
    assert err.value.nodes == size
    assert "skill:dart" in message and f"{size:,} nodes" in message and "at least" not in message
    assert f"{_about(kg, _reach(kg, 'skill:dart', 2)):,} triples" in message
    assert "--max-nodes" in message and "--depth 1" in message and "without --focus" in message
    assert "\n" not in message


def test_the_limit_is_inclusive_and_whole_exports_have_none(kg):
    size = len(_reach(kg, "skill:dart", 2))
    assert export(kg, "nt", focus="skill:dart", depth=2, max_nodes=size) == export(kg, "nt", focus="skill:dart",
                                                                                  depth=2)
    assert export(kg, "nt", max_nodes=1) == export(kg, "nt")


def test_cli_refusal_is_one_line_exit_2_and_writes_nothing(kg, tmp_path):
    size = len(_reach(kg, "Dart", 2))
    new, old = tmp_path / "new.ttl", tmp_path / "old.ttl"
    old.write_text("kept as it was\n", encoding="utf-8")
    for target in (new, old):
        result = _run("export", "--focus", "Dart", "--depth", 2, "--max-nodes", size - 1, "-o", target)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "skill:dart" in lines[0] and f"{size:,} nodes" in lines[0], lines
        assert "--max-nodes" in lines[0]
    assert not new.exists()
    assert old.read_text(encoding="utf-8") == "kept as it was\n"
    assert list(tmp_path.iterdir()) == [old], "no temporary file left behind"


def test_cli_under_the_limit_and_raised_limit_give_the_same_output(kg):
    default = _run("export", "--format", "nt", "--focus", "skill:dart", "--depth", 2)
    assert default.exit_code == 0 and len(_reach(kg, "skill:dart", 2)) <= FOCUS_MAX_NODES
    text = export(kg, "nt", focus="skill:dart", depth=2)
    assert default.stdout == (text if text.endswith("\n") else text + "\n")
    size = len(_reach(kg, "skill:dart", 2))
    raised = _run("export", "--format", "nt", "--focus", "skill:dart", "--depth", 2, "--max-nodes", size)
    assert raised.exit_code == 0 and raised.stdout == default.stdout
    whole = _run("export", "--format", "nt", "--max-nodes", 1)
    assert whole.exit_code == 0 and len(whole.stdout.splitlines()) > 1000


def test_cli_default_is_the_library_constant():
    param = next(p for p in cli.commands["export"].params if p.name == "max_nodes")
    assert param.default == FOCUS_MAX_NODES


# -- a workspace: the neighbourhood is read a level at a time, and no further than the limit ----------
@pytest.fixture(scope="module")
def ws_kg(template):
    from careergraph.graph.workspace import open_workspace

    ws = open_workspace(template, read_only=True)  # as the command opens it: both can read at once
    yield ws.knowledge_graph()
    ws.close()


def test_workspace_refusal_reads_no_quad_and_stops_at_the_limit(ws_kg, kg, monkeypatch):
    from careergraph.graph import export as module

    def no_quads(*args, **kwargs):
        raise AssertionError("the quads of a refused neighbourhood were read")

    asked = []
    original = module.select_tsv
    monkeypatch.setattr(module, "_focus_lines", no_quads)
    monkeypatch.setattr(module, "select_tsv", lambda store, text: asked.append(text) or original(store, text))
    full = _reach(kg, "skill:dart", 3)
    one = _reach(kg, "skill:dart", 1)
    limit = len(one) - 1  # passed during the first level: the deeper levels are never asked for
    for fmt in ("ttl", "graphml"):
        asked.clear()
        with pytest.raises(ViewTooBigError) as err:
            export(ws_kg, fmt, focus="skill:dart", depth=3, max_nodes=limit)
        assert limit < err.value.nodes <= len(full)
        assert "at least" in str(err.value) and "skill:dart" in str(err.value)
        levels = [t for t in asked if "COUNT" not in t]
        assert 1 <= len(levels) <= 2, levels  # the focus's links out, then in: one level, no more
        assert ws_kg._dataset is None


def test_workspace_sizes_and_output_equal_the_in_memory_ones(ws_kg, kg):
    size = len(_reach(kg, "skill:dart", 2))
    with pytest.raises(ViewTooBigError) as here:
        export(kg, "nt", focus="skill:dart", depth=2, max_nodes=size - 1)
    with pytest.raises(ViewTooBigError) as there:
        export(ws_kg, "nt", focus="skill:dart", depth=2, max_nodes=size - 1)
    assert there.value.nodes > size - 1 and here.value.nodes == size
    # under the limit (inclusive), the workspace writes what it wrote without one
    assert export(ws_kg, "nt", focus="skill:dart", depth=2, max_nodes=size) == \
        export(ws_kg, "nt", focus="skill:dart", depth=2)
    assert ws_kg._dataset is None


def test_workspace_cli_refusal(template, kg, tmp_path):
    size = len(_reach(kg, "skill:dart", 2))
    out = tmp_path / "dart.ttl"
    result = _run("--store", template, "export", "--focus", "skill:dart", "--depth", 2,
                  "--max-nodes", size // 2, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert len(result.output.strip().splitlines()) == 1 and "skill:dart" in result.output
    result = _run("--store", template, "export", "--focus", "skill:dart", "--depth", 2, "-o", out)
    assert result.exit_code == 0 and out.stat().st_size > 0
