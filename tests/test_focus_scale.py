"""Focused commands on a workspace read only what they need, and answer as the whole-graph code does.

``explain``, ``graph_view`` (``viz``) and ``export --focus`` ask Oxigraph for
one frontier at a time on a workspace. Each answer here is computed twice on
the same generated data: store-backed, and by the code that reads the whole
graph (the same workspace through rdflib, and for ``explain`` also a plain
in-memory :func:`load`), and the two must agree.
"""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path

import pytest

from careergraph.graph import load
from careergraph.graph import explain as explain_module
from careergraph.graph import visualize as visualize_module
from careergraph.graph.errors import CareerGraphError, InvalidDataError, NoPathError, UnknownEntityError
from careergraph.graph.explain import explain
from careergraph.graph.export import export
from careergraph.graph.neighbourhood import iri_ref
from memory_copy import memory_copy
from careergraph.graph.visualize import graph_view

SPEC = importlib.util.spec_from_file_location(
    "generate", Path(__file__).parent.parent / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)

# Extra facts on top of the generated data: an island of two entities, an entity with no
# relation at all, entities with two kinds, and a triple the generated file states too.
EXTRA = """\
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix role: <https://w3id.org/careergraph/role/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix category: <https://w3id.org/careergraph/category/> .
role:island a cg:Role ; rdfs:label "Island role" ; cg:needsSkill skill:island .
skill:island a cg:Skill ; rdfs:label "Island skill" .
skill:alone a cg:Skill ; rdfs:label "Lonely skill" .
posting:p000003 a cg:SkillCategory .
skill:s00007 a cg:SkillCategory ; cg:prerequisite skill:s00001 .
role:r0002 cg:needsSkill skill:s00100 .
"""

KINDS_SAMPLED = ("posting", "skill", "role", "organization", "level", "category", "person")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("focus")
    generate.generate("T", 11, folder)
    (folder / "extra.ttl").write_text(EXTRA, encoding="utf-8")
    return [folder / "T.nt", folder / "extra.ttl"]


@pytest.fixture(scope="module")
def workspace(files, tmp_path_factory):
    import pyoxigraph as ox

    from careergraph.graph.workspace import init_workspace

    with init_workspace(tmp_path_factory.mktemp("focus-ws") / "ws", bundled=False) as ws:
        for f in files:
            ws.add(f)
        # a relation in the default graph only (the union sees it; no source states it)
        ws.store.add(ox.Quad(ox.NamedNode("https://w3id.org/careergraph/role/r0003"),
                             ox.NamedNode("https://w3id.org/careergraph/ns#needsSkill"),
                             ox.NamedNode("https://w3id.org/careergraph/skill/s00200")))
        yield ws


@pytest.fixture
def ws_kg(workspace):
    """A fresh store-backed graph (its rdflib Dataset not made yet)."""
    return workspace.knowledge_graph()


@pytest.fixture(scope="module")
def full_kg(workspace):
    """The same quads copied into rdflib's memory store: the whole-graph code path, at its speed."""
    kg = workspace.knowledge_graph()
    memory = memory_copy(kg)
    assert len(memory.dataset) == kg.info().triples
    return memory


@pytest.fixture(scope="module")
def sample(full_kg):
    """Entities of every kind, a few each, chosen with a fixed seed."""
    rng = random.Random(3)
    picked = []
    for kind in KINDS_SAMPLED:
        members = [str(e) for e in full_kg.entities(kind)]
        picked += rng.sample(members, min(4, len(members)))
    return picked + ["https://w3id.org/careergraph/skill/island",
                     "https://w3id.org/careergraph/skill/alone"]


def _answer(call):
    try:
        return call()
    except CareerGraphError as err:
        return f"{type(err).__name__}: {err}"


# -- explain -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def memory_explain(files):
    """``explain`` on a plain in-memory load of the same files, the multigraph built once."""
    from careergraph.graph.convert import knowledge_graph

    kg = load(*files, bundled=False)
    multi = knowledge_graph(kg)
    original = explain_module.knowledge_graph

    def run(a, b):
        explain_module.knowledge_graph = lambda _: multi
        try:
            return _answer(lambda: explain(kg, a, b).as_dict())
        finally:
            explain_module.knowledge_graph = original

    return run


