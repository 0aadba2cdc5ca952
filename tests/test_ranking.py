"""rank, gap, next, demand and explain, checked against the triples they are computed from."""

import networkx as nx
import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from careergraph.graph import load
from careergraph.graph.errors import NoPathError, UsageError
from careergraph.graph.paths import learning_path
from careergraph.graph.ranking import demand, explain, gap, next_skills, rank
from careergraph.ontology import CG, PREFIXES

from test_paths import check_plan, essential_of, hours_of, known_skills, write


def person_of(kg):
    (person,) = kg.entities("person")
    return person


@pytest.mark.parametrize("kind, entity", [("postings", "posting"), ("roles", "role")])
def test_rank_matches_the_learning_paths(kg, kind, entity):
    ranking = rank(kg, kind)
    assert {r.target.iri for r in ranking.rows} == {str(t) for t in kg.entities(entity)}
    known = known_skills(kg, person_of(kg))
    for row in ranking.rows:
        plan = learning_path(kg, None, row.target.iri)
        assert row.hours == plan.total_hours
        required = essential_of(kg, URIRef(row.target.iri))
        met = [r for r in required if r in known]
        assert (row.met, row.required) == (len(met), len(required))
        assert row.coverage == pytest.approx(100 * len(met) / len(required))
    keys = [(r.hours, -r.coverage) for r in ranking.rows]
    assert keys == sorted(keys)


def test_fully_met_postings_rank_first(kg):
    ranking = rank(kg, "postings")
    known = known_skills(kg, person_of(kg))
    fully = {str(p) for p in kg.entities("posting") if essential_of(kg, p) <= known}
    assert fully, "the seed author meets some postings completely"
    assert {r.target.iri for r in ranking.rows[:len(fully)]} == fully
    assert all(r.hours == 0 and r.coverage == 100 for r in ranking.rows[:len(fully)])


def test_components_go_through_their_best_role(kg):
    roles = {r.target.iri: r for r in rank(kg, "roles").rows}
    for row in rank(kg, "components").rows:
        staff = {str(o) for o in kg.graph.objects(URIRef(row.target.iri), CG.staffedBy)}
        assert row.via.iri in staff
        assert row.hours == min(roles[r].hours for r in staff)


def test_rank_rejects_other_kinds(kg):
    with pytest.raises(UsageError):
        rank(kg, "skills")


def test_gap_statuses_follow_the_data(kg):
    person = person_of(kg)
    g = kg.graph
    held = set(g.objects(person, CG.hasSkill))
    known = known_skills(kg, person)
    for target in kg.entities("posting") + kg.entities("role"):
        result = gap(kg, None, target)
        assert {r.requirement.iri for r in result.rows if r.essential} == {
            str(s) for s in essential_of(kg, target)}
        for row in result.rows:
            req = URIRef(row.requirement.iri)
            if row.status == "held":
                assert req in held and row.held.iri == row.requirement.iri
            elif row.status == "narrower":
                narrower = URIRef(row.held.iri)
                assert narrower in held and req in set(g.transitive_objects(narrower, SKOS.broader))
            elif row.status == "prerequisite":
                assert req in known and req not in held
            else:
                assert row.status == "missing" and req not in known and row.held is None
                learn = URIRef(row.learn.iri)
                assert learn == req or req in set(g.transitive_objects(learn, SKOS.broader))
                assert row.hours == (hours_of(kg, learn) if (learn, CG.effortHours, None) in g else None)
        # gap and path agree: each missing essential requirement is met by the step path learns for it
        missing = {r.requirement.iri: r for r in result.rows if r.essential and r.status == "missing"}
        if missing:
            steps = {s.skill.iri: s for s in learning_path(kg, None, target).steps}
            for iri, row in missing.items():
                step = steps[row.learn.iri]
                assert iri in {r.iri for r in step.required_for} and step.hours == (row.hours or 0)


def test_next_skills_on_the_bundled_data(kg):
    result = next_skills(kg)
    known = known_skills(kg, person_of(kg))
    open_postings = [p for p in kg.entities("posting") if not essential_of(kg, p) <= known]
    plans = {p: learning_path(kg, None, p) for p in open_postings}
    in_plans = {s.skill.iri for plan in plans.values() for s in plan.steps}
    assert {s.skill.iri for s in result.skills} == in_plans
    for row in result.skills:
        bundle = [URIRef(b.iri) for b in row.bundle]
        assert URIRef(row.skill.iri) in bundle and not set(bundle) & known
        assert row.hours == sum(hours_of(kg, b) for b in bundle)
    ratios = [(-s.unlocks_per_hour, -s.removed_per_hour, s.hours) for s in result.skills]
    assert ratios == sorted(ratios)


