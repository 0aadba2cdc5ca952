"""The compiled index: its bounds bracket the brute-force optimum; its ranking is the plain one."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from rdflib import URIRef

from careergraph.graph import load
from careergraph.graph.convert import UNPRICED_WEIGHT, held_skills, requirements, resolve_person, skill_model
from careergraph.graph.index import build_index, compiled_index, extended_index, index_from, load_index
from careergraph.graph.paths import solve
from careergraph.graph.ranking import rank
from careergraph.graph.sparql import run_sparql
from careergraph.ontology import CG
from test_paths_properties import _setup, instances

ROOT = Path(__file__).parent.parent


# -- the bounds against the brute force --------------------------------------------------------
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
# s4 is known (held s3 needs it) but its prerequisite s1 is lacked and unpriced: learning s1 meets
# s5 for 0 hours, yet the plan of least weight learns s5 (1 h). No upper bound may claim 0 h there.
@example(instance=({"s5": 1}, [("s1", "s5"), ("s3", "s4"), ("s4", "s1"), ("s4", "s5")],
                   [("s1", "s5"), ("s4", "s3")], {"s3"}, {"s5", "s1"}, {"s4", "s5"}))
def test_bounds_bracket_the_optimum(instance):
    model, brute, held, lacks, needs = _setup(instance)
    known = model.closure(held, lacks)
    idx = index_from(model, {"target": sorted(needs)})
    b = idx.bounds(idx.mask(known), lacks)
    best = brute.optimum(needs)
    if best is None:  # no plan exists: the bounds must not claim one
        assert not b.exact[0] or math.isinf(b.upper[0])
        return
    unpriced, hours = best
    weight = UNPRICED_WEIGHT * unpriced + hours  # what the engine minimises: the order of rank()
    assert b.lower[0] <= hours + 1e-9, "the lower bound exceeds the optimum"
    assert b.lower_weight[0] <= weight + 1e-6, "the lower bound on weight exceeds the optimum's"
    assert weight <= b.upper_weight[0] + 1e-6, "no plan weighs as little as the upper bound claims"
    if b.exact[0]:
        assert b.lower_weight[0] == pytest.approx(weight), "bounds that meet must be the optimum"
        assert b.lower[0] == pytest.approx(hours) and b.upper[0] == pytest.approx(hours)
    if unpriced == 0:
        assert hours <= b.upper[0] + 1e-9, "no plan costs as little as the upper bound claims"
    assert b.met[0] == sum(1 for r in needs if r in known)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instances(max_skills=7), min_size=1, max_size=1), st.data())
def test_bounds_of_many_targets_match_one_at_a_time(instances_, data):
    """One index over several targets gives each the bounds it gets alone."""
    model, _, held, lacks, needs = _setup(instances_[0])
    known = model.closure(held, lacks)
    skills = sorted({*model.hours, *model.broader, *model.narrower, *needs})
    targets = {f"t{i}": data.draw(st.sets(st.sampled_from(skills), min_size=1, max_size=4))
               for i in range(4)}
    together = index_from(model, targets)
    b = together.bounds(together.mask(known), lacks)
    for i, name in enumerate(together.targets):
        alone = index_from(model, {name: targets[name]})
        a = alone.bounds(alone.mask(known), lacks)
        assert (b.lower[i], b.upper[i], b.exact[i]) == (a.lower[0], a.upper[0], a.exact[0])
        assert (b.lower_weight[i], b.upper_weight[i]) == (a.lower_weight[0], a.upper_weight[0])


# -- targets added to an index against the index built with them ------------------------------
def _same_index(got, want):
    assert list(got.targets) == list(want.targets) and list(got.kinds) == list(want.kinds)
    assert list(got.skills) == list(want.skills)
    for name in ("requires", "fixed", "frontier"):
        a, b = getattr(got, name).scipy, getattr(want, name).scipy
        assert a.shape == b.shape and (a != b).nnz == 0, name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instances(max_skills=7), min_size=1, max_size=1), st.data())
def test_extended_index_is_the_index_built_with_the_new_targets(instances_, data):
    """Targets added (or with requirements added) give the rows a build over all of them gives."""
    model, *_ = _setup(instances_[0])
    skills = sorted({*model.hours, *model.broader, *model.narrower, *instances_[0][5]})
    draw_set = st.sets(st.sampled_from(skills), max_size=4)
    before = {f"t{i}": data.draw(draw_set) for i in range(data.draw(st.integers(0, 4)))}
    kinds = {t: data.draw(st.sampled_from(["posting", "role"])) for t in before}
    after = {t: set(v) for t, v in before.items()}
    changed = {}
    for t in [f"t{i}" for i in range(6)]:  # new targets, and more requirements for old ones
        if data.draw(st.booleans()):
            after[t] = after.get(t, set()) | data.draw(draw_set)
            changed[t] = sorted(after[t])
    new_kinds = {t: kinds.get(t) or data.draw(st.sampled_from(["posting", "role"])) for t in changed}
    old = index_from(model, before, kinds=kinds)
    got = extended_index(old, changed, new_kinds, key="k2")
    columns = set(old.skills)
    if any(s not in columns for v in changed.values() for s in v):
        assert got is None, "a skill with no column: the index must be built again"
        event("a new skill: no extension")
        return
    _same_index(got, index_from(model, after, kinds={**kinds, **new_kinds}))
    assert got.key == "k2"


def test_extended_saved_index_ranks_like_a_build(tmp_path, random_kg):
    """Half of the postings indexed and saved, the other half (and extra requirements) added to
    the mapped copy: the rows, and every person's ranking, are those of the full build."""
    model = skill_model(random_kg)
    full = build_index(random_kg)
    reqs = {t: sorted(full.skills[j] for j in full.requires[i].indices) for i, t in enumerate(full.targets)}
    kinds = dict(zip(full.targets, full.kinds))
    postings = [t for t in full.targets if kinds[t] == "posting"]
    later = set(postings[::2])
    first = index_from(model, {t: v for t, v in reqs.items() if t not in later},
                       kinds={t: k for t, k in kinds.items() if t not in later}, key="k1")
    first.save(tmp_path)
    mapped = load_index(tmp_path, "k1")
    grown = extended_index(mapped, {t: reqs[t] for t in later}, {t: kinds[t] for t in later}, key="k2")
    _same_index(grown, full)
    grown.save(tmp_path)
    again = load_index(tmp_path, "k2")
    _same_index(again, full)
    person = resolve_person(random_kg)
    known = held_skills(random_kg, person)
    assert known, "a person who knows something, so that masking matters"
    a, b = again.bounds(again.mask(known)), full.bounds(full.mask(known))
    for field in ("lower", "upper", "exact", "met", "required"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


# -- the ranking against the plain algorithm ----------------------------------------------------
def _generate(tmp_path_factory, seed):
    out = tmp_path_factory.mktemp(f"T{seed}")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--scale", "T",
                    "--seed", str(seed), "--out", str(out)], check=True, capture_output=True)
    return load(out / "T.nt", bundled=False)


