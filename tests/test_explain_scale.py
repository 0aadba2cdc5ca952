"""``explain`` and ``export --focus`` on a workspace give what the in-memory code gives, around hubs too.

The data is generated here with a fixed seed and shaped like a job market
with hubs: a few skills that most postings require (many chains of the same
length tie), levels and organisations shared by hundreds of postings, and the
cases the store-backed search has to order exactly as networkx does: nodes
pointed at by subjects with smaller IRIs, links both ways between two nodes,
several relations between the same pair, a triple two sources state, and a
link only the default graph holds. Every answer is computed twice: by the
whole-graph code (networkx on an in-memory :func:`load`, rdflib for exports)
and on the workspace, with the search's size thresholds as shipped and shrunk
so that every way of reading a level is taken.
"""

from __future__ import annotations

import random

import pytest

from careergraph.graph import explain as explain_module
from careergraph.graph.explain import explain
from careergraph.graph.export import export, subgraph
from memory_copy import answer as _answer, memory_copy, memory_explainer

CG = "https://w3id.org/careergraph/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _iri(kind: str, name: str) -> str:
    return f"<{CG}{kind}/{name}>"


def _market(seed: int) -> tuple[str, str]:
    """Two N-Triples documents: the market, and a second source that repeats part of it."""
    rng = random.Random(seed)
    lines: list[str] = []

    def add(s, p, o):
        lines.append(f"{s} {p} {o} .\n")

    def entity(kind, cls, name, label):
        iri = _iri(kind, name)
        add(iri, f"<{TYPE}>", f"<{CG}ns#{cls}>")
        add(iri, f"<{LABEL}>", f'"{label}"@en')
        return iri

    rel = lambda local: f"<{CG}ns#{local}>"  # noqa: E731
    skills = [entity("skill", "Skill", f"s{i:03d}", f"skill {i}") for i in range(60)]
    hubs = skills[:3]
    levels = [entity("level", "SeniorityLevel", name, name) for name in ("junior", "middle", "senior")]
    orgs = [entity("org", "Organization", f"o{i:02d}", f"org {i}") for i in range(12)]
    roles = [entity("role", "Role", f"r{i:02d}", f"role {i}") for i in range(15)]
    categories = [entity("category", "SkillCategory", f"c{i}", f"category {i}") for i in range(4)]
    postings = [entity("posting", "JobPosting", f"p{i:04d}", f"posting {i}") for i in range(400)]
    for i, s in enumerate(skills):
        add(s, rel("inCategory"), categories[i % 4])
        if i >= 6:
            add(s, rel("prerequisite"), skills[rng.randrange(3, i)])
        if i >= 10 and rng.random() < 0.5:
            add(s, "<http://www.w3.org/2004/02/skos/core#broader>", skills[rng.randrange(3, 10)])
        add(s, f"<{CG}ns#effortHours>", f'"{rng.randint(5, 80)}"^^<http://www.w3.org/2001/XMLSchema#decimal>')
    for p in postings:
        add(p, rel("seniority"), rng.choice(levels))
        add(p, "<https://schema.org/hiringOrganization>", rng.choice(orgs))
        add(p, "<https://schema.org/url>", f"<https://jobs.example/{p[-6:-1]}>")
        add(p, "<https://schema.org/title>", '"developer"@en')
        for hub in hubs:
            if rng.random() < 0.7:
                add(p, rel("requiresSkill"), hub)
        for s in rng.sample(skills[3:], 3):
            add(p, rel(rng.choice(["requiresSkill", "requiresSkill", "prefersSkill"])), s)
    for r in roles:
        for s in rng.sample(skills, 5):
            add(r, rel("needsSkill"), s)
    person = entity("person", "Person", "ada", "Ada")
    for s in rng.sample(skills, 6):
        add(person, rel("hasSkill"), s)
    # a subject whose IRI sorts before the postings' points at some of them (entry keys)
    pointer = entity("component", "Component", "a-board", "Board")
    for p in rng.sample(postings, 25):
        add(pointer, rel("staffedBy"), p)
    add(pointer, rel("staffedBy"), hubs[1])
    # links both ways, and two relations between the same pair
    for _ in range(20):
        a, b = rng.sample(postings, 2)
        add(a, "<http://www.w3.org/2000/01/rdf-schema#seeAlso>", b)
        add(b, "<http://www.w3.org/2000/01/rdf-schema#seeAlso>", a)
    for r in roles[:5]:
        s = rng.choice(skills)
        add(r, rel("needsSkill"), s)
        add(s, "<http://www.w3.org/2000/01/rdf-schema#seeAlso>", r)
    add(roles[0], "<http://www.w3.org/2000/01/rdf-schema#seeAlso>", hubs[0])
    # an island, and an entity with no relation
    island = entity("skill", "Skill", "island", "Island")
    add(entity("role", "Role", "island", "Island role"), rel("needsSkill"), island)
    entity("skill", "Skill", "alone", "Alone")
    repeated = "".join(rng.sample(lines, 300))
    return "".join(lines), repeated


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("market")
    main, repeated = _market(11)
    (folder / "market.nt").write_text(main, encoding="utf-8")
    (folder / "again.nt").write_text(repeated, encoding="utf-8")
    return [folder / "market.nt", folder / "again.nt"]