def test_next_skill_that_completes_a_posting_unlocks_it(tmp_path):
    # A person who holds everything the Red posting requires except Firebase.
    base = load()
    red = base.resolve("posting:red-flutter-developer")
    firebase = base.resolve("skill:firebase")
    others = sorted(essential_of(base, red) - {firebase})
    body = "person:almost a cg:Person ; rdfs:label \"Almost\" ; cg:hasSkill " + ", ".join(
        f"<{s}>" for s in others) + " ."
    kg = load(write(tmp_path, "almost.ttl", body))
    result = next_skills(kg, person="person:almost")
    plan = learning_path(kg, "person:almost", red)
    check_plan(kg, plan)
    (step,) = plan.steps  # Firebase, or the cheapest of its narrower skills
    firebase_kinds = set(kg.graph.transitive_subjects(SKOS.broader, firebase))
    assert URIRef(step.skill.iri) in firebase_kinds
    rows = {s.skill.iri: s for s in result.skills}
    assert "posting:red-flutter-developer" in {u.curie for u in rows[step.skill.iri].unlocks}
    assert rows[step.skill.iri].hours == step.hours
    assert result.skills[0].unlocks, "the top skill unlocks a posting"


def test_demand_counts_postings(kg):
    result = demand(kg)
    g = kg.graph
    postings = kg.entities("posting")
    assert result.postings == len(postings)
    for row in result.skills:
        skill = URIRef(row.skill.iri)
        expected = {str(p) for p in postings if (p, CG.requiresSkill, skill) in g}
        assert {p.iri for p in row.postings} == expected
        assert 0.0 <= row.betweenness <= 1.0
    counts = [(-len(r.postings), -r.betweenness) for r in result.skills]
    assert counts == sorted(counts)
    required = {str(s) for p in postings for s in g.objects(p, CG.requiresSkill)}
    members = [r.iri for c in result.communities for r in c]
    assert sorted(members) == sorted(required), "the communities partition the required skills"
    assert result.as_dict() == demand(kg).as_dict(), "Louvain with a fixed seed is deterministic"


def test_explain_follows_real_triples(kg):
    conn = explain(kg, "Seed author", "MTProto Gateway")
    assert conn.hops[0].start.curie == "person:seed-author"
    assert conn.hops[-1].end.curie == "component:mtproto-gateway"
    for hop in conn.hops:
        prefix, local = hop.relation.split(":")
        predicate = URIRef(str(PREFIXES[prefix]) + local)
        s, o = (hop.start, hop.end) if hop.forward else (hop.end, hop.start)
        assert (URIRef(s.iri), predicate, URIRef(o.iri)) in kg.graph
    # no shorter chain exists: check with a plain BFS over the triples between entities
    graph = nx.Graph()
    for s, p, o in kg.graph.triples((None, None, None)):
        if isinstance(o, URIRef) and p != URIRef(str(PREFIXES["rdf"]) + "type"):
            graph.add_edge(s, o)
    assert len(conn.hops) <= nx.shortest_path_length(
        graph, kg.resolve("Seed author"), kg.resolve("MTProto Gateway")) + 1
    assert len(conn.hops) == 3


def test_explain_edge_cases(tmp_path, kg):
    assert explain(kg, "Dart", "Dart").hops == ()
    lone = write(tmp_path, "lone.ttl", 'skill:lonely a cg:Skill ; skos:prefLabel "Lonely" .')
    with pytest.raises(NoPathError):
        explain(load(lone), "Lonely", "Dart")


def test_targets_without_essential_requirements_rank_last(kg, tmp_path):
    from careergraph.graph import load

    extra = tmp_path / "empty.ttl"
    extra.write_text("""@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/careergraph/role/aaa-empty> a cg:Role ; rdfs:label "AAA role with no skills" .
<https://w3id.org/careergraph/role/aab-optional> a cg:Role ; rdfs:label "AAB role with no skills either" .
""", encoding="utf-8")
    mine = load(extra)
    full = rank(mine, "roles")
    assert [r.target.curie for r in full.rows[-2:]] == ["role:aaa-empty", "role:aab-optional"]
    assert all(r.hours == 0 and r.required == 0 and not r.approximate for r in full.rows[-2:])
    assert [r.target.curie for r in full.rows[:-2]] == [r.target.curie for r in rank(kg, "roles").rows]
    head = rank(mine, "roles", limit=3)  # the limit takes rows with requirements first
    assert [r.target.curie for r in head.rows] == [r.target.curie for r in full.rows[:3]]