@pytest.fixture(scope="module", params=[1, 2])
def random_kg(request, tmp_path_factory):
    return _generate(tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def unpriced_kg(tmp_path_factory):
    """Generated data where every fifth learnable skill has no effort hours (as in ESCO)."""
    out = tmp_path_factory.mktemp("T3")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--scale", "T",
                    "--seed", "3", "--out", str(out)], check=True, capture_output=True)
    lines = (out / "T.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    priced = [i for i, line in enumerate(lines) if str(CG.effortHours) in line]
    drop = set(priced[::5])
    (out / "U.nt").write_text("".join(line for i, line in enumerate(lines) if i not in drop), encoding="utf-8")
    return load(out / "U.nt", bundled=False)


def _plain(kg, kind):
    """Every target planned one by one with the exact engine, sorted as rank() documents."""
    person = resolve_person(kg)
    model = skill_model(kg)
    known = held_skills(kg, person)
    rows = []
    for target in kg.entities(kind):
        essential, _ = requirements(kg, target)
        sol = solve(model, known, essential)
        met = sum(1 for r in essential if r in known)
        coverage = 100.0 * met / len(essential) if essential else 100.0
        rows.append((not essential, len(sol.unpriced), sol.hours, -coverage, kg.label(target).casefold(),
                     kg.curie(target), sol.exact))
    # targets without an essential requirement last, then fewest skills without hours, as rank() documents
    return sorted(rows)


@pytest.mark.parametrize("kind", ["postings", "roles"])
def test_index_ranks_like_the_plain_algorithm(random_kg, kind):
    plain = _plain(random_kg, kind[:-1])
    ranking = rank(random_kg, kind, max_plans=10_000)
    assert ranking.total == len(plain)
    got = [(r.required == 0, r.unpriced, r.hours, -r.coverage, r.target.label.casefold(), r.target.curie)
           for r in ranking.rows]
    for mine, theirs in zip(got, plain):
        if theirs[6]:  # the plain engine proved its plan: the same hours, in the same place
            assert mine == pytest.approx(theirs[:6])
    assert [g[5] for g in got] == [p[5] for p in plain] or any(not p[6] for p in plain)


@pytest.mark.parametrize("kind", ["postings", "roles"])
def test_targets_needing_unpriced_skills_rank_after_priced_ones(unpriced_kg, kind):
    """A target whose plan learns skills without effort hours is not "0 h" away: rank() orders by
    how many such skills the cheapest plan learns, then hours, as the plain engine minimises."""
    plain = _plain(unpriced_kg, kind[:-1])
    assert len({p[1] for p in plain}) > 1, "the data mixes targets with and without unpriced skills"
    ranking = rank(unpriced_kg, kind, max_plans=10_000)
    got = [(r.required == 0, r.unpriced, r.hours, -r.coverage, r.target.label.casefold(), r.target.curie)
           for r in ranking.rows]
    assert all(p[6] for p in plain), "the engine proves every plan on this data"
    assert len(got) == len(plain)
    for mine, theirs in zip(got, plain):
        assert mine == pytest.approx(theirs[:6])
    for limit in (1, 7):  # the threshold algorithm cuts on the same order
        head = rank(unpriced_kg, kind, limit=limit, max_plans=10_000)
        assert [r.target.iri for r in head.rows] == [r.target.iri for r in ranking.rows[:limit]]


def test_limited_ranking_is_the_head_of_the_full_one(random_kg):
    full = rank(random_kg, "postings", max_plans=10_000)
    for limit in (1, 5, 17):
        head = rank(random_kg, "postings", limit=limit, max_plans=10_000)
        assert [(r.target.iri, r.hours) for r in head.rows] == \
            [(r.target.iri, r.hours) for r in full.rows[:limit]]
        assert head.total == full.total


def test_plan_budget_leaves_rows_approximate_with_true_bounds(random_kg):
    exact = {r.target.iri: r.hours for r in rank(random_kg, "postings", max_plans=10_000).rows}
    cut = rank(random_kg, "postings", max_plans=0)
    approximate = [r for r in cut.rows if r.approximate]
    assert approximate, "the generated data has OR choices: some rows need a plan"
    for r in cut.rows:
        if r.approximate:
            assert r.lower_bound <= exact[r.target.iri] <= r.hours
        else:
            assert r.hours == pytest.approx(exact[r.target.iri])


# -- demand ----------------------------------------------------------------------------------------
def test_top_skills_match_sparql_counts():
    kg = load()
    rows = run_sparql(kg, """SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {
                                 ?p a cg:JobPosting ; cg:requiresSkill ?s } GROUP BY ?s""")
    counts = {str(r.s): int(r.n) for r in rows}
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert build_index(kg).top_skills(len(counts)) == expected
    assert build_index(kg).top_skills(3) == expected[:3]


# -- storage -------------------------------------------------------------------------------------
def test_saved_index_loads_for_its_key_only(tmp_path):
    kg = load()
    idx = build_index(kg, key="gen-1")
    idx.save(tmp_path)
    again = load_index(tmp_path, "gen-1")
    assert again is not None and again.targets == idx.targets and again.skills == idx.skills
    person = held_skills(kg, resolve_person(kg))
    a, b = idx.bounds(list(person)), again.bounds(list(person))
    assert np.array_equal(a.lower, b.lower) and np.array_equal(a.upper, b.upper)
    assert load_index(tmp_path, "gen-2") is None


def test_damaged_index_is_rebuilt(tmp_path):
    kg = load()
    build_index(kg, key="k").save(tmp_path)
    arrays = tmp_path / "index.bin"
    whole = arrays.read_bytes()
    arrays.write_bytes(whole[: len(whole) // 2])  # cut short: the last arrays lie outside it
    assert load_index(tmp_path, "k") is None
    arrays.write_bytes(b"")
    assert load_index(tmp_path, "k") is None
    idx = compiled_index(kg, folder=tmp_path, key="k")
    assert len(idx.postings) == len(kg.entities("posting"))
    assert load_index(tmp_path, "k") is not None, "the rebuilt index was saved again"


def test_index_follows_a_changed_graph():
    kg = load()
    before = compiled_index(kg)
    assert compiled_index(kg) is before
    posting = URIRef("https://w3id.org/careergraph/posting/new")
    from rdflib import RDF

    from careergraph.ontology import CG

    kg.graph.get_context(URIRef("urn:test")).add((posting, RDF.type, CG.JobPosting))
    kg.graph.get_context(URIRef("urn:test")).add((posting, CG.requiresSkill, kg.resolve("skill:dart")))
    after = compiled_index(kg)
    assert after is not before and str(posting) in after.postings


# -- next skills on the index ----------------------------------------------------------------------
def test_next_on_the_index_claims_only_what_holds(random_kg):
    from careergraph.graph.ranking import next_skills

    kg = random_kg
    person = resolve_person(kg)
    model = skill_model(kg)
    direct = set(kg.graph.objects(person, URIRef("https://w3id.org/careergraph/ns#hasSkill")))
    known = model.closure(direct)
    postings = {p: requirements(kg, p)[0] for p in kg.entities("posting")}
    open_postings = [p for p, req in postings.items() if any(r not in known for r in req)]
    result = next_skills(kg, method="index", limit=15)
    assert result.skills
    for row in result.skills:
        skill = URIRef(row.skill.iri)
        after = model.closure(direct | {skill})
        unlocked = {str(p) for p in open_postings if all(r in after for r in postings[p])}
        assert row.unlock_count == len(unlocked)
        assert {r.iri for r in row.unlocks} <= unlocked
        assert solve(model, known, [skill]).hours <= row.hours + 1e-6, "hours must bound the cheapest bundle"
    keys = [(-r.unlocks_per_hour, -r.removed_per_hour, r.hours, r.skill.curie) for r in result.skills]
    assert keys == sorted(keys)


def test_next_on_the_index_scores_as_the_sparse_products_say(random_kg):
    """Each row's hours and hours removed are the products of the docstring, recomputed here with scipy."""
    import scipy.sparse as sp

    from careergraph.graph.ranking import next_skills

    kg = random_kg
    idx = compiled_index(kg)
    known = idx.mask(held_skills(kg, resolve_person(kg)))
    unknown = ~known
    postings = idx.rows_of("posting")
    dense = lambda m: sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)  # noqa: E731
    beta_h, _ = idx.choice_costs(known)
    vh = idx.hours * unknown
    hours = dense(idx.skill_fixed) @ vh + dense(idx.skill_frontier) @ beta_h
    holding = np.asarray(dense(idx.fixed)[postings].sum(axis=0)).ravel()
    removed = dense(idx.closure) @ (vh * holding)
    result = next_skills(kg, method="index")
    assert result.skills
    for row in result.skills:
        k = idx.skills.index(row.skill.iri)
        assert row.hours == round(float(hours[k]), 6) and row.hours_removed == round(float(removed[k]), 6)


def test_next_on_the_index_agrees_with_replanning_on_the_bundled_data():
    from careergraph.graph.ranking import next_skills

    kg = load()
    plans, index = next_skills(kg, method="plans"), next_skills(kg, method="index")
    assert [(r.skill.iri, r.hours, r.unlock_count) for r in index.skills][:5] == \
        [(r.skill.iri, r.hours, r.unlock_count) for r in plans.skills][:5]


def test_workspace_keeps_its_index_and_rebuilds_it_after_a_change(tmp_path):
    from careergraph.graph.workspace import init_workspace, open_workspace

    with init_workspace(tmp_path / "ws") as ws:
        kg = ws.knowledge_graph()
        first = compiled_index(kg)
        assert (tmp_path / "ws" / "index" / "index.json").exists()
        person = resolve_person(kg)
        before = rank(kg, "postings").rows
        ws.learned(person, kg.resolve("skill:dart-vm"))
        assert compiled_index(kg) is first, "recorded progress is not in the index: no rebuild"
        after = rank(kg, "postings").rows
        assert after != before, "the person's skills are read live"
        fresh = load(bundled=True)  # the same question in memory, with the learned skill stated
        from careergraph.ontology import CG

        fresh.graph.get_context(URIRef("urn:progress")).add((person, CG.hasSkill, kg.resolve("skill:dart-vm")))
        assert [(r.target.iri, r.hours) for r in after] == [(r.target.iri, r.hours)
                                                            for r in rank(fresh, "postings").rows]
        extra = tmp_path / "extra.ttl"
        extra.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
                         "<https://w3id.org/careergraph/posting/extra> a cg:JobPosting ;\n"
                         "  cg:requiresSkill <https://w3id.org/careergraph/skill/dart> .\n", encoding="utf-8")
        ws.add(extra)
        second = compiled_index(kg)
        assert second.key != first.key, "added data must change the key the index is cached under"
        assert "https://w3id.org/careergraph/posting/extra" in second.postings
    with open_workspace(tmp_path / "ws") as ws:
        assert load_index(tmp_path / "ws" / "index", ws.knowledge_graph().index_key()) is not None


PROFILE = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/careergraph/person/newcomer> a cg:Person ; rdfs:label "Nadia Newcomer" ;
  cg:hasSkill <https://w3id.org/careergraph/skill/dart>, <https://w3id.org/careergraph/skill/git> .
<https://w3id.org/careergraph/skill/dart> skos:altLabel "Dartlang" .
"""


@pytest.mark.parametrize("indexed, index_kept", [
    ("", "same"),
    ("<https://w3id.org/careergraph/role/r> a cg:Role .\n", "extended"),
    ("<https://w3id.org/careergraph/skill/git> cg:effortHours 3 .\n", "rebuilt"),
], ids=["a profile", "with a role", "with hours"])
def test_adding_a_file_keeps_what_it_can_of_the_caches(tmp_path, indexed, index_kept):
    """A profile keeps the index and the skill model; a new target extends the saved index; hours
    make it be built again. The label table takes in the file's names every time. Either way the
    answers are the in-memory ones."""
    from careergraph.graph.workspace import init_workspace

    profile = tmp_path / "me.ttl"
    profile.write_text(PROFILE + indexed, encoding="utf-8")
    with init_workspace(tmp_path / "ws") as ws:
        kg = ws.knowledge_graph()
        first = compiled_index(kg)
        kg.resolve("Dart")  # the label table is built
        table = tmp_path / "ws" / "index" / "labels.sqlite"
        inode, data = table.stat().st_ino, ws.data_generation
        added = ws.add(profile)
        saved = load_index(tmp_path / "ws" / "index", kg.index_key())
        assert (ws.data_generation == data) is (index_kept == "same")
        assert (saved is not None) is (index_kept != "rebuilt"), "saved for the new state unless built again"
        assert (compiled_index(kg) is first) is (index_kept == "same")
        if index_kept == "extended":
            assert "https://w3id.org/careergraph/role/r" in saved.targets
        assert table.stat().st_ino == inode, "the label table took the names in, it was not built again"
        assert kg.resolve("Nadia Newcomer") == kg.resolve("person:newcomer")
        assert kg.resolve("dartlang", kind="skill") == kg.resolve("skill:dart")
        person = kg.resolve("person:newcomer")
        got = [(r.target.iri, r.hours, r.approximate) for r in rank(kg, "postings", person=person).rows]
        memory = load(profile)
        assert got == [(r.target.iri, r.hours, r.approximate)
                       for r in rank(memory, "postings", person=person).rows]
        assert ws.light_sources == ((str(added.iri),) if index_kept == "same" else ())


POSTINGS = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix schema: <https://schema.org/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
posting:kotlin-lead a cg:JobPosting ; schema:title "Kotlin Platform Lead" ;
  cg:requiresSkill skill:dart, skill:git ; cg:prefersSkill skill:bloc .
posting:red-flutter-developer cg:requiresSkill skill:git .
"""


@pytest.mark.parametrize("extra, extended", [("", True),
                                             ("posting:kotlin-lead cg:requiresSkill skill:no-such-skill .\n", False)],
                         ids=["known skills", "a new skill"])
def test_adding_postings_extends_the_saved_index(tmp_path, monkeypatch, extra, extended):
    """A file of postings (a new one, a requirement more for an old one) gets its rows into the saved
    index without a build, unless it names a skill the index has no column for; the answers, and
    the names the label table knows, are those of a fresh build either way."""
    from careergraph.graph import index as index_module
    from careergraph.graph.workspace import init_workspace

    postings = tmp_path / "postings.ttl"
    postings.write_text(POSTINGS + extra, encoding="utf-8")
    with init_workspace(tmp_path / "ws") as ws:
        kg = ws.knowledge_graph()
        compiled_index(kg)
        kg.resolve("Dart")  # the label table is built
        red = "https://w3id.org/careergraph/posting/red-flutter-developer"
        git = "https://w3id.org/careergraph/skill/git"
        assert URIRef(git) not in set(kg.graph.objects(URIRef(red), CG.requiresSkill)), "a requirement more"
        ws.add(postings)
        assert (load_index(tmp_path / "ws" / "index", kg.index_key()) is not None) is extended
        if extended:
            def no_build(*args, **kwargs):
                raise AssertionError("the index was built again")
            monkeypatch.setattr(index_module, "build_index", no_build)
        grown = compiled_index(kg)
        monkeypatch.undo()
        _same_index(grown, build_index(kg))
        lead = kg.resolve("Kotlin Platform Lead", kind="posting")
        assert lead == URIRef("https://w3id.org/careergraph/posting/kotlin-lead")
        memory = load(postings)
        person = resolve_person(kg)
        assert [(r.target.iri, r.hours, r.approximate) for r in rank(kg, "postings", person=person).rows] == \
            [(r.target.iri, r.hours, r.approximate) for r in rank(memory, "postings", person=person).rows]
        assert git in {grown.skills[j] for j in grown.requires[grown.target_position(red)].indices}


# -- what a workspace reads back instead of extracting it from the store again --------------------
def _same_model(a, b):
    for name in ("hours", "prerequisites", "broader", "narrower"):
        assert dict(getattr(a, name)) == dict(getattr(b, name)), name


def test_saved_model_is_the_model_the_graph_gives(tmp_path, random_kg):
    from careergraph.graph.index import load_model

    model = skill_model(random_kg)
    build_index(random_kg, key="m-1").save(tmp_path)
    again = load_model(tmp_path, "m-1")
    _same_model(again, model)
    skill = next(iter(model.prerequisites))
    assert again.needs(skill) == model.needs(skill) and again.options(skill) == model.options(skill)
    assert load_model(tmp_path, "m-2") is None, "a model saved for another key is not used"
    (tmp_path / "model.npz").write_bytes(b"damaged")
    assert load_model(tmp_path, "m-1") is None


def test_reloaded_index_keeps_columns_and_kinds(tmp_path, random_kg):
    idx = build_index(random_kg, key="c-1")
    idx.save(tmp_path)
    again = load_index(tmp_path, "c-1")
    assert again.kinds == idx.kinds
    for kind in ("posting", "role"):
        assert np.array_equal(again.rows_of(kind), idx.rows_of(kind))
    for mine, theirs in zip(again._by_column(), idx._by_column()):
        if hasattr(mine, "indptr"):
            assert mine.format == theirs.format == "csc"
            assert np.array_equal(mine.indptr, theirs.indptr) and np.array_equal(mine.indices, theirs.indices)
        else:
            assert np.array_equal(mine, theirs)


def test_workspace_reads_the_same_model_and_requirements_natively(tmp_path):
    """The bulk (TSV) reads from Oxigraph give what the rdflib API over the same store gives."""
    from careergraph.graph.convert import SkillModel, _pairs, skill_hours
    from careergraph.graph.index import _native_requirements, _target_requirements
    from careergraph.graph.workspace import init_workspace
    from careergraph.ontology import CG
    from rdflib.namespace import SKOS

    out = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--scale", "T",
                    "--seed", "3", "--out", str(out)], check=True, capture_output=True)
    with init_workspace(tmp_path / "ws") as ws:
        ws.add(out / "T.nt")
        kg = ws.knowledge_graph()
        assert kg.oxigraph is not None
        g = kg.graph
        plain = SkillModel.from_edges(skill_hours(kg), prerequisites=_pairs(g, CG.prerequisite),
                                      broader=_pairs(g, SKOS.broader))
        model = skill_model(kg)  # no index saved yet: read from the store in bulk
        _same_model(model, plain)
        assert plain.prerequisites, "the generated data has prerequisites"
        reqs, kinds = _native_requirements(kg.oxigraph)
        expected = {str(t): kind for kind in ("posting", "role") for t in kg.entities(kind)}
        assert kinds == expected
        for target in list(kinds)[:: max(1, len(kinds) // 50)]:
            essential, _ = requirements(kg, URIRef(target))
            assert sorted(set(reqs[target])) == [str(s) for s in essential]
        assert _target_requirements(kg) == (reqs, kinds)
        compiled_index(kg)  # saves the model beside the index
        kg2 = ws.knowledge_graph()
        _same_model(skill_model(kg2), plain)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.data())
def test_binary_matrix_products_match_scipy(rows, columns, data):
    """The numpy row sums and column gathers give what scipy gives, empty rows and columns included."""
    import scipy.sparse as sp

    from careergraph.graph import index as index_module
    from careergraph.graph.index import Binary, _lines, _minus_columns, _row_sums

    cells = data.draw(st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, columns - 1)),
                               unique=True, max_size=rows * columns))
    dense = np.zeros((rows, columns))
    for r, c in cells:
        dense[r, c] = 1.0
    m = sp.csr_matrix(dense)
    vector = np.array(data.draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=columns,
                                         max_size=columns)))
    wrapped = Binary(m.indptr, m.indices, m.shape)
    entry_rows = np.repeat(np.arange(rows), np.diff(m.indptr))
    assert np.allclose(_row_sums(entry_rows, m.indices, vector, rows), m @ vector, rtol=0, atol=1e-9)
    assert np.allclose(_row_sums(entry_rows, m.indices, vector > 500, rows), m @ (vector > 500).astype(float))
    assert np.allclose(wrapped @ vector, m @ vector, rtol=0, atol=1e-9)
    picked = np.array(sorted(data.draw(st.sets(st.integers(0, columns - 1)))), dtype=np.int64)
    base = np.array(data.draw(st.lists(st.floats(0, 1e4), min_size=rows, max_size=rows)))
    expected = base - dense[:, picked] @ vector[picked]
    for loop_columns in (0, 4096):  # the weighted bincount, and the loop over columns
        index_module._LOOP_COLUMNS = loop_columns
        try:
            got = _minus_columns(base, m.tocsc(), picked, vector)
        finally:
            index_module._LOOP_COLUMNS = 4096
        assert np.allclose(got, expected, rtol=0, atol=1e-6)
    found, counts = _lines(m.tocsc(), picked)
    expected = m.tocsc()[:, picked]
    assert np.array_equal(counts, np.diff(expected.indptr)) and np.array_equal(found, expected.indices)
    rows = np.array([r for r in range(rows) if data.draw(st.booleans())], dtype=np.int64)
    found, counts = _lines(m, rows)
    assert np.array_equal(found, m[rows].indices) and np.array_equal(counts, np.diff(m[rows].indptr))
    assert (wrapped[[0]] != m[[0]]).nnz == 0, "slices are scipy's"


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.lists(st.sampled_from([0.0, 0.5, 1.25, 3.0, 7.000001, 1e6, math.inf]), max_size=40),
    st.lists(st.floats(0, 1e4, allow_nan=False).map(lambda x: round(x, 6)), max_size=40),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40),
    st.lists(st.integers(-2 ** 40, 2 ** 40), max_size=40),
    st.lists(st.integers(-3, 3), max_size=40),
    st.lists(st.integers(-2 ** 62, 2 ** 62), max_size=40),
))
def test_stable_order_is_a_stable_argsort(values):
    """The packed-integer sort puts values in the order a stable argsort does, ties and inf included."""
    from careergraph.graph.index import stable_order

    array = np.array(values, dtype=np.float64 if values and isinstance(values[0], float) else np.int64)
    assert np.array_equal(stable_order(array), np.argsort(array, kind="stable"))


