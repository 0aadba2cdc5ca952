"""The benchmark data generator: deterministic, valid, acyclic, and the same in both formats."""

import filecmp
import importlib.util
from pathlib import Path

import pytest
from rdflib import Graph

from careergraph.graph import load, validate
from careergraph.ontology import CG

SPEC = importlib.util.spec_from_file_location(
    "generate", Path(__file__).parent.parent / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    info = generate.generate("T", 3, out)
    return out, info


def test_same_seed_same_bytes(tiny, tmp_path):
    out, _ = tiny
    generate.generate("T", 3, tmp_path)
    assert filecmp.cmp(out / "T.nt", tmp_path / "T.nt", shallow=False)
    assert filecmp.cmp(out / "T.ttl", tmp_path / "T.ttl", shallow=False)
    generate.generate("T", 4, tmp_path)
    assert not filecmp.cmp(out / "T.nt", tmp_path / "T.nt", shallow=False)


def test_turtle_and_ntriples_hold_the_same_graph(tiny):
    out, info = tiny
    nt = Graph().parse(out / "T.nt", format="nt")
    ttl = Graph().parse(out / "T.ttl", format="turtle")
    assert set(nt) == set(ttl)
    assert len(nt) == info["triples"]


def test_generated_data_loads_validates_and_is_acyclic(tiny):
    out, info = tiny
    kg = load(out / "T.nt", bundled=False)  # load() rejects prerequisite and broader cycles
    problems = [p for p in validate(kg) if p.severity == "error"]
    assert problems == []
    postings = kg.entities("posting")
    assert len(postings) == info["postings"] == 200
    for posting in postings:
        assert 8 <= len(set(kg.graph.objects(posting, CG.requiresSkill))) <= 15
    assert len(set(kg.graph.subject_objects(CG.prerequisite))) == info["prerequisites"]


def test_skill_popularity_is_skewed(tiny):
    out, _ = tiny
    kg = load(out / "T.nt", bundled=False)
    counts = {}
    for _, skill in kg.graph.subject_objects(CG.requiresSkill):
        counts[skill] = counts.get(skill, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[0] >= 10 * ranked[len(ranked) // 2]  # power law: the head dwarfs the median