@pytest.fixture(scope="module")
def workspace(files, tmp_path_factory):
    import pyoxigraph as ox

    from careergraph.graph.workspace import init_workspace

    with init_workspace(tmp_path_factory.mktemp("market-ws") / "ws", bundled=False) as ws:
        for f in files:
            ws.add(f)
        ws.store.add(ox.Quad(ox.NamedNode(f"{CG}role/r03"), ox.NamedNode(f"{CG}ns#needsSkill"),
                             ox.NamedNode(f"{CG}skill/s007")))
        yield ws


@pytest.fixture(scope="module")
def memory_kg(workspace):
    """The workspace's quads in rdflib's memory store (same graphs): the whole-graph code path."""
    return memory_copy(workspace.knowledge_graph())


@pytest.fixture(scope="module")
def memory_explain(memory_kg):
    return memory_explainer(memory_kg)


HUBS = [f"{CG}skill/s000", f"{CG}skill/s001", f"{CG}skill/s002", f"{CG}level/junior", f"{CG}level/senior",
        f"{CG}org/o03", f"{CG}component/a-board"]
OTHERS = [f"{CG}role/r04", f"{CG}posting/p0007", f"{CG}posting/p0399", f"{CG}person/ada", f"{CG}skill/s059",
          f"{CG}category/c2", f"{CG}skill/island", f"{CG}skill/alone", f"{CG}role/r03"]

#: The search's size thresholds shrunk so that small data takes every path (DISTINCT levels,
#: chunked reads, joins for in-links, meetings found from the met nodes' side).
THRESHOLDS = {
    "shipped": {},
    "tiny": {"_FULL_READ": 2, "_PAIR_PROBE": 3, "_PRECHECK": 1, "_CHUNK": 3, "_JOIN_LEAST": 2,
             "_DISTINCT_CHUNK": 7},
    "no-precheck": {"_FULL_READ": 1, "_PAIR_PROBE": 0, "_PRECHECK": 0, "_CHUNK": 50, "_JOIN_LEAST": 5},
}


def _pairs() -> list[tuple[str, str]]:
    rng = random.Random(7)
    pairs = [(a, b) for a in HUBS for b in HUBS if a < b] + [(HUBS[2], HUBS[0]), (HUBS[4], HUBS[1])]
    pairs += rng.sample([(a, b) for a in HUBS for b in OTHERS], 20)
    pairs += rng.sample([(b, a) for a in HUBS for b in OTHERS], 10)
    postings = [f"{CG}posting/p{i:04d}" for i in range(400)]
    pairs += [tuple(rng.sample(postings, 2)) for _ in range(8)]
    pairs += rng.sample([(a, b) for a in OTHERS for b in OTHERS if a != b], 16)
    categories = [f"{CG}category/c{i}" for i in range(4)]
    pairs += [(a, b) for a in categories for b in categories if a < b]  # the longest chains
    return pairs


@pytest.mark.parametrize("thresholds", list(THRESHOLDS))
def test_store_explain_is_networkx_chain_around_hubs(workspace, memory_explain, thresholds, monkeypatch):
    for name, value in THRESHOLDS[thresholds].items():
        monkeypatch.setattr(explain_module, name, value)
    kg = workspace.knowledge_graph()
    lengths = []
    for a, b in _pairs():
        expected = memory_explain(a, b)
        assert _answer(lambda: explain(kg, a, b).as_dict()) == expected, (a, b)
        lengths.append(expected["length"] if isinstance(expected, dict) else expected.split(":")[0])
    # chains of several lengths and both failures were compared
    assert {1, 2, 3, 4} <= set(lengths) and {"NoPathError"} <= set(lengths)
    assert kg._dataset is None


def test_many_ties_at_a_hub(memory_kg, memory_explain, workspace):
    """Hub to hub: hundreds of shortest chains tie, and the one networkx picks is the one shown."""
    import networkx as nx

    from careergraph.graph.convert import knowledge_graph

    from rdflib import URIRef

    view = nx.Graph(knowledge_graph(memory_kg))
    a, b = f"{CG}skill/s000", f"{CG}skill/s002"
    ties = sum(1 for _ in nx.all_shortest_paths(view, URIRef(a), URIRef(b)))
    assert ties > 100
    expected = memory_explain(a, b)
    assert explain(workspace.knowledge_graph(), a, b).as_dict() == expected


def _quads(ds) -> set:
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


@pytest.mark.parametrize("focus", [f"{CG}skill/s000", f"{CG}level/senior", f"{CG}posting/p0007",
                                   f"{CG}component/a-board", f"{CG}skill/alone"])
def test_store_focus_export_is_the_same_graph(workspace, memory_kg, focus):
    from rdflib import Dataset

    kg = workspace.knowledge_graph()
    for depth in (0, 1) if focus in HUBS[:5] else (0, 1, 2):  # two links from a hub: most of the graph
        whole = _quads(subgraph(memory_kg, focus=focus, depth=depth))
        assert _quads(subgraph(kg, focus=focus, depth=depth)) == whole, (focus, depth)
        triples = {(s, p, o) for s, p, o, _ in whole}
        for fmt, parser in (("trig", "trig"), ("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
            ds = Dataset()
            ds.parse(data=export(kg, fmt, focus=focus, depth=depth), format=parser)
            found = _quads(ds)
            if fmt == "trig":  # one graph per source: provenance kept
                assert found == whole, (focus, depth, fmt)
            else:  # the union
                assert {(s, p, o) for s, p, o, _ in found} == triples, (focus, depth, fmt)
        if focus.endswith("alone"):
            assert len(triples) == 2  # its class and its label
    assert kg._dataset is None
