"""Export: RDF formats round-trip, TriG keeps sources, focus neighbourhoods, GraphML/GEXF for Gephi."""

import io

import networkx as nx
import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from careergraph.graph import load
from careergraph.graph.errors import UnknownEntityError, UsageError
from careergraph.graph.export import EXPORT_FORMATS, export
from careergraph.graph.store import KINDS, ONTOLOGY_GRAPH
from careergraph.ontology import CG
from memory_copy import memory_copy

PARSERS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}


def named_triples(kg, *, skip=()):
    g = Graph()
    for s, p, o, c in kg.dataset.quads((None, None, None, None)):
        if c != DATASET_DEFAULT_GRAPH_ID and c not in skip:
            g.add((s, p, o))
    return g


@pytest.mark.parametrize("fmt", sorted(PARSERS))
def test_rdf_exports_hold_every_source_triple(kg, fmt):
    text = export(kg, fmt)
    back = Graph().parse(data=text, format=PARSERS[fmt])
    assert isomorphic(back, named_triples(kg))


def test_trig_keeps_one_named_graph_per_source(kg):
    ds = Dataset()
    ds.parse(data=export(kg, "trig"), format="trig")
    names = {g.identifier for g in ds.graphs() if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID}
    assert names == {s.iri for s in kg.sources}
    for src in kg.sources:
        assert len(ds.graph(src.iri)) == len(kg.dataset.graph(src.iri))


def test_exported_trig_reloads_with_the_same_sources(kg, tmp_path):
    path = tmp_path / "all.trig"
    path.write_text(export(kg, "trig"), encoding="utf-8")
    again = load(path, bundled=False)
    assert {s.iri for s in again.sources} == {s.iri for s in kg.sources}
    assert isomorphic(named_triples(again), named_triples(kg))


def _links(g):
    return {(s, o) for s, p, o in g if p != RDF.type and isinstance(o, URIRef)}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_focus_keeps_the_neighbourhood_within_depth(kg, depth):
    dart = kg.resolve("skill:dart")
    g = Graph().parse(data=export(kg, "nt", focus="Dart", depth=depth), format="nt")
    # the nodes within depth, computed here by breadth-first search over the full graph
    full = named_triples(kg)
    reach, frontier = {dart}, {dart}
    for _ in range(depth):
        frontier = {o for s, o in _links(full) if s in frontier} | {s for s, o in _links(full) if o in frontier}
        frontier -= reach
        reach |= frontier
    subjects = set(g.subjects())
    assert dart in subjects
    assert subjects <= reach
    for s, o in _links(g):
        assert s in reach and o in reach
    expected = {(s, p, o) for s, p, o in full
                if s in reach and (isinstance(o, Literal) or p == RDF.type or o in reach)}
    assert set(g) == expected
    if depth == 0:
        assert _links(g) == set()


def test_unknown_focus_and_format(kg):
    with pytest.raises(UnknownEntityError):
        export(kg, "ttl", focus="no such thing at all")
    with pytest.raises(UsageError):
        export(kg, "xlsx")
    assert set(EXPORT_FORMATS) == {"ttl", "nt", "jsonld", "trig", "graphml", "gexf"}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_files_for_gephi(kg, fmt, reader):
    g = reader(io.BytesIO(export(kg, fmt).encode("utf-8")))
    data = named_triples(kg, skip=(ONTOLOGY_GRAPH,))
    typed = {s for s in data.subjects(RDF.type, None) if isinstance(s, URIRef)}
    assert set(g.nodes) == {str(s) for s in typed}
    kinds = {cls: kind for kind, cls in KINDS.items()}
    for node, attrs in g.nodes(data=True):
        assert isinstance(attrs["label"], str) and attrs["label"]
        assert isinstance(attrs["type"], str)
        types = set(data.objects(URIRef(node), RDF.type))
        if types & set(kinds):
            assert attrs["type"] in {kinds[t] for t in types if t in kinds}
    requires = [(str(s), str(o)) for s, o in data.subject_objects(CG.requiresSkill)]
    edges = [(u, v) for u, v, d in g.edges(data=True) if d.get("label") == "cg:requiresSkill"]
    assert sorted(edges) == sorted(requires) and requires


