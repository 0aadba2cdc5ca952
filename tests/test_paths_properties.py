"""Property tests: the learning-path engine against a brute-force optimum on random AND/OR graphs.

The brute force below is written from the rules, not from the engine: it
enumerates every set of learnable skills, keeps the valid ones and takes the
cheapest (fewest unpriced skills first, then fewest hours).

Rules (see SkillModel and learning_path):
* known = the held skills, closed under skos:broader (holding a narrower skill
  meets the broader one) and under prerequisites (except explicitly lacked skills);
* a skill may be learned when it has hours, or when neither it nor any skill
  below it has hours (then it is unpriced and counts 0 hours);
* a skill is met when known or when it is a learned skill or above one;
* before learning p, every prerequisite of p or of a skill above p must be met,
  except the skills at or above p themselves; and some order must satisfy that.
"""

from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careergraph.graph.convert import SkillModel
from careergraph.graph.errors import CycleError, NoPathError
from careergraph.graph.paths import order_plan, solve


@st.composite
def instances(draw, max_skills=8):
    n = draw(st.integers(3, max_skills))
    skills = [f"s{i}" for i in range(n)]
    hours = {}
    for s in skills:
        h = draw(st.integers(-4, 20))
        if h > 0:
            hours[s] = h
    # Two independent random orders keep each relation acyclic on its own while
    # letting them interleave (so inherited prerequisites can point anywhere).
    pre_order = draw(st.permutations(skills))
    broad_order = draw(st.permutations(skills))
    prerequisites = [(a, b) for i, a in enumerate(pre_order) for b in pre_order[:i]
                     if draw(st.integers(0, 3)) == 0]
    broader = [(a, b) for i, a in enumerate(broad_order) for b in broad_order[:i]
               if draw(st.integers(0, 2)) == 0]
    held = draw(st.sets(st.sampled_from(skills), max_size=3))
    lacks = draw(st.sets(st.sampled_from(skills), max_size=2))
    needs = draw(st.sets(st.sampled_from(skills), min_size=1, max_size=3))
    broad = sorted({b for _, b in broader})
    if broad:  # requirements on broad skills are where the OR choices are
        needs |= draw(st.sets(st.sampled_from(broad), max_size=2))
    return hours, prerequisites, broader, held, lacks, needs


# -- the independent brute force ------------------------------------------------------------
def _reach(start, edges):
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Brute:
    def __init__(self, hours, prerequisites, broader, held, lacks):
        self.skills = sorted({*hours, *(x for e in prerequisites + broader for x in e), *held, *lacks})
        self.hours = hours
        self.pre, self.up_edges, self.down_edges = {}, {}, {}
        for a, b in prerequisites:
            self.pre.setdefault(a, set()).add(b)
        for a, b in broader:
            self.up_edges.setdefault(a, set()).add(b)
            self.down_edges.setdefault(b, set()).add(a)
        self.up = {s: _reach(s, self.up_edges) for s in self.skills}
        self.down = {s: _reach(s, self.down_edges) for s in self.skills}
        # known: least fixpoint
        known = set(held)
        changed = True
        while changed:
            changed = False
            for s in list(known):
                for b in self.up_edges.get(s, ()):
                    if b not in known:
                        known.add(b)
                        changed = True
                for p in self.pre.get(s, ()):
                    if p not in known and (p not in lacks or p in held):
                        known.add(p)
                        changed = True
        self.known = known

    def up_of(self, s):
        return self.up.get(s, {s})

    def needs_of(self, p):
        up = self.up_of(p)
        return {q for b in up for q in self.pre.get(b, ())} - up

    def learnable(self, s):
        return s in self.hours or not any(d in self.hours for d in self.down.get(s, {s}))

    def valid(self, plan, needs):
        covered = set(self.known)
        for p in plan:
            covered |= self.up_of(p)
        if any(r not in covered for r in needs):
            return False
        if any(q not in covered for p in plan for q in self.needs_of(p)):
            return False
        return self.orderable(plan)

    def orderable(self, plan):
        done = set(self.known)
        left = set(plan)
        while left:
            ready = [p for p in left if self.needs_of(p) <= done]
            if not ready:
                return False
            for p in ready:
                done |= self.up_of(p)
            left -= set(ready)
        return True

    def key(self, plan):
        return (sum(1 for p in plan if p not in self.hours), sum(self.hours.get(p, 0) for p in plan))

    def optimum(self, needs):
        universe = sorted(set(self.skills) | set(needs))
        candidates = [s for s in universe if s not in self.known and self.learnable(s)]
        best = None
        for k in range(len(candidates) + 1):
            for plan in combinations(candidates, k):
                if self.valid(plan, needs):
                    key = self.key(plan)
                    if best is None or key < best:
                        best = key
        return best


def _setup(instance):
    hours, prerequisites, broader, held, lacks, needs = instance
    model = SkillModel.from_edges(hours, prerequisites=prerequisites, broader=broader)
    brute = Brute(hours, prerequisites, broader, held, lacks)
    return model, brute, held, lacks, needs


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plan_is_optimal_and_valid(instance):
    model, brute, held, lacks, needs = _setup(instance)
    known = model.closure(held, lacks)
    assert set(known) == brute.known
    best = brute.optimum(needs)
    if best is None:
        with pytest.raises((CycleError, NoPathError)):
            solve(model, known, needs)
        return
    sol = solve(model, known, needs)
    assert sol.exact
    plan = sorted(sol.skills)
    assert brute.valid(plan, needs), "the engine's plan breaks a rule"
    assert brute.key(plan) == best
    assert (len(sol.unpriced), sol.hours) == best
    assert sol.lower_bound == sol.hours
    assert not set(plan) & brute.known, "a known skill is learned again"
    order, _ = order_plan(model, known, sol.skills)
    done = set(brute.known)
    for p in order:
        assert brute.needs_of(p) <= done, f"{p} comes before a prerequisite"
        done |= brute.up_of(p)


@settings(max_examples=200, deadline=None)
@given(instances(max_skills=9), st.integers(1, 3))
def test_budgeted_search_brackets_the_optimum(instance, limit):
    """Past its node budget the engine still returns a valid plan, and a true lower bound."""
    model, brute, held, lacks, needs = _setup(instance)
    known = model.closure(held, lacks)
    try:
        full = solve(model, known, needs)
    except (CycleError, NoPathError):
        return
    cut = solve(model, known, needs, exact_limit=limit)
    assert brute.valid(sorted(cut.skills), needs)
    assert cut.lower_bound <= full.hours <= cut.hours or len(cut.unpriced) > len(full.unpriced)
    if cut.exact:
        assert cut.hours == full.hours and cut.lower_bound == cut.hours


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12), st.data())
def test_learning_order_is_networkx_lexicographical_topological_sort(n, data):
    """Our heap-based order equals networkx's on random DAGs (repeated pairs and isolated nodes included)."""
    import networkx as nx

    from careergraph.graph.paths import learning_order

    names = [f"s{data.draw(st.integers(0, 30))}" for _ in range(n)]
    nodes = list(dict.fromkeys(names))
    rank = {v: i for i, v in enumerate(nodes)}
    pairs = [(a, b) for a, b in data.draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))))
             if rank[a] < rank[b]]
    key = data.draw(st.sampled_from([str, lambda v: v[-1]]))
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(pairs)
    assert learning_order(nodes, pairs, key=key) == list(nx.lexicographical_topological_sort(g, key=key))
