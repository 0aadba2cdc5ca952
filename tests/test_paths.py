"""Learning paths on the bundled data and on small graphs: invariants, seed facts, errors."""

import time

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from careergraph.graph import load
from careergraph.graph.convert import (SkillModel, hierarchy_graph, knowledge_graph,
                                       prerequisite_graph, skill_model)
from careergraph.graph.errors import CycleError, UnknownEntityError, UsageError
from careergraph.graph.paths import learning_path, solve
from careergraph.ontology import CG

PREFIXES = """
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix person: <https://w3id.org/careergraph/person/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix role: <https://w3id.org/careergraph/role/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


# -- an independent reading of the rules, straight from the triples -----------------------
def hours_of(kg, skill):
    value = kg.graph.value(skill, CG.effortHours)
    return float(value) if value is not None else 0.0


def broader_star(kg, skill):
    return set(kg.graph.transitive_objects(skill, SKOS.broader))


def prerequisites_before(kg, skill):
    """Own prerequisites and those inherited from broader skills, minus the skill's own kinds."""
    up = broader_star(kg, skill)
    return {p for b in up for p in kg.graph.objects(b, CG.prerequisite)} - up


def known_skills(kg, person):
    g = kg.graph
    held = set(g.objects(person, CG.hasSkill))
    lacks = set(g.objects(person, CG.lacksSkill)) - held
    known, todo = set(held), list(held)
    while todo:
        s = todo.pop()
        for b in g.objects(s, SKOS.broader):
            if b not in known:
                known.add(b)
                todo.append(b)
        for p in g.objects(s, CG.prerequisite):
            if p not in known and p not in lacks:
                known.add(p)
                todo.append(p)
    return known


def essential_of(kg, target):
    g = kg.graph
    return set(g.objects(target, CG.requiresSkill)) | set(g.objects(target, CG.needsSkill))


def check_plan(kg, plan):
    """The invariants every learning path satisfies."""
    person, target = URIRef(plan.person.iri), URIRef(plan.target.iri)
    known = known_skills(kg, person)
    steps = [URIRef(s.skill.iri) for s in plan.steps]
    assert [s.position for s in plan.steps] == list(range(1, len(steps) + 1))
    assert len(set(steps)) == len(steps), "a skill is learned twice"
    assert not set(steps) & known, "a held skill is learned again"
    covered = set(known)
    for skill in steps:
        missing = prerequisites_before(kg, skill) - covered
        assert not missing, f"{skill} is learned before its prerequisites {missing}"
        covered |= broader_star(kg, skill)
    for requirement in essential_of(kg, target):
        assert requirement in covered, f"{requirement} is still not met"
    for step in plan.steps:
        assert step.hours == hours_of(kg, URIRef(step.skill.iri))
    assert plan.total_hours == pytest.approx(sum(s.hours for s in plan.steps))
    assert plan.weeks == pytest.approx(plan.total_hours / plan.hours_per_week)
    assert {m.requirement.iri for m in plan.met if m.essential} == {
        str(r) for r in essential_of(kg, target) if r in known}
    assert {m.iri for m in plan.missing} == {str(r) for r in essential_of(kg, target) if r not in known}
    if not plan.approximate:
        assert plan.lower_bound == plan.total_hours
    else:
        assert plan.lower_bound <= plan.total_hours


def _targets():
    kg = load()
    return [kg.curie(t) for t in kg.entities("posting") + kg.entities("role")]


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("optional", [False, True])
def test_invariants_on_every_bundled_target(kg, target, optional):
    plan = learning_path(kg, None, target, optional=optional)
    check_plan(kg, plan)
    if optional:
        for o in plan.optional:
            assert o.met or any(o.skill in s.optional_for for s in plan.steps)


def test_effective_plan_closes_the_gaps_the_seed_names(kg):
    # The seed's words for the Effective posting's skills and the author's gaps.
    named = ["Dart VM", "isolates", "Event loop", "UI update mechanisms", "Deep Flutter internals",
             "Low-level profiling"]
    gaps = {kg.resolve(n, kind="skill") for n in named}
    plan = learning_path(kg, None, "Senior Flutter Developer at Effective")
    check_plan(kg, plan)
    person = URIRef(plan.person.iri)
    held = set(kg.graph.objects(person, CG.hasSkill))
    target = kg.resolve("Senior Flutter Developer at Effective")
    # Everything else the posting requires is held directly, so the plan is exactly the gaps.
    assert essential_of(kg, target) - gaps <= held
    assert {URIRef(s.skill.iri) for s in plan.steps} == gaps
    assert plan.total_hours == sum(hours_of(kg, s) for s in gaps)
    assert plan.weeks == pytest.approx(plan.total_hours / 10)
    assert not plan.approximate
    assert all(s.required_for for s in plan.steps)
    by_skill = {s.skill.curie: s for s in plan.steps}
    assert {r.curie for r in by_skill["skill:flutter-rendering-pipeline"].prerequisite_of} == {
        "skill:flutter-internals", "skill:low-level-profiling"}


