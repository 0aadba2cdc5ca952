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


# -- demand ----------------------------------------------------------------------------------------
from careergraph.graph import demand as demand_module  # noqa: E402
from careergraph.graph.demand import demand  # noqa: E402
from careergraph.graph.errors import UsageError  # noqa: E402


@pytest.fixture(scope="module")
def t_kg(generated):
    return load(generated / "T.nt", bundled=False)


def both_ways(monkeypatch, kg, **options):
    """``demand(kg)`` per posting and on the compiled index (the threshold moved below the data)."""
    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 10**9)
    small = demand(kg, **options)
    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 0)
    large = demand(kg, **options)
    monkeypatch.undo()
    return small, large


def sparql_counts(kg):
    """Postings requiring, and preferring without requiring, each skill; counted by SPARQL."""
    from careergraph.ontology import PREFIXES

    def counts(text):
        return {str(r.s): int(r.n) for r in kg.graph.query(text, initNs=dict(PREFIXES))}

    required = counts("""SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p a cg:JobPosting . { ?p cg:requiresSkill ?s } UNION { ?p cg:needsSkill ?s } FILTER(isIRI(?s)) }
        GROUP BY ?s""")
    preferred = counts("""SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p a cg:JobPosting ; cg:prefersSkill ?s . FILTER(isIRI(?s))
        FILTER NOT EXISTS { ?p cg:requiresSkill ?s } FILTER NOT EXISTS { ?p cg:needsSkill ?s } } GROUP BY ?s""")
    return required, preferred


def test_index_path_gives_todays_answer_on_the_bundled_data(monkeypatch, kg):
    small, large = both_ways(monkeypatch, kg, centrality="full", show_postings=None)
    assert small.centrality == large.centrality == "full"
    assert small.as_dict() == large.as_dict()
    assert small.total == len(small.skills) and small.shown_postings is None


@pytest.mark.parametrize("centrality", ["listed", "none"])
@pytest.mark.parametrize("limit, show", [(60, 3), (7, 2), (1, 0), (40, None)])
def test_index_path_matches_the_per_posting_path(monkeypatch, t_kg, centrality, limit, show):
    small, large = both_ways(monkeypatch, t_kg, centrality=centrality, limit=limit, show_postings=show)
    assert small.as_dict() == large.as_dict()


def test_pair_counts_as_bit_sets_and_as_a_sparse_product_agree(monkeypatch, t_kg):
    from careergraph.graph.index import compiled_index

    facts = demand_module._IndexFacts(t_kg, compiled_index(t_kg))
    skills = facts.first(40)
    bits = facts.pair_counts(skills)
    monkeypatch.setattr(demand_module, "_BITS_MAX", 0)
    assert sorted(bits) == sorted(facts.pair_counts(skills)) and bits


@pytest.mark.parametrize("way", [0, 1])
def test_counts_and_total_match_sparql(monkeypatch, t_kg, way):
    required, preferred = sparql_counts(t_kg)
    result = both_ways(monkeypatch, t_kg, centrality="none", show_postings=None)[way]
    assert result.total == len(set(required) | set(preferred)) == len(result.skills)
    assert result.postings == len(t_kg.entities("posting"))
    for row in result.skills:
        assert row.required == required.get(row.skill.iri, 0)
        assert row.preferred == preferred.get(row.skill.iri, 0)
        assert len(row.postings) == row.required and len(row.preferred_by) == row.preferred
        assert row.betweenness is None and row.community is None
    keys = [(-r.required, r.skill.curie) for r in result.skills]
    assert keys == sorted(keys)
    assert preferred and any(r.required == 0 for r in result.skills), "the data has only-preferred skills"


def test_limit_and_shown_postings_cut_the_full_answer(t_kg):
    everything = demand(t_kg, centrality="none")
    cut = demand(t_kg, centrality="none", limit=5, show_postings=2)
    assert cut.total == everything.total and len(cut.skills) == 5
    for a, b in zip(cut.skills, everything.skills):
        assert a.skill == b.skill and (a.required, a.preferred) == (b.required, b.preferred)
        assert a.postings == b.postings[:2] and a.preferred_by == b.preferred_by[:2]
    assert [r.iri for r in everything.skills[0].postings] == sorted(r.iri for r in everything.skills[0].postings)