def test_no_bundled_exports_only_user_files(kg, tmp_path):
    mine = tmp_path / "me.ttl"
    mine.write_text('@prefix cg: <https://w3id.org/careergraph/ns#> .\n'
                    '<https://w3id.org/careergraph/person/x> a cg:Person ; '
                    '<http://www.w3.org/2000/01/rdf-schema#label> "X" ; '
                    'cg:hasSkill <https://w3id.org/careergraph/skill/dart> .\n', encoding="utf-8")
    kg2 = load(mine)
    back = Graph().parse(data=export(kg2, "nt", bundled=False), format="nt")
    assert isomorphic(back, Graph().parse(mine))


@pytest.mark.parametrize("module", ["importing", "import_profile", "import_postings", "import_text",
                                    "import_esco", "esco_links", "export"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"careergraph.graph.{module}")
    failed, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert failed == 0


# -- a workspace's whole export, written by Oxigraph ------------------------------------------------
EXTRA = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
<https://w3id.org/careergraph/person/zoe> a cg:Person ; rdfs:label "Zoë", "Zoe"@en, "Zoe"@de ;
  cg:hasSkill skill:dart ; rdfs:comment [ rdfs:label "a note\\twith a tab" ; cg:effortHours 2.5 ] .
skill:dart a cg:Skill .
skill:flutter rdfs:comment "noted by Zoë" .
"""


@pytest.fixture(scope="module")
def export_ws(tmp_path_factory):
    from careergraph.graph.workspace import init_workspace

    folder = tmp_path_factory.mktemp("export-ws")
    (folder / "zoe.ttl").write_text(EXTRA, encoding="utf-8")
    ws = init_workspace(folder / "ws")
    ws.add(folder / "zoe.ttl")
    yield ws
    ws.close()


@pytest.mark.parametrize("bundled", [True, False])
@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld", "trig"])
def test_whole_workspace_export_is_the_rdflib_export(export_ws, fmt, bundled):
    """Oxigraph writes the workspace's export: the same graph (or the same graphs, for TriG), blank
    nodes and languages included, as the rdflib route gives; the Dataset of the store is not made."""
    from careergraph.graph import export as export_module

    ws_kg = export_ws.knowledge_graph()
    native = export(ws_kg, fmt, bundled=bundled)
    assert ws_kg._dataset is None, "the whole store was not copied into rdflib"
    reference = export_module.subgraph(ws_kg, bundled=bundled)
    if fmt == "trig":
        got = Dataset()
        got.parse(data=native, format="trig")
        names = {g.identifier for g in reference.graphs() if len(g)}
        assert {g.identifier for g in got.graphs() if len(g)} == names
        assert len(names) > (5 if bundled else 0)
        for name in names:
            assert isomorphic(got.graph(name), reference.graph(name)), name
        return
    got = Graph().parse(data=native, format=PARSERS[fmt])
    want = export_module._union(reference)
    assert len(got) == len(want) > (1000 if bundled else 5) and isomorphic(got, want)
    if fmt == "nt":
        assert len(native.splitlines()) == len(got), "each triple written once"


@pytest.mark.parametrize("bundled", [True, False])
def test_workspace_focus_follows_only_the_exported_sources(export_ws, bundled):
    """--no-bundled on a workspace: the neighbourhood goes through the user's sources only (the
    bundled graphs, and the workspace's own bookkeeping graphs, are left out), as in memory."""
    from careergraph.graph import export as export_module

    ws_kg = export_ws.knowledge_graph()
    memory = memory_copy(ws_kg)
    sizes = []
    for focus, depth in (("skill:dart", 1), ("skill:dart", 2), ("person:zoe", 2)):
        ws_kg = export_ws.knowledge_graph()
        got = export_module.subgraph(ws_kg, focus=focus, depth=depth, bundled=bundled)
        assert ws_kg._dataset is None
        want = export_module.subgraph(memory, focus=focus, depth=depth, bundled=bundled)
        quads = {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in got.quads((None, None, None, None))}
        assert quads == {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in want.quads((None, None, None, None))}
        sizes.append(len(quads))
        text = export(export_ws.knowledge_graph(), "nt", focus=focus, depth=depth, bundled=bundled)
        assert len(set(text.splitlines())) == len({q[:3] for q in quads})
    if bundled:
        assert sizes[1] > sizes[0] > 10  # dart's bundled links, and theirs
    else:
        # Zoë is dart's only neighbour in the user's file: Flutter (which needs Dart in the bundled
        # data, and which the user's file notes) is not reached
        assert sizes[0] == sizes[1] and not any("flutter" in str(q[0]) for q in quads)
