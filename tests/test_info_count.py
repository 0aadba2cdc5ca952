"""``info``'s triple count on a workspace: distinct triples of the union, saved and carried across adds."""

import json

import pytest

from careergraph.graph import store as store_module
from careergraph.graph.workspace import init_workspace

CG = "https://w3id.org/careergraph/"


def distinct_triples(ws) -> int:
    """The oracle: every quad of the store read into Python, graphs dropped."""
    return len({(str(q.subject), str(q.predicate), str(q.object)) for q in ws.store})


def bundled_triples(ws, n: int) -> list[str]:
    """``n`` triples the bundled data already states, as N-Triples lines."""
    lines = sorted(f"{q.subject} {q.predicate} {q.object} ." for q in ws.store
                   if q.graph_name.value.startswith(CG + "source/") and "Literal" not in type(q.object).__name__)
    return lines[:n]


def write(path, lines) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def new_triples(tag: str, n: int) -> list[str]:
    return [f"<{CG}skill/{tag}-{i}> <{CG}ns#prerequisite> <{CG}skill/{tag}-{i + 1}> ." for i in range(n)]


@pytest.fixture
def ws(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    yield ws
    ws.close()


def count(ws) -> int:
    return ws.knowledge_graph().info().triples


def test_count_follows_adds_removes_and_progress(ws, tmp_path):
    saved = ws.folder / "index" / "triples.json"
    assert count(ws) == distinct_triples(ws)
    assert saved.is_file()
    shared = bundled_triples(ws, 20)
    # a small file restating bundled triples: its own triples are looked up in the counted graphs
    small = ws.add(write(tmp_path / "small.nt", [*shared[:10], *new_triples("a", 30), *new_triples("a", 5)]))
    assert count(ws) == distinct_triples(ws)
    # a file bigger than everything counted so far: the counted graphs' triples are looked up in it
    bundled_size = sum(s.triples for s in ws.sources() if s.kind != "user")
    big_lines = [*shared[5:], *new_triples("a", 10), *new_triples("b", bundled_size + 100)]
    ws.add(write(tmp_path / "big.nt", big_lines))
    assert count(ws) == distinct_triples(ws)
    assert set(json.loads(saved.read_text())["graphs"]) == {
        str(s.iri) for s in ws.sources() if str(s.iri) not in (CG + "source/catalog", CG + "source/progress")}
    # recorded progress changes a graph in place: it is counted each time, never saved
    person, skill = (store_module.URIRef(CG + x) for x in ("person/seed-author", "skill/a-0"))
    assert ws.learned(person, skill)
    assert count(ws) == distinct_triples(ws)
    assert CG + "source/progress" not in json.loads(saved.read_text())["graphs"]
    # a removed source: the saved count covers a graph that is gone, so it is counted again
    ws.remove(small.iri)
    assert count(ws) == distinct_triples(ws)
    assert str(small.iri) not in json.loads(saved.read_text())["graphs"]


def test_a_current_saved_count_looks_up_only_the_changing_graphs(ws, tmp_path, monkeypatch):
    ws.add(write(tmp_path / "one.nt", [*bundled_triples(ws, 5), *new_triples("c", 50)]))
    expected = count(ws)
    calls = []
    real = store_module._shared
    monkeypatch.setattr(store_module, "_shared", lambda store, pattern, graphs, **kw: (
        calls.append(pattern), real(store, pattern, graphs, **kw))[1])
    assert count(ws) == expected == distinct_triples(ws)
    assert len(calls) == 1 and "import-" not in calls[0]  # the catalog, progress and default graph only


@pytest.mark.parametrize("content", ["not json", '{"graphs": "x", "triples": 1}', '{"graphs": [], "triples": "9"}',
                                     '{"graphs": ["https://example.org/gone"], "triples": 5}'])
def test_a_damaged_or_stale_saved_count_is_ignored(ws, tmp_path, content):
    ws.add(write(tmp_path / "one.nt", new_triples("d", 40)))
    (ws.folder / "index").mkdir(exist_ok=True)
    (ws.folder / "index" / "triples.json").write_text(content, encoding="utf-8")
    assert count(ws) == distinct_triples(ws)
