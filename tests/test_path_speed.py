"""What makes one learning path fast at scale, checked for correctness (no timing asserts).

* The cost-splitting lower bound never exceeds the brute-force optimum (it
  ignores the learning order, so it must stay a bound when the order forces
  extra skills).
* Independent OR choices are proven optimal together, without searching
  their combinations: the node count grows with the number of choices, not
  with the product of their options.
* A plan the relaxation gets wrong because of the learning order is repaired
  and the optimum still found.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from careergraph.graph.convert import UNPRICED_WEIGHT, SkillModel
from careergraph.graph.errors import CycleError, NoPathError
from careergraph.graph.paths import _Search, _State, solve
from test_paths_properties import _setup, instances


def _root_bound(model, known, needs):
    search = _Search(model, known)
    root = search.propagate(_State(frozenset(), frozenset(), 0.0, ()), agenda=set(needs))
    return root.cost + (search.bound(root)[0] if root.open else 0.0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_root_bound_never_exceeds_the_optimum(instance):
    model, brute, held, lacks, needs = _setup(instance)
    known = model.closure(held, lacks)
    best = brute.optimum(needs)
    if best is None:
        return
    unpriced, hours = best
    assert _root_bound(model, known, needs) <= unpriced * UNPRICED_WEIGHT + hours + 1e-6


def independent(choices=12, options=4):
    """``choices`` broad requirements, each met by one of ``options`` narrower skills that
    need their own prerequisite: nothing is shared, so each choice can be made alone."""
    hours, prerequisites, broader = {}, [], []
    for c in range(choices):
        for k in range(options):
            leaf, pre = f"c{c}o{k}", f"c{c}p{k}"
            hours[leaf] = 5 + (7 * c + 3 * k) % 11
            hours[pre] = 1 + (5 * c + 11 * k) % 13
            prerequisites.append((leaf, pre))
            broader.append((leaf, f"r{c}"))
    return hours, prerequisites, broader, [f"r{c}" for c in range(choices)]


def test_independent_choices_are_solved_without_search_over_their_combinations():
    hours, prerequisites, broader, needs = independent()
    model = SkillModel.from_edges(hours, prerequisites=prerequisites, broader=broader)
    sol = solve(model, set(), needs)
    # each requirement's own optimum, from the data: the cheapest leaf with its prerequisite
    cheapest = {r: min(hours[f"c{c}o{k}"] + hours[f"c{c}p{k}"] for k in range(4))
                for c, r in enumerate(needs)}
    assert sol.exact
    assert sol.hours == sum(cheapest.values())
    assert sol.lower_bound == sol.hours
    # one node per choice on the way down, and the bound proves the first plan optimal:
    # no search over the 4**12 combinations
    assert sol.nodes <= len(needs) + 1


def test_a_shared_prerequisite_is_paid_once_and_the_search_finds_the_sharing():
    # Two requirements; each has an option of its own (5 h) and one (1.5 h) that needs the
    # same 6-hour prerequisite: alone the own option wins (5 < 7.5), together the shared
    # ones do (1.5 + 1.5 + 6 = 9 < 10).
    hours = {"a1": 5, "a2": 1.5, "b1": 5, "b2": 1.5, "shared": 6}
    model = SkillModel.from_edges(hours, prerequisites=[("a2", "shared"), ("b2", "shared")],
                                  broader=[("a1", "ra"), ("a2", "ra"), ("b1", "rb"), ("b2", "rb")])
    sol = solve(model, set(), ["ra", "rb"])
    assert sol.exact and sol.skills == {"a2", "b2", "shared"} and sol.hours == 9
    # every valid plan by enumeration: the optimum is the same
    plans = [set(p) for k in range(1, 6) for p in itertools.combinations(sorted(hours), k)
             if ({"a1", "a2"} & set(p)) and ({"b1", "b2"} & set(p))
             and (("shared" in p) or not ({"a2", "b2"} & set(p)))]
    assert min(sum(hours[s] for s in p) for p in plans) == sol.hours


def test_an_option_that_cannot_come_first_is_replaced():
    # y is required and needs the broad skill g first. g's cheap option a needs z, which needs
    # y: a cannot be learned before y, so the cheap relaxation {y, a, z} has no order.
    # The other option b (12 h) has no prerequisites: the optimum is {y, b}.
    hours = {"y": 10, "a": 1, "z": 1, "b": 12}
    model = SkillModel.from_edges(hours, prerequisites=[("y", "g"), ("a", "z"), ("z", "y")],
                                  broader=[("a", "g"), ("b", "g")])
    sol = solve(model, set(), ["y"])
    assert sol.exact and sol.skills == {"y", "b"} and sol.hours == 22
    # the relaxation's bound is below it, and the answer is still proven
    assert _root_bound(model, set(), ["y"]) <= sol.hours


def test_no_option_can_come_first_is_an_error():
    hours = {"y": 10, "a": 1, "z": 1}
    model = SkillModel.from_edges(hours, prerequisites=[("y", "g"), ("a", "z"), ("z", "y")],
                                  broader=[("a", "g")])
    with pytest.raises((CycleError, NoPathError)):
        solve(model, set(), ["y"])