def test_tochka_is_met_some_of_it_through_narrower_skills(kg):
    target = kg.resolve("posting:tochka-znaniy-senior-flutter-developer")
    plan = learning_path(kg, None, target)
    check_plan(kg, plan)
    person = URIRef(plan.person.iri)
    g = kg.graph
    git_workflows, gitflow = kg.resolve("skill:git-workflows"), kg.resolve("skill:gitflow")
    assert (person, CG.hasSkill, gitflow) in g and (gitflow, SKOS.broader, git_workflows) in g
    assert (person, CG.hasSkill, git_workflows) not in g
    assert plan.steps == () and plan.total_hours == 0 and plan.missing == ()
    via = {m.requirement.curie: (m.via, m.held.curie) for m in plan.met}
    assert via["skill:git-workflows"] == ("narrower", "skill:gitflow")
    for m in plan.met:
        if m.via == "direct":
            assert (person, CG.hasSkill, URIRef(m.requirement.iri)) in g
    assert len(plan.met) == len(essential_of(kg, target))


def test_or_choice_takes_the_cheapest_and_prices_the_others(tmp_path):
    data = write(tmp_path, "newbie.ttl", """
person:newbie a cg:Person ; rdfs:label "Newbie" ; cg:hasSkill skill:dart .
""")
    kg = load(data)
    g = kg.graph
    plan = learning_path(kg, "person:newbie", "Flutter Developer (Middle) at A3F Group")
    check_plan(kg, plan)
    state = kg.resolve("skill:state-management")
    assert g.value(state, CG.effortHours) is None  # a pure OR choice in the data
    options = {s: hours_of(kg, s) for s in g.subjects(SKOS.broader, state)}
    chosen = [s for s in plan.steps if any(r.curie == "skill:state-management" for r in s.required_for)]
    assert len(chosen) == 1
    assert hours_of(kg, URIRef(chosen[0].skill.iri)) == min(options.values())
    alternatives = {a.skill.iri: a for a in chosen[0].alternatives}
    assert set(alternatives) == {str(s) for s in options} - {chosen[0].skill.iri}
    for iri, alt in alternatives.items():
        # every option needs Flutter first, so swapping one changes only its own hours
        assert alt.plan_hours == plan.total_hours - chosen[0].hours + options[URIRef(iri)]
        assert alt.requirement.curie == "skill:state-management"
    # the store-publishing prerequisite is a broad skill without hours: met by its cheapest narrower skill
    cross = kg.resolve("skill:cross-platform-development")
    narrower = {s: hours_of(kg, s) for s in g.subjects(SKOS.broader, cross)}
    picked = [URIRef(s.skill.iri) for s in plan.steps if URIRef(s.skill.iri) in narrower]
    assert len(picked) == 1 and narrower[picked[0]] == min(narrower.values())


def test_optional_skills_report_their_extra_cost(kg):
    target = "posting:i-teco-mobile-flutter-developer"
    preferred = set(kg.graph.objects(kg.resolve(target), CG.prefersSkill))
    assert preferred
    plan = learning_path(kg, None, target)
    with_optional = learning_path(kg, None, target, optional=True)
    for o in plan.optional:
        assert URIRef(o.skill.iri) in preferred and not o.included
    extra = sum(o.extra_hours for o in plan.optional)
    assert with_optional.total_hours == pytest.approx(plan.total_hours + extra)
    assert all(o.included for o in with_optional.optional)
    role_plan = learning_path(kg, None, "role:flutter-developer")
    assert role_plan.optional == () and role_plan.target_kind == "role"


def test_hours_per_week(kg):
    plan = learning_path(kg, None, "posting:effective-senior-flutter-developer", hours_per_week=4)
    assert plan.weeks == pytest.approx(plan.total_hours / 4)
    with pytest.raises(UsageError):
        learning_path(kg, None, "posting:effective-senior-flutter-developer", hours_per_week=0)


def test_person_default_and_errors(tmp_path, kg):
    people = kg.entities("person")
    assert len(people) == 1
    assert learning_path(kg, None, "role:flutter-developer").person.iri == str(people[0])
    other = write(tmp_path, "other.ttl", 'person:other a cg:Person ; rdfs:label "Other" .')
    with pytest.raises(UsageError, match="person:other.*person:seed-author|person:seed-author.*person:other"):
        learning_path(load(other), None, "role:flutter-developer")
    empty = write(tmp_path, "empty.ttl", """
posting:p a cg:JobPosting ; rdfs:label "P" ; cg:requiresSkill skill:x .
skill:x a cg:Skill ; skos:prefLabel "X" ; cg:effortHours 3 .
""")
    with pytest.raises(UsageError, match="no person"):
        learning_path(load(empty, bundled=False), None, "posting:p")
    with pytest.raises(UnknownEntityError) as err:
        learning_path(kg, None, "Senior Fluter Developer at Efective")
    assert any("Senior Flutter Developer at Effective" in s for s in err.value.suggestions)


