"""info and demand at scale: Oxigraph's own counts and the index-backed demand agree with the plain ways."""

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF

from careergraph.graph import load
from careergraph.graph.store import KINDS
from careergraph.ontology import CG

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The benchmark generator's T data (200 postings) and S data (the bundled data as one file)."""
    out = tmp_path_factory.mktemp("gen")
    for scale in ("T", "S"):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--scale", scale,
                        "--seed", "3", "--out", str(out)], check=True, capture_output=True)
    return out


def slow_info(kg):
    """What ``info`` counted before it counted in Oxigraph: entities() and len() through rdflib."""
    return {kind: len(kg.entities(kind)) for kind in KINDS if kind != "source"}, len(kg)


# -- info ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("files, bundled", [(["T.nt", "S.nt"], True)])
def test_info_on_rdflib_counts_entities_and_triples(generated, files, bundled):
    kg = load(*(generated / f for f in files), bundled=bundled)
    info = kg.info()
    assert (info.counts, info.triples) == slow_info(kg)


@pytest.mark.parametrize("files, bundled", [([], True), (["T.nt"], False), (["S.nt", "T.nt"], True)])
def test_info_on_a_workspace_matches_the_slow_counts(generated, tmp_path, files, bundled):
    """S repeats every bundled triple in another graph, so duplicates across graphs are exercised."""
    import pyoxigraph as ox

    from careergraph.graph.workspace import init_workspace

    with init_workspace(tmp_path / "ws", bundled=bundled) as ws:
        for f in files:
            ws.add(generated / f)
        kg = ws.knowledge_graph()
        assert kg.backend == "oxigraph"
        info = kg.info()
        assert (info.counts, info.triples) == slow_info(kg)
        if bundled:
            # a triple in the default graph and one stated twice more (progress and default graph)
            person = kg.entities("person")[0]
            ws.learned(person, kg.resolve("skill:dart-vm"))
            ws.learned(person, kg.resolve("skill:dart"))  # held already: the same triple in two graphs
            dart = ox.NamedNode(str(kg.resolve("skill:dart")))
            ws.store.add(ox.Quad(ox.NamedNode(str(person)), ox.NamedNode(str(CG.hasSkill)), dart))
            ws.store.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(CG.Skill))))
            kg = ws.knowledge_graph()
            info = kg.info()
            assert (info.counts, info.triples) == slow_info(kg)
    assert info.triples > 0 and info.counts["skill"] > 0
