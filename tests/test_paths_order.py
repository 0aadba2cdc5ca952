"""The search's fast orderability check agrees with the scheduler it stands in for."""

from hypothesis import given, settings
from hypothesis import strategies as st

from careergraph.graph.convert import SkillModel
from careergraph.graph.paths import _stuck, schedule, unorderable

N = 12


@st.composite
def random_models(draw):
    # prerequisites go from a higher to a lower number and broader links likewise: both acyclic
    pairs = st.tuples(st.integers(1, N - 1), st.integers(0, N - 2)).filter(lambda p: p[1] < p[0])
    prerequisites = draw(st.lists(pairs, max_size=20, unique=True))
    broader = draw(st.lists(pairs, max_size=8, unique=True))
    return SkillModel.from_edges({f"s{i}": 1.0 for i in range(N)},
                                 prerequisites=[(f"s{a}", f"s{b}") for a, b in prerequisites],
                                 broader=[(f"s{a}", f"s{b}") for a, b in broader])


@st.composite
def models_and_plans(draw):
    model = draw(random_models())
    plan = draw(st.sets(st.integers(0, N - 1), max_size=N))
    known = draw(st.sets(st.integers(0, N - 1), max_size=4)) - plan
    return model, {f"s{i}" for i in known}, {f"s{i}" for i in plan}


@settings(max_examples=300, deadline=None)
@given(models_and_plans())
def test_unorderable_matches_schedule(case):
    model, known, plan = case
    assert unorderable(model, known, plan) == schedule(model, known, plan)[2]


@st.composite
def growing_plans(draw):
    model = draw(random_models())
    bigger = draw(st.sets(st.integers(0, N - 1), max_size=N))
    smaller = draw(st.sets(st.sampled_from(sorted(bigger)), max_size=N)) if bigger else set()
    known = draw(st.sets(st.integers(0, N - 1), max_size=4)) - bigger
    name = "s{}".format
    return model, {name(i) for i in known}, {name(i) for i in smaller}, {name(i) for i in bigger}


@settings(max_examples=300, deadline=None)
@given(growing_plans())
def test_incremental_orderability_check_matches_the_scheduler(case):
    """What the search carries from a smaller plan to a bigger one gives the scheduler's answer."""
    model, known, smaller, bigger = case
    unmet = lambda s: sorted((q for q in model.needs(s) if q not in known), key=str)  # noqa: E731
    _, done, cover = _stuck(frozenset(smaller), unmet, model.up)
    assert not schedule(model, known, done)[2], "the part reported orderable is orderable"
    stuck, done2, _ = _stuck(frozenset(bigger), unmet, model.up, done, cover)
    assert stuck == schedule(model, known, bigger)[2]
    assert done <= done2
    assert set(done2) == set(schedule(model, known, bigger)[0])