def test_explain_in_the_store_gives_networkx_chain(ws_kg, sample, memory_explain, monkeypatch):
    """Every pair of a sample across kinds: the same chain (same tie-breaks), or the same error."""
    shortcuts = []
    meeting = explain_module._Search.meeting

    def spy(self, side, other, touching=None, budget=None):
        found = meeting(self, side, other, touching=touching, budget=budget)
        shortcuts.append((touching is not None or budget is not None) and found is not None)
        return found

    monkeypatch.setattr(explain_module._Search, "meeting", spy)
    rng = random.Random(5)
    pairs = [(a, b) for a in sample for b in sample if a < b]
    pairs = rng.sample(pairs, 50) + [(sample[0], sample[0])]
    lengths = set()
    for a, b in pairs:
        expected = memory_explain(a, b)
        assert _answer(lambda: explain(ws_kg, a, b).as_dict()) == expected, (a, b)
        lengths.add(expected["length"] if isinstance(expected, dict) else expected.split(":")[0])
    # the sample reaches chains of several lengths and both kinds of failure
    assert {1, 2, 3} <= lengths and "NoPathError" in lengths
    # a meeting was found without reading the whole level (links between the fringes, or the met nodes)
    assert any(shortcuts)
    assert ws_kg._dataset is None


def test_explain_errors_name_the_entities(ws_kg):
    with pytest.raises(NoPathError, match=r"^Lonely skill \(skill:alone\) has no relation to any other entity$"):
        explain(ws_kg, "skill:alone", "skill:s00010")
    with pytest.raises(NoPathError, match=r"^no chain of relations links Island skill \(skill:island\) and "):
        explain(ws_kg, "skill:island", "skill:s00010")
    assert explain(ws_kg, "skill:alone", "skill:alone").hops == ()


def test_explain_reads_a_small_part_of_the_store(ws_kg, monkeypatch):
    """Two postings that share a skill: a few hundred rows read, not the store's 15,000 triples."""
    from careergraph.ontology import CG

    rows = []
    select = explain_module._iri_rows

    def counting(store, query):
        found = select(store, query)
        rows.append(len(found))
        return found

    first, *others = ws_kg.entities("posting")[:40]
    wanted = set(ws_kg.objects(first, CG.requiresSkill))
    other = next(p for p in others if wanted & set(ws_kg.objects(p, CG.requiresSkill)))
    monkeypatch.setattr(explain_module, "_iri_rows", counting)
    assert len(explain(ws_kg, first, other).hops) == 2
    assert 0 < sum(rows) < 1000


# -- viz -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cached_facts(full_kg):
    """The whole-graph facts, read once (graph_view reads them per call)."""
    return visualize_module._Facts(full_kg)


def _same_refusal(whole: str, store: str) -> bool:
    """The store may stop counting once over the limit: "at least K" with K no more than the count."""
    if whole == store:
        return True
    a = re.match(r"(?:UsageError|ViewTooBigError): the view has (\d+) nodes", whole)
    b = re.match(r"(?:UsageError|ViewTooBigError): the view has at least (\d+) nodes", store)
    return bool(a and b and int(b.group(1)) <= int(a.group(1)) and whole[a.end():] == store[b.end():])


VIEW_TYPES = [("component", "role", "skill", "posting", "person"), ("skill",),
              ("role", "posting", "level", "organization", "category")]


def test_viz_focus_in_the_store_draws_the_same_view(ws_kg, full_kg, sample, cached_facts, monkeypatch):
    monkeypatch.setattr(visualize_module, "_Facts", lambda kg: cached_facts)
    cases = [dict(focus=f, depth=d, types=t, max_nodes=40)
             for f in sample[::4] for d in (0, 1, 2) for t in VIEW_TYPES]
    outcomes = {"view": 0, "refused": 0}
    for case in cases:
        whole = _answer(lambda: graph_view(full_kg, **case).as_dict())
        store = _answer(lambda: graph_view(ws_kg, **case).as_dict())
        if isinstance(whole, dict):
            assert store == whole, case
        else:
            assert isinstance(store, str) and _same_refusal(whole, store), (case, whole, store)
        outcomes["view" if isinstance(whole, dict) else "refused"] += 1
    assert outcomes["view"] > 10 and outcomes["refused"] > 3
    assert ws_kg._dataset is None