def test_a_prerequisite_cycle_is_an_error(tmp_path):
    data = write(tmp_path, "cycle.ttl", """
skill:a a cg:Skill ; skos:prefLabel "A" ; cg:prerequisite skill:b ; cg:effortHours 1 .
skill:b a cg:Skill ; skos:prefLabel "B" ; cg:prerequisite skill:a ; cg:effortHours 1 .
""")
    with pytest.raises(CycleError):
        load(data)
    kg = load(data, check=False)  # the engine still refuses it on its own
    with pytest.raises(CycleError, match="skill:a -> skill:b -> skill:a"):
        learning_path(kg, None, "role:flutter-developer")


def test_a_cycle_through_the_hierarchy_is_an_error():
    # b is a kind of c, c needs a first, a needs b first: no order works.
    model = SkillModel.from_edges({"a": 1, "b": 1, "c": 1}, prerequisites=[("a", "b"), ("c", "a")],
                                  broader=[("b", "c")])
    with pytest.raises(CycleError, match="a -> b -> a|b -> a -> b"):
        solve(model, set(), ["a"])


# -- semantics on small models ---------------------------------------------------------------
def test_narrower_skills_inherit_the_broader_skills_prerequisites():
    model = SkillModel.from_edges({"git": 15, "codemagic": 6, "jenkins": 20},
                                  prerequisites=[("ci", "git")],
                                  broader=[("codemagic", "ci"), ("jenkins", "ci")])
    sol = solve(model, set(), ["ci"])
    assert sol.skills == {"codemagic", "git"} and sol.hours == 21
    assert solve(model, model.closure({"codemagic"}), ["git"]).skills == frozenset()


def test_lacked_skills_are_not_implied_by_prerequisites():
    model = SkillModel.from_edges({"a": 1, "b": 1}, prerequisites=[("a", "b")])
    assert "b" in model.closure({"a"})
    assert "b" not in model.closure({"a"}, lacks={"b"})
    assert solve(model, model.closure({"a"}, lacks={"b"}), ["b"]).hours == 1


def test_unpriced_skills_are_a_last_resort():
    model = SkillModel.from_edges({"bloc": 30}, broader=[("bloc", "state"), ("mobx", "state")])
    assert solve(model, set(), ["state"]).skills == {"bloc"}
    sol = solve(model, set(), ["mobx"])
    assert sol.skills == {"mobx"} and sol.hours == 0 and sol.unpriced == {"mobx"}


def test_budget_exhausted_gives_an_approximate_plan_with_a_lower_bound():
    # Ten requirements, each met by its own 3-hour skill or by one 10-hour skill that meets all:
    # the greedy first plan takes the cheap ones (30 h); the optimum is the shared skill (10 h).
    hours = {f"a{i}": 3 for i in range(10)} | {"x": 10}
    broader = [(f"a{i}", f"r{i}") for i in range(10)] + [("x", f"r{i}") for i in range(10)]
    model = SkillModel.from_edges(hours, broader=broader)
    needs = [f"r{i}" for i in range(10)]
    exact = solve(model, set(), needs)
    assert exact.exact and exact.hours == 10 and exact.skills == {"x"}
    cut = solve(model, set(), needs, exact_limit=3)
    assert not cut.exact
    assert cut.lower_bound <= exact.hours < cut.hours


def test_plan_is_deterministic_and_fast(kg):
    target = "role:devops-engineer"
    first = learning_path(kg, None, target).as_dict()
    start = time.perf_counter()
    second = learning_path(kg, None, target).as_dict()
    assert time.perf_counter() - start < 1.0
    assert first == second


# -- the networkx views ------------------------------------------------------------------------
def test_networkx_views(kg):
    import networkx as nx

    pre = prerequisite_graph(kg)
    assert nx.is_directed_acyclic_graph(pre)
    dart, flutter = kg.resolve("skill:dart"), kg.resolve("skill:flutter")
    assert pre.has_edge(dart, flutter)  # learn Dart before Flutter
    assert pre.nodes[flutter]["hours"] == hours_of(kg, flutter)
    tree = hierarchy_graph(kg)
    assert tree.has_edge(kg.resolve("skill:bloc"), kg.resolve("skill:state-management"))
    multi = knowledge_graph(kg)
    rels = {d["relation"] for *_, d in multi.edges(data=True)}
    assert "rdf:type" not in rels and "schema:url" not in rels
    assert {"cg:requiresSkill", "cg:hasSkill", "cg:staffedBy", "skos:broader"} <= rels
    assert all(isinstance(n, URIRef) and not str(n).startswith(str(CG._NS)) for n in multi)
    assert skill_model(kg) is skill_model(kg)  # built once
