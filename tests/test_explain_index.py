"""``explain`` on a workspace with its compiled index saved: the index stands in for the store, same chains.

With an index saved beside the store, the search takes a hub skill's
postings and roles from the index (after one COUNT proves them complete)
and keeps, beside the index, which postings and roles nothing points at.
Every answer here is compared with networkx on the same quads in memory,
on data made to break each shortcut: requirements stated by untyped
subjects, twice in two sources, with the "other" relation (a posting that
``needsSkill``, a role that ``requiresSkill``), a posting linked to a hub by
two relations, postings pointed at by subjects whose IRIs sort first, and a
link into a posting that only another source states.
"""

from __future__ import annotations

import random

import pytest

from careergraph.graph import explain as explain_module
from careergraph.graph.explain import POINTED_FILE, explain
from memory_copy import answer as _answer, memory_copy, memory_explainer

CG = "https://w3id.org/careergraph/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
REQUIRES, NEEDS, PREFERS = (f"<{CG}ns#{p}>" for p in ("requiresSkill", "needsSkill", "prefersSkill"))


def _iri(kind: str, name: str) -> str:
    return f"<{CG}{kind}/{name}>"


def _market(seed: int) -> dict[str, str]:
    """N-Triples documents, one per source: the market, a second source, and odd facts."""
    rng = random.Random(seed)
    docs: dict[str, list] = {"market": [], "second": [], "odd": []}

    def add(s, p, o, doc="market"):
        docs[doc].append(f"{s} {p} {o} .\n")

    def entity(kind, cls, name):
        iri = _iri(kind, name)
        add(iri, TYPE, f"<{CG}ns#{cls}>")
        add(iri, LABEL, f'"{kind} {name}"@en')
        return iri

    skills = [entity("skill", "Skill", f"s{i:02d}") for i in range(30)]
    hubs = skills[:4]
    postings = [entity("posting", "JobPosting", f"p{i:03d}") for i in range(240)]
    roles = [entity("role", "Role", f"r{i:02d}") for i in range(12)]
    levels = [entity("level", "SeniorityLevel", n) for n in ("junior", "senior")]
    for i, s in enumerate(skills[4:], start=4):
        add(s, f"<{CG}ns#prerequisite>", skills[rng.randrange(4, i)] if i > 4 else hubs[0])
    for p in postings:
        add(p, f"<{CG}ns#seniority>", rng.choice(levels))
        for h in hubs:
            if rng.random() < 0.6:
                add(p, REQUIRES, h)
        for s in rng.sample(skills[4:], 2):
            add(p, rng.choice([REQUIRES, PREFERS]), s)
    for r in roles:
        for s in rng.sample(skills, 4):
            add(r, NEEDS, s)
    # the "other" relation: a posting that needs a hub, a role that requires one
    add(postings[7], NEEDS, hubs[1])
    add(roles[3], REQUIRES, hubs[1])
    # a posting linked to a hub by two relations (the least CURIE names the edge)
    add(postings[11], PREFERS, hubs[2])
    add(postings[11], REQUIRES, hubs[2])
    # postings pointed at, by subjects whose IRIs sort before theirs and after
    entity("skill", "Skill", "alone")  # no relation at all
    board = entity("component", "Component", "a-board")
    for p in rng.sample(postings, 15):
        add(board, f"<{CG}ns#staffedBy>", p)
    person = entity("person", "Person", "zed")
    for p in rng.sample(postings, 10):
        add(person, "<http://www.w3.org/2000/01/rdf-schema#seeAlso>", p)
    add(person, f"<{CG}ns#hasSkill>", hubs[3])
    # a second source: hub 1's requirements again (each fact twice: the COUNT check fails)
    docs["second"] = [line for line in docs["market"] if line.endswith(f"{REQUIRES} {hubs[1]} .\n")]
    # odd facts: an untyped subject requires hub 2; a link into a posting only this source states
    add(_iri("posting", "untyped"), REQUIRES, hubs[2], "odd")
    add(_iri("component", "0-first"), f"<{CG}ns#staffedBy>", postings[100], "odd")
    return {name: "".join(lines) for name, lines in docs.items()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from careergraph.graph.index import compiled_index
    from careergraph.graph.workspace import init_workspace

    folder = tmp_path_factory.mktemp("market-index")
    with init_workspace(folder / "ws", bundled=False) as ws:
        for name, text in _market(5).items():
            path = folder / f"{name}.nt"
            path.write_text(text, encoding="utf-8")
            ws.add(path)
        kg = ws.knowledge_graph()
        compiled_index(kg)  # built and saved beside the store, as any ranking command leaves it
        assert (ws.folder / "index" / "index.json").exists()
        yield ws


@pytest.fixture(scope="module")
def memory_explain(workspace):
    """networkx on the workspace's quads copied into rdflib's memory store."""
    return memory_explainer(memory_copy(workspace.knowledge_graph()))


HUBS = [f"{CG}skill/s0{i}" for i in range(4)]
OTHERS = [f"{CG}level/junior", f"{CG}level/senior", f"{CG}person/zed", f"{CG}component/a-board",
          f"{CG}posting/p007", f"{CG}posting/p100", f"{CG}role/r03", f"{CG}skill/s17", f"{CG}posting/untyped",
          f"{CG}skill/alone"]


def _pairs():
    rng = random.Random(2)
    pairs = [(a, b) for a in HUBS for b in HUBS if a != b]
    pairs += [(a, b) for a in HUBS for b in OTHERS] + [(b, a) for a in HUBS for b in OTHERS]
    return pairs + rng.sample([(a, b) for a in OTHERS for b in OTHERS if a != b], 12)


@pytest.fixture
def spied(monkeypatch):
    """What the index answered: requirement lists it stood for (and those then read all the same,
    the COUNT check failing), nodes it said nothing points at."""
    seen = {"requirers": 0, "read_again": 0, "unpointed": 0, "given": None}
    requirers, unpointed = explain_module._Compiled.requirers, explain_module._Compiled.unpointed
    ends = explain_module._Links._ends

    def spy_requirers(self, skill, counts):
        found = requirers(self, skill, counts)
        seen["given"] = found and found.predicate
        seen["requirers"] += found is not None
        return found

    def spy_ends(self, predicates, pattern):
        if seen["given"] is not None and predicates == [seen["given"]]:
            seen["read_again"] += 1
        return ends(self, predicates, pattern)

    def spy_unpointed(self, nodes):
        found = unpointed(self, nodes)
        seen["unpointed"] += len(found)
        return found

    monkeypatch.setattr(explain_module._Compiled, "requirers", spy_requirers)
    monkeypatch.setattr(explain_module._Compiled, "unpointed", spy_unpointed)
    monkeypatch.setattr(explain_module._Links, "_ends", spy_ends)
    return seen


@pytest.mark.parametrize("thresholds", [{}, {"_JOIN_LEAST": 2, "_FULL_READ": 2, "_PAIR_PROBE": 3,
                                             "_PRECHECK": 1, "_CHUNK": 5}])
def test_with_the_index_the_chains_are_networkx_chains(workspace, memory_explain, spied, thresholds,
                                                        monkeypatch):
    for name, value in thresholds.items():
        monkeypatch.setattr(explain_module, name, value)
    (workspace.folder / "index" / POINTED_FILE).unlink(missing_ok=True)
    kg = workspace.knowledge_graph()
    lengths = []
    for round_ in range(2):  # the second round reads what the first kept beside the index
        for a, b in _pairs():
            expected = memory_explain(a, b)
            assert _answer(lambda: explain(kg, a, b).as_dict()) == expected, (round_, a, b)
            lengths.append(expected["length"] if isinstance(expected, dict) else expected)
    assert {1, 2, 3} <= set(lengths) and any("has no relation" in str(x) for x in lengths)
    # the index stood for the hubs' requirements, and told the search which postings nothing points at
    assert spied["requirers"] > spied["read_again"] > 0  # hub 1 (stated twice) and hub 2 read all the same
    if thresholds:
        assert spied["unpointed"] > 0
        assert (workspace.folder / "index" / POINTED_FILE).exists()
    assert kg._dataset is None


def test_requirers_are_complete_only_when_the_count_proves_it(workspace):
    """Facts stated twice (hub 1) or by an untyped subject (hub 2) make the COUNT differ: then read."""
    kg = workspace.knowledge_graph()
    compiled = explain_module._Compiled.of(kg)
    assert compiled is not None
    links = explain_module._Links(kg._oxigraph, compiled)
    plain = explain_module._Links(kg._oxigraph)
    for hub in HUBS:
        links.read([hub])
        plain.read([hub])
        assert links.inn[hub] == plain.inn[hub] and links.out[hub] == plain.out[hub], hub
    # the edge between a posting and hub 2 that it both prefers and requires is named by the least CURIE
    assert links.inn[HUBS[2]][f"{CG}posting/p011"] == "cg:prefersSkill"
    assert f"{CG}posting/untyped" in links.inn[HUBS[2]]
    assert links.inn[HUBS[1]][f"{CG}role/r03"] == "cg:requiresSkill"
    assert links.inn[HUBS[1]][f"{CG}posting/p007"] == "cg:needsSkill"


def test_what_points_at_postings_is_kept_per_generation(workspace, monkeypatch):
    """What a search learns is kept under the store's generation; a file for other data is not read."""
    import numpy as np

    monkeypatch.setattr(explain_module, "_JOIN_LEAST", 2)
    path = workspace.folder / "index" / POINTED_FILE
    path.unlink(missing_ok=True)
    kg = workspace.knowledge_graph()
    explain(kg, HUBS[0], HUBS[1])
    with np.load(path) as data:
        pointed = data["pointed"].copy()
        key = str(data["key"])
    assert (pointed == 1).any()  # some postings nothing points at
    compiled = explain_module._Compiled.of(kg)
    names = compiled.names()
    # the postings the component points at are never said to be unpointed
    for i in np.flatnonzero(pointed == 1):
        assert not any(True for _ in kg._oxigraph.quads_for_pattern(None, None, _node(names[i])))
    # a file kept for another generation is ignored
    np.savez(path.open("wb"), key=np.array(key + "-other"), pointed=np.ones_like(pointed))
    compiled = explain_module._Compiled.of(kg)
    compiled.names()
    compiled._row_of.update({n: i for i, n in enumerate(compiled.names())})
    assert compiled.unpointed(names) == []


def _node(iri):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def test_without_a_saved_index_nothing_is_built(tmp_path):
    """explain never builds the index: without one saved, the store answers alone."""
    from careergraph.graph.workspace import init_workspace

    with init_workspace(tmp_path / "ws", bundled=False) as ws:
        path = tmp_path / "m.nt"
        path.write_text(_market(1)["market"], encoding="utf-8")
        ws.add(path)
        kg = ws.knowledge_graph()
        assert explain_module._Compiled.of(kg) is None
        assert len(explain(kg, HUBS[0], HUBS[1]).hops) == 2
        assert not (ws.folder / "index" / "index.json").exists()


@pytest.mark.parametrize("focus", [HUBS[0], HUBS[2], f"{CG}level/senior", f"{CG}posting/p011"])
def test_export_focus_with_the_index_is_the_same_graph(workspace, focus, monkeypatch):
    """export --focus matches the index's skills first (never testing them for literals): same quads."""
    from careergraph.graph import export as export_module

    kg = workspace.knowledge_graph()
    memory = memory_copy(kg)
    known = []
    original = export_module._known_iris
    monkeypatch.setattr(export_module, "_KNOWN_FROM", 0)
    monkeypatch.setattr(export_module, "_known_iris", lambda kg: known.extend(original(kg)) or known)

    def quads(d):
        return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in d.quads((None, None, None, None))}

    for depth in (0, 1, 2):
        ws_kg = workspace.knowledge_graph()
        got = quads(export_module.subgraph(ws_kg, focus=focus, depth=depth))
        assert got == quads(export_module.subgraph(memory, focus=focus, depth=depth)), (focus, depth)
        assert ws_kg._dataset is None
    assert len(set(known)) == 30  # the skills of the index were matched first