def test_viz_whole_kinds_and_paths_in_the_store(ws_kg, full_kg, cached_facts, monkeypatch):
    """Without a focus: the chosen kinds counted exactly (two-kind entities included), a path drawn."""
    monkeypatch.setattr(visualize_module, "_Facts", lambda kg: cached_facts)
    skills = [str(s) for s in full_kg.entities("skill")[:3]]
    cases = [dict(types=("category",)), dict(types=("posting",), max_nodes=150),
             dict(types=("level", "person"), path=skills, path_target="posting:p000004"),
             dict(types=("role", "posting", "category"), max_nodes=100),
             dict(focus="skill:s00007", depth=1, types=("category", "skill"), path=skills[:1]),
             dict(types=("category", "posting"), max_nodes=10_000, focus="posting:p000003", depth=1)]
    for case in cases:
        whole = _answer(lambda: graph_view(full_kg, **case).as_dict())
        assert _answer(lambda: graph_view(ws_kg, **case).as_dict()) == whole, case
    # posting:p000003 is drawn as a category (the earlier kind), so it is not a posting
    view = graph_view(ws_kg, types=("category",))
    assert "https://w3id.org/careergraph/posting/p000003" in {n.id for n in view.nodes}
    refusal = _answer(lambda: graph_view(ws_kg, types=("posting",), max_nodes=150))
    assert refusal.startswith(f"ViewTooBigError: the view has {len(ws_kg.entities('posting')) - 1} nodes, ")
    assert ws_kg._dataset is None


# -- export ------------------------------------------------------------------------------------

def _quads(ds) -> set:
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


def test_export_focus_in_the_store_is_the_same_subgraph(ws_kg, full_kg, sample):
    from careergraph.graph.export import subgraph

    sizes = []
    for focus in sample[::5]:
        for depth in (0, 1, 2):
            whole = _quads(subgraph(full_kg, focus=focus, depth=depth))
            assert _quads(subgraph(ws_kg, focus=focus, depth=depth)) == whole, (focus, depth)
            sizes.append(len(whole))
    assert min(sizes) > 0 and max(sizes) > 200
    assert ws_kg._dataset is None


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld", "trig", "graphml"])
def test_export_focus_text_is_the_same(ws_kg, full_kg, fmt):
    """graphml: the same text; RDF (written by Oxigraph on a workspace): the same quads."""
    from rdflib import Dataset

    whole = export(full_kg, fmt, focus="role:r0002", depth=1)
    store = export(ws_kg, fmt, focus="role:r0002", depth=1)
    if fmt == "graphml":
        assert store == whole and len(store.splitlines()) > 20
        return
    if fmt == "nt":  # N-Triples come in each writer's order; the lines are the same
        assert sorted(store.splitlines()) == sorted(whole.splitlines())
    parsed = []
    for text in (whole, store):
        ds = Dataset()
        ds.parse(data=text, format={"ttl": "turtle", "jsonld": "json-ld"}.get(fmt, fmt))
        parsed.append(_quads(ds))
    assert parsed[0] == parsed[1] and len(parsed[0]) > 20


# -- query text ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["urn:x> } ; DROP ALL #", "urn:a b", 'urn:"x"', "", "no-colon", "urn:x\\u003e"])
def test_only_checked_iris_enter_a_query(bad):
    with pytest.raises(InvalidDataError):
        iri_ref(bad)


def test_a_hostile_name_is_an_unknown_entity_not_a_query(ws_kg):
    hostile = "skill:s00001> } UNION { ?s ?p ?o"
    for call in (lambda: explain(ws_kg, hostile, "skill:s00002"),
                 lambda: graph_view(ws_kg, focus=hostile),
                 lambda: export(ws_kg, "nt", focus=hostile)):
        with pytest.raises(UnknownEntityError):
            call()