def test_stable_order_at_index_scale():
    """On 100,000 rounded hours with many ties and some inf (the ranking's case) it agrees."""
    from careergraph.graph.index import stable_order

    rng = np.random.default_rng(7)
    hours = np.round(rng.integers(0, 3000, 100_000) * rng.choice([1.0, 0.5, 0.25], 100_000), 6)
    hours[rng.integers(0, 100_000, 50)] = math.inf
    assert np.array_equal(stable_order(hours), np.argsort(hours, kind="stable"))
    counts = rng.integers(0, 50, 100_000)
    assert np.array_equal(stable_order(-counts), np.argsort(-counts, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))), max_size=12),
       st.data())
def test_packed_strings_read_back_like_the_list(strings, data):
    """The lazily decoded strings of a saved index are the list that was packed, item by item and as a whole."""
    from careergraph.graph.index import _pack, _Packed

    if strings == [""]:
        strings = []  # an empty list and a list of one empty string pack alike: the index never holds ""
    packed = _Packed(_pack(strings))
    assert len(packed) == len(strings) and list(packed) == strings and packed == strings
    if strings:
        i = data.draw(st.integers(-len(strings), len(strings) - 1))
        assert packed[i] == strings[i]
        assert packed[1:] == strings[1:]
    with pytest.raises(IndexError):
        packed[len(strings)]


def test_ranking_imports_neither_scipy_nor_networkx_once_the_index_is_saved(tmp_path):
    """A command on a workspace with a saved index reads it with numpy alone (a tenth of a second less)."""
    code = f"""
import sys
from careergraph.graph.workspace import init_workspace, open_workspace
from careergraph.graph.ranking import rank
with init_workspace({str(tmp_path / 'ws')!r}) as ws:
    rank(ws.knowledge_graph(), "postings")
for name in [m for m in sys.modules if m.startswith(("scipy", "networkx"))]:
    del sys.modules[name]
with open_workspace({str(tmp_path / 'ws')!r}) as ws:
    rows = rank(ws.knowledge_graph(), "postings").rows
print(len(rows), sorted({{m.split('.')[0] for m in sys.modules if m.startswith(("scipy", "networkx"))}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split()[0] == str(len(load().entities("posting")))
    assert out.strip().endswith("[]"), out
