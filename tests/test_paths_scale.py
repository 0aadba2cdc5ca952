"""Learning paths on larger synthetic graphs: the work budget bounds the search, the answer stays valid.

One model follows the benchmark generator's ESCO-like shape (abstract roots
without hours, priced groups, priced leaves inheriting their group's
prerequisites) and makes plans of hundreds of skills; a set-cover-like one is
too hard for the exact search, so its budget stops it. No wall-clock asserts:
the budget is counted in work units.
"""

import importlib.util
import random
from pathlib import Path

import pytest
from rdflib import URIRef

from careergraph.graph import load
from careergraph.graph.convert import SkillModel, held_skills, skill_model
from careergraph.graph.paths import EXACT_LIMIT, WORK_LIMIT, learning_path, schedule, solve

SPEC = importlib.util.spec_from_file_location(
    "generate", Path(__file__).parent.parent / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(generate)


def esco_like(seed=1, roots=8, groups=60, skills=2500, prerequisites=3500):
    """``(model, hours, prerequisites, broader)`` shaped like the benchmark's M scale, smaller."""
    rng = random.Random(seed)
    name = "s{:05d}".format
    parent, hours = {}, {}
    for i in range(roots, skills):
        parent[i] = rng.randrange(roots) if i < roots + groups else rng.randrange(roots, roots + groups)
        hours[name(i)] = round(rng.lognormvariate(3.0, 0.7), 1) + 2

    def root_of(i):
        while i in parent:
            i = parent[i]
        return i

    by_root: dict = {}
    for i in range(roots, skills):
        by_root.setdefault(root_of(i), []).append(i)
    learnable = list(range(roots, skills))
    edges = set()
    while len(edges) < prerequisites:  # to a skill up to 200 places lower, mostly in the same subtree
        i = rng.choice(learnable[20:])
        pool = by_root[root_of(i)] if rng.random() < 0.7 else learnable
        at = pool.index(i) if pool is not learnable else i - roots
        if at > 0:
            j = pool[at - 1 - rng.randrange(min(200, at))]
            if parent.get(i) != j:
                edges.add((name(i), name(j)))
    broader = [(name(i), name(p)) for i, p in parent.items()]
    model = SkillModel.from_edges(hours, prerequisites=sorted(edges), broader=broader)
    return model, hours, edges, broader


MODEL, HOURS, PREREQUISITES, BROADER = esco_like()
LEARNABLE = sorted(HOURS)


def situation(seed):
    rng = random.Random(seed)
    held = rng.sample(LEARNABLE, 15)
    needs = sorted(set(rng.sample(LEARNABLE, 40)))
    return MODEL.closure(held), needs


# -- an independent reading of the rules, from the edge lists -----------------------------
def up_of(skill):
    up, todo = {skill}, [skill]
    while todo:
        s = todo.pop()
        for n, b in BROADER:
            if n == s and b not in up:
                up.add(b)
                todo.append(b)
    return up


PRE = {}
for s, p in PREREQUISITES:
    PRE.setdefault(s, set()).add(p)


def check_plan(sol, known, needs, hours, pre, up_of):
    """Every need met, every learned skill's (inherited) prerequisites met in some order.

    ``hours``, ``pre`` (skill -> prerequisites) and ``up_of`` (skill -> itself and its
    broader skills) are the instance's own data, read independently of the engine."""
    plan = set(sol.skills)
    assert not plan & set(known), "a known skill is learned again"
    ups = {s: up_of(s) for s in plan}
    covered = set(known).union(*ups.values())
    assert all(r in covered for r in needs), "a requirement is left unmet"
    needs_of = {s: {p for b in ups[s] for p in pre.get(b, ())} - ups[s] for s in plan}
    done, left = set(known), set(plan)
    while left:
        ready = {s for s in left if needs_of[s] <= done}
        assert ready, f"no learning order for {sorted(left)[:5]}"
        for s in ready:
            done |= ups[s]
        left -= ready
    assert sol.hours == pytest.approx(sum(hours[s] for s in plan))
    assert sol.lower_bound <= sol.hours
    if sol.exact:
        assert sol.lower_bound == sol.hours


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_plans_are_valid(seed):
    known, needs = situation(seed)
    sol = solve(MODEL, known, needs)
    check_plan(sol, known, needs, HOURS, PRE, up_of)
    assert len(sol.skills) > 50, "the instance should make a large plan"
    assert sol.nodes <= EXACT_LIMIT


def set_cover(seed=1, requirements=150, shared=30, per_shared=15):
    """A hard instance: each requirement met by its own cheap skill (with a prerequisite
    chain) or by one of a few shared skills that meet many requirements at once."""
    rng = random.Random(seed)
    hours = {"base": 5.0}
    prerequisites, broader = [], []
    for i in range(requirements):
        hours[f"a{i}"], hours[f"c{i}"] = 3.0 + i % 5, 2.0
        prerequisites += [(f"a{i}", f"c{i}"), (f"c{i}", "base")]
        broader.append((f"a{i}", f"r{i}"))
    for k in range(shared):
        hours[f"x{k}"] = 10.0 + k % 3
        prerequisites.append((f"x{k}", "base"))
        broader += [(f"x{k}", f"r{i}") for i in rng.sample(range(requirements), per_shared)]
    pre: dict = {}
    for a, b in prerequisites:
        pre.setdefault(a, set()).add(b)
    parents: dict = {}
    for a, b in broader:
        parents.setdefault(a, set()).add(b)

    def up(skill):
        return {skill} | parents.get(skill, set())  # one level of hierarchy here

    model = SkillModel.from_edges(hours, prerequisites=prerequisites, broader=broader)
    return model, hours, pre, up, [f"r{i}" for i in range(requirements)]


def forced(model, skill):
    """``skill`` and every skill it forces: the single options of its needs, transitively."""
    found, todo = {skill}, [skill]
    while todo:
        for need in model.needs(todo.pop()):
            options = model.options(need)
            if len(options) == 1 and options[0] not in found:
                found.add(options[0])
                todo.append(options[0])
    return found


def work_of_one_node(model, skills):
    """The most one search node can add to the work count: propagate every skill with all
    its needs, check the order of every skill, and price every option of every choice
    (twice for the bound, once more for its child's bound and once to order it), each
    price walking at most the option's forced skills and, per open need, its options'."""
    walk = {o: len(forced(model, o)) + 1 for s in skills for o in model.options(s)}
    price = {o: walk[o] + sum(walk.get(t, len(forced(model, t)) + 1) for q in model.needs(o)
                              if len(model.options(q)) > 1 for t in model.options(q)) for o in walk}
    pricing = 4 * sum(price[o] for s in skills for o in model.options(s))
    return 3 * len(skills) + sum(len(model.needs(s)) for s in skills) + pricing


def test_the_work_budget_stops_a_hard_search():
    model, hours, pre, up, needs = set_cover()
    skills = set(hours) | set(needs)
    first = solve(model, set(), needs, exact_limit=1)  # stops as soon as it has a plan
    limit = first.work + 5_000
    sol = solve(model, set(), needs, work_limit=limit)
    check_plan(sol, set(), needs, hours, pre, up)
    assert not sol.exact, "the instance should be too hard for the budget"
    assert sol.work <= limit + work_of_one_node(model, skills)
    assert sol.nodes < EXACT_LIMIT, "the work budget, not the node budget, stopped it"
    # a trivially valid lower bound: the cheapest way to meet any single requirement
    assert sol.lower_bound >= min(hours[o] for o in model.options("r0"))
    # the default budget stops it too, right after its first plan at the latest
    default = solve(model, set(), needs)
    assert default.work <= max(first.work, WORK_LIMIT + work_of_one_node(model, skills))
    assert not default.exact and default.lower_bound <= sol.hours


@pytest.mark.parametrize("seed", [1, 2])
def test_a_smaller_budget_brackets_the_bigger_budgets_answer(seed):
    model, hours, pre, up, needs = set_cover(seed)
    skills = set(hours) | set(needs)
    first = solve(model, set(), needs, exact_limit=1)  # stops as soon as it has a plan
    full = solve(model, set(), needs, work_limit=first.work + 20_000)
    for limit in (0, first.work + 2_000):
        cut = solve(model, set(), needs, work_limit=limit)
        check_plan(cut, set(), needs, hours, pre, up)
        # the first plan is always completed; past it the search stops within one node
        assert cut.work <= max(first.work, limit + work_of_one_node(model, skills))
        assert cut.work < full.work
        # the same depth-first search, stopped earlier: its best plan is no better,
        # and its lower bound holds for the optimum, which the bigger search's plan bounds
        assert cut.lower_bound <= full.hours <= cut.hours


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    generate.generate("T", 5, out)
    return load(out / "T.nt", bundled=False)


def test_learning_path_on_generated_data_is_valid(tiny):
    person = tiny.entities("person")[0]
    for target in tiny.entities("posting")[:5] + tiny.entities("role")[:3]:
        plan = learning_path(tiny, person, target, optional=True)
        assert plan.total_hours == pytest.approx(sum(s.hours for s in plan.steps))
        assert plan.lower_bound <= plan.total_hours
        if not plan.approximate:
            assert plan.lower_bound == plan.total_hours
        order = [s.skill.iri for s in plan.steps]
        assert len(order) == len(set(order))


def test_a_spent_budget_still_gives_a_valid_plan_without_alternatives(tiny):
    """The budget is shared by the whole call: with none, the greedy plan comes back
    (with its lower bound) and no alternative is priced."""
    person = tiny.entities("person")[0]
    checked = 0
    for target in tiny.entities("posting"):
        full = learning_path(tiny, person, target, optional=True)
        if not any(s.alternatives for s in full.steps):
            continue
        cut = learning_path(tiny, person, target, optional=True, work_limit=0)
        assert all(not s.alternatives for s in cut.steps)
        assert cut.lower_bound <= full.total_hours <= cut.total_hours
        assert [r.iri for r in cut.missing] == [r.iri for r in full.missing]
        assert [o.skill for o in cut.optional] == [o.skill for o in full.optional]
        order = [URIRef(s.skill.iri) for s in cut.steps]
        assert not schedule(skill_model(tiny), held_skills(tiny, person), order)[2]
        checked += 1
        if checked == 3:
            break
    assert checked, "some plan on the generated data should list alternatives"
