"""The search's fast orderability check agrees with the scheduler it stands in for."""

from hypothesis import given, settings
from hypothesis import strategies as st

from careergraph.graph.convert import SkillModel
from careergraph.graph.paths import schedule, unorderable

N = 12


@st.composite
def models_and_plans(draw):
    # prerequisites go from a higher to a lower number and broader links likewise: both acyclic
    pairs = st.tuples(st.integers(1, N - 1), st.integers(0, N - 2)).filter(lambda p: p[1] < p[0])
    prerequisites = draw(st.lists(pairs, max_size=20, unique=True))
    broader = draw(st.lists(pairs, max_size=8, unique=True))
    model = SkillModel.from_edges({f"s{i}": 1.0 for i in range(N)},
                                  prerequisites=[(f"s{a}", f"s{b}") for a, b in prerequisites],
                                  broader=[(f"s{a}", f"s{b}") for a, b in broader])
    plan = draw(st.sets(st.integers(0, N - 1), max_size=N))
    known = draw(st.sets(st.integers(0, N - 1), max_size=4)) - plan
    return model, {f"s{i}" for i in known}, {f"s{i}" for i in plan}


@settings(max_examples=300, deadline=None)
@given(models_and_plans())
def test_unorderable_matches_schedule(case):
    model, known, plan = case
    assert unorderable(model, known, plan) == schedule(model, known, plan)[2]