def test_listed_centrality_is_that_of_the_listed_skills_graph(t_kg):
    import networkx as nx

    everything = demand(t_kg, centrality="none")
    listed = demand(t_kg, centrality="listed", limit=12)
    first = {r.skill.iri for r in everything.skills[:12]}
    assert {r.skill.iri for r in listed.skills} == first
    # the co-occurrence graph of those skills, built from the postings' requirements
    g = nx.Graph()
    g.add_nodes_from(first)
    for p in t_kg.entities("posting"):
        req = {str(o) for prop in (CG.requiresSkill, CG.needsSkill) for o in t_kg.graph.objects(p, prop)} & first
        for a in req:
            for b in req:
                if a < b:
                    g.add_edge(a, b)
    expected = nx.betweenness_centrality(g)
    for r in listed.skills:
        assert r.betweenness == pytest.approx(expected[r.skill.iri])
    keys = [(-r.required, -r.betweenness, r.skill.curie) for r in listed.skills]
    assert keys == sorted(keys)
    members = sorted(r.iri for c in listed.communities for r in c)
    assert members == sorted(first), "the communities partition the listed skills"


def test_auto_centrality_follows_the_size(monkeypatch, kg, t_kg):
    assert demand(kg, limit=3).centrality == "full"
    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 10)
    assert demand(t_kg, limit=3).centrality == "listed"
    assert demand(t_kg, limit=3).shown_postings == demand_module.SHOWN_POSTINGS
    monkeypatch.setattr(demand_module, "LISTED_CENTRALITY_MAX", 2)
    result = demand(t_kg, limit=3)
    assert result.centrality == "none" and result.communities == ()


def test_bad_options_are_usage_errors(kg):
    for options in ({"centrality": "sampled"}, {"limit": 0}, {"show_postings": -1}):
        with pytest.raises(UsageError):
            demand(kg, **options)


def test_workspace_demand_matches_memory_and_keeps_its_cache(monkeypatch, generated, t_kg, tmp_path):
    from careergraph.graph.workspace import init_workspace, open_workspace

    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 10**9)
    expected = [demand(t_kg, centrality=c, limit=9, show_postings=3).as_dict() for c in ("listed", "none")]
    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 0)
    with init_workspace(tmp_path / "ws", bundled=False) as ws:
        ws.add(generated / "T.nt")
        kg = ws.knowledge_graph()
        got = [demand(kg, centrality=c, limit=9, show_postings=3).as_dict() for c in ("listed", "none")]
        assert got == expected
        cache = tmp_path / "ws" / "index" / demand_module.BY_SKILL_FILE
        assert cache.exists()
        person = kg.entities("person")[0]
        stamp = cache.stat().st_mtime_ns
        ws.learned(person, kg.resolve(expected[1]["skills"][-1]["skill"]["iri"]))
        demand(kg, limit=1)
        assert cache.stat().st_mtime_ns == stamp, "recorded progress does not change demand: cache kept"
        extra = tmp_path / "extra.ttl"
        skill = expected[1]["skills"][-1]["skill"]["iri"]
        extra.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
                         f"<https://w3id.org/careergraph/posting/extra> a cg:JobPosting ; cg:prefersSkill <{skill}> .\n",
                         encoding="utf-8")
        ws.add(extra)
        demand(kg, limit=1)
        assert cache.stat().st_mtime_ns != stamp, "a changed workspace rebuilds the cache"
    with open_workspace(tmp_path / "ws") as ws:
        kg = ws.knowledge_graph()
        from careergraph.graph.index import FORMAT, compiled_index

        key = f"{FORMAT}|{compiled_index(kg).key}|"
        assert demand_module._load_by_skill(tmp_path / "ws" / "index", key) is None
        got = demand(kg, centrality="none", limit=9, show_postings=3).as_dict()
    monkeypatch.setattr(demand_module, "INDEX_THRESHOLD", 10**9)
    plain = load(generated / "T.nt", tmp_path / "extra.ttl", bundled=False)
    assert got == demand(plain, centrality="none", limit=9, show_postings=3).as_dict()


# -- the command -------------------------------------------------------------------------------------
def test_demand_command_limit_notes_and_json():
    import json

    from click.testing import CliRunner

    from careergraph.cli.main import cli

    runner = CliRunner()
    full = json.loads(runner.invoke(cli, ["demand", "--format", "json"]).output)
    assert full["total"] == len(full["skills"]) and full["centrality"] == "full"
    cut = runner.invoke(cli, ["demand", "--limit", "2", "--format", "json"])
    data = json.loads(cut.output)
    assert cut.exit_code == 0 and len(data["skills"]) == 2 and data["total"] == full["total"]
    assert data["skills"] == full["skills"][:2]
    table = runner.invoke(cli, ["demand", "--limit", "2", "--centrality", "none"])
    assert table.exit_code == 0
    assert f"Showing the first 2 of {full['total']} skills" in table.output
    assert "not computed" in table.output
    assert runner.invoke(cli, ["demand"]).output.count("Showing") == 0, "nothing cut: no note"
    assert runner.invoke(cli, ["demand", "--limit", "0"]).exit_code == 2
    assert runner.invoke(cli, ["demand", "--centrality", "sampled"]).exit_code == 2