ESCO_LIKE = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
<https://w3id.org/careergraph/role/aaa-occupation> a cg:Role ; rdfs:label "AAA occupation" ;
    cg:needsSkill <https://w3id.org/careergraph/skill/zz-unpriced-1>,
                  <https://w3id.org/careergraph/skill/zz-unpriced-2> .
<https://w3id.org/careergraph/posting/zz-ghost-1> a cg:JobPosting ; schema:title "Ghost one" ;
    cg:requiresSkill <https://w3id.org/careergraph/skill/zz-unpriced-1> .
<https://w3id.org/careergraph/posting/zz-ghost-2> a cg:JobPosting ; schema:title "Ghost two" ;
    cg:requiresSkill <https://w3id.org/careergraph/skill/zz-unpriced-1> .
<https://w3id.org/careergraph/skill/zz-unpriced-1> a cg:Skill ; skos:prefLabel "Unpriced skill one" .
<https://w3id.org/careergraph/skill/zz-unpriced-2> a cg:Skill ; skos:prefLabel "Unpriced skill two" .
"""


def test_next_puts_bundles_of_unknown_hours_after_priced_ones_on_both_engines(tmp_path):
    from careergraph.graph import load

    extra = tmp_path / "esco-like.ttl"
    extra.write_text(ESCO_LIKE, encoding="utf-8")
    mine = load(extra)
    plans, index = next_skills(mine, method="plans"), next_skills(mine, method="index")
    for result in (plans, index):
        (row,) = [r for r in result.skills if r.skill.curie == "skill:zz-unpriced-1"]
        assert (row.hours, row.unpriced, row.unlock_count) == (0, 1, 2)
        assert result.skills[-1] == row, "its hours are unknown: after every priced bundle"
        assert all(r.unpriced == 0 and r.hours > 0 for r in result.skills[:-1])
    assert [(r.skill.curie, r.hours, r.unpriced, r.unlock_count) for r in plans.skills] == \
        [(r.skill.curie, r.hours, r.unpriced, r.unlock_count) for r in index.skills]


def test_roles_needing_unpriced_skills_are_not_ranked_as_zero_hours(kg, tmp_path):
    """An occupation whose skills have no effort hours (ESCO's, say) is not "0 h" away: it comes
    after every role the person can reach with priced skills, and the table says why."""
    from click.testing import CliRunner

    from careergraph.cli.main import cli
    from careergraph.graph import load

    extra = tmp_path / "esco-like.ttl"
    extra.write_text("""@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/careergraph/role/aaa-occupation> a cg:Role ; rdfs:label "AAA occupation" ;
    cg:needsSkill <https://w3id.org/careergraph/skill/zz-unpriced-1>,
                  <https://w3id.org/careergraph/skill/zz-unpriced-2> .
<https://w3id.org/careergraph/skill/zz-unpriced-1> a cg:Skill ; skos:prefLabel "Unpriced skill one" .
<https://w3id.org/careergraph/skill/zz-unpriced-2> a cg:Skill ; skos:prefLabel "Unpriced skill two" .
""", encoding="utf-8")
    mine = load(extra)
    rows = rank(mine, "roles").rows
    (occupation,) = [r for r in rows if r.target.curie == "role:aaa-occupation"]
    assert (occupation.hours, occupation.unpriced) == (0, 2)
    reachable = [r for r in rank(kg, "roles").rows if r.hours is not None and r.required]
    assert rows.index(occupation) == len(reachable), "after every role reachable with priced skills"
    assert all(r.unpriced == 0 for r in rows[:len(reachable)])
    result = CliRunner().invoke(cli, ["--data", str(extra), "rank", "roles"])
    assert result.exit_code == 0, result.output
    header, _, *lines = result.output.splitlines()
    assert "unpriced" in header.split()
    (line,) = [x for x in lines if "AAA occupation" in x]
    assert line.split()[:6] == [str(len(reachable) + 1), "AAA", "occupation", "0", "h", "2"]
    assert "no effort hours" in result.output
