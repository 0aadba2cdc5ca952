"""Named queries: headers, parameters, and answers on the bundled data checked against the seed and the triples."""

from __future__ import annotations

import itertools
import re
import shlex
from collections import Counter

import pytest
from rdflib import Literal, URIRef, Variable
from rdflib.namespace import SKOS
from rdflib.plugins.sparql.parserutils import CompValue

import seedparse
from careergraph import queries
from careergraph.graph import load
from careergraph.graph.errors import QueryError, UnknownEntityError, UsageError
from careergraph.graph.sparql import bind_parameters, prepare, query_type, run_named, run_sparql
from careergraph.graph.store import KINDS, KnowledgeGraph
from careergraph.ontology import CG, SCHEMA

NAMES = queries.names()


@pytest.fixture(scope="module")
def kg():
    return load()


def run(kg, name, **params):
    return run_named(kg, name, **params)


# -- the seed document, read independently of the dataset (tests/seedparse.py) -------


def seed_postings() -> list[tuple[str, str]]:
    """(title, organization) of each analyzed posting."""
    return [(p["title"], p["company"]) for p in seedparse.postings()]


def posting_of_org(kg, org_name: str) -> URIRef:
    org = kg.resolve(org_name, "organization")
    postings = list(kg.graph.subjects(SCHEMA.hiringOrganization, org))
    assert len(postings) == 1, org_name
    return postings[0]


def closure(kg, start, prop, inverse=False) -> set:
    """Every node reachable from ``start`` through ``prop`` (one or more steps)."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        nexts = kg.graph.subjects(prop, node) if inverse else kg.graph.objects(node, prop)
        for n in nexts:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def asked(kg, posting) -> set:
    return set(kg.graph.objects(posting, CG.requiresSkill)) | set(kg.graph.objects(posting, CG.prefersSkill))


# -- every query file -----------------------------------------------------------------

def _variables(node, found=None) -> set[str]:
    found = set() if found is None else found
    if isinstance(node, Variable):
        found.add(str(node))
    elif isinstance(node, CompValue):
        for value in node.values():
            _variables(value, found)
    elif isinstance(node, (list, tuple, set)):
        for value in node:
            _variables(value, found)
    elif isinstance(node, dict):
        for value in list(node.keys()) + list(node.values()):
            _variables(value, found)
    return found


def test_there_are_the_queries_the_issue_asks_for():
    assert len(NAMES) >= 12
    for required in ("roles-of-component", "components-of-role", "skills-of-role", "skills-of-posting",
                     "postings-by-seniority", "skills-by-category", "skills-in-several-postings",
                     "skills-in-one-posting", "skill-gap", "shared-skills", "people-gaps", "provenance"):
        assert required in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_query_parses_and_declares_its_variables(name):
    q = queries.get(name)
    assert q.title and q.description
    prepared = prepare(q.text)  # parses, passes the safety check, expands careergraph's prefixes
    assert query_type(prepared) == "SELECT"
    variables = _variables(prepared.algebra)
    for p in q.parameters:
        assert p.name in variables, f"{name}: parameter {p.name} is not a variable of the query"
        assert p.type in queries.TYPES
        assert not (p.required and p.default is not None)


@pytest.mark.parametrize("name", [n for n in NAMES if queries.get(n).example])
def test_query_example_runs_and_answers(name, kg):
    """The example in each header is a real command line that finds something."""
    words = shlex.split(queries.get(name).example)
    assert words[:4] == ["careergraph", "query", "run", name]
    params = dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "-p")
    assert len(run(kg, name, **params)) > 0


def test_entity_types_are_the_graph_kinds():
    assert set(queries.ENTITY_TYPES) == set(KINDS)


def test_header_parser_rejects_mistakes():
    good = "# title: T\n# param: n (integer, default 2): a number\nSELECT * WHERE { ?s ?p ?n }\n"
    assert queries.parse("x", good).parameters[0].default == "2"
    bad = {
        "# description: no title\nSELECT * {}": "no '# title:'",
        "# title: T\n# param: n (number): what\nSELECT * {}": "unknown type",
        "# title: T\n# param: n integer\nSELECT * {}": "cannot read parameter",
        "# title: T\n# param: limit (integer): what\nSELECT * {}": "reserved",
        "# title: T\n# param: n (integer): a\n# param: n (integer): b\nSELECT * {}": "declared twice",
        "# title: T\n# params: n (integer): a\nSELECT * {}": "unknown header key",
    }
    for text, message in bad.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            queries.parse("x", text)


def test_header_continuation_lines_join():
    q = queries.parse("x", "# title: T\n# description: one\n#   two\n#\n# free comment\nSELECT * {}")
    assert q.description == "one two"


def test_unknown_query_suggests_close_names():
    with pytest.raises(UsageError, match="roles-of-component"):
        queries.get("roles-of-componnet")


# -- the dataset as queries see it ------------------------------------------------------

def test_union_graph_and_named_graphs_both_answer(kg):
    """kg.graph is a Dataset with default_union: plain patterns see every source, GRAPH names them."""
    plain = run_sparql(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=None)
    assert int(plain.rows[0][0]) == len(set(kg.graph.triples((None, None, None))))
    graphs = run_sparql(kg, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", timeout=None)
    names = {row.g for row in graphs}
    assert {src.iri for src in kg.sources} <= names
    fact = run_sparql(kg, "SELECT ?g WHERE { GRAPH ?g { ?s cg:staffedBy ?r } }",
                      bindings={"s": kg.resolve("component:auth-session-service"),
                                "r": kg.resolve("role:qa-engineer")}, timeout=None)
    assert [row.g for row in fact] == [kg.resolve("source:components")]


# -- parameters -------------------------------------------------------------------------

def test_entity_parameter_accepts_iri_curie_and_label(kg):
    iri = "https://w3id.org/careergraph/component/auth-session-service"
    answers = [set(run(kg, "roles-of-component", component=v))
               for v in (iri, f"<{iri}>", "component:auth-session-service", "Auth & Session Service",
                         "auth service", URIRef(iri))]
    assert all(a == answers[0] for a in answers) and answers[0]


def test_parameters_are_bound_not_pasted(kg):
    """A value that looks like SPARQL stays a value: an unknown name, or a literal that matches nothing."""
    with pytest.raises(UnknownEntityError):
        run(kg, "roles-of-component", component='x" } UNION { ?component ?p ?role } #')
    before = len(kg.graph)
    hostile = Literal('" } ; DROP ALL ; SELECT * WHERE { "')
    result = run_sparql(kg, "SELECT ?s WHERE { ?s rdfs:label ?name }", bindings={"name": hostile})
    assert len(result) == 0 and len(kg.graph) == before


def test_parameter_errors_are_usage_errors_listing_the_parameters(kg):
    with pytest.raises(UsageError, match=r"no parameter 'colour'.*its parameters: component \(component, required\)"):
        run(kg, "roles-of-component", colour="red")
    with pytest.raises(UsageError, match=r"needs parameter 'posting'.*person \(person, required\), "
                                         r"posting \(posting, required\)"):
        run(kg, "skill-gap", person="Seed author")
    with pytest.raises(UsageError, match="must be an integer, not 'two'"):
        run(kg, "skills-in-several-postings", min="two")
    with pytest.raises(UsageError, match="must be a boolean"):
        run(kg, "skills-in-several-postings", narrower="maybe")
    with pytest.raises(UnknownEntityError):  # a role is not a component
        run(kg, "roles-of-component", component="role:qa-engineer")
    with pytest.raises(UsageError, match="takes no parameters"):
        run(kg, "skills-in-one-posting", min=1)


def test_typed_parameters(kg):
    q = queries.get("skills-in-several-postings")
    assert bind_parameters(kg, q, {}) == {"min": Literal(2), "narrower": Literal(False)}
    assert bind_parameters(kg, q, {"min": "3", "narrower": "yes"}) == {"min": Literal(3),
                                                                     "narrower": Literal(True)}
    assert bind_parameters(kg, q, {"min": 4})["min"] == Literal(4)
    optional = bind_parameters(kg, queries.get("postings-by-seniority"), {})
    assert optional == {}  # optional without default: left unbound


# -- answers on the bundled data ------------------------------------------------------

def test_roles_of_each_component_match_the_seed(kg):
    components = seedparse.components()
    assert len(components) == 6
    for name, roles in components.items():
        got = {row.role for row in run(kg, "roles-of-component", component=name)}
        assert got == {kg.resolve(r, "role") for r in roles}, name


def test_components_of_a_role_invert_the_seed(kg):
    by_role: dict[URIRef, set] = {}
    for name, roles in seedparse.components().items():
        for r in roles:
            by_role.setdefault(kg.resolve(r, "role"), set()).add(kg.resolve(name, "component"))
    for role, components in by_role.items():
        assert {row.component for row in run(kg, "components-of-role", role=role)} == components


def test_skills_of_each_role_and_shared_skills(kg):
    needs = {r: set(kg.graph.objects(r, CG.needsSkill)) for r in kg.entities("role")}
    for role, skills in needs.items():
        assert {row.skill for row in run(kg, "skills-of-role", role=role)} == skills
    described = [r for r in needs if needs[r]]
    for a, b in itertools.combinations(described[:6], 2):
        shared = {row.skill for row in run(kg, "shared-skills", role=a, other=b)}
        assert shared == needs[a] & needs[b]
    backend, database = kg.resolve("Backend engineer", "role"), kg.resolve("Database engineer", "role")
    assert {row.skill for row in run(kg, "shared-skills", role=backend, other=database)}  # not vacuous


def test_skills_of_each_posting(kg):
    postings = kg.entities("posting")
    assert len(postings) == len(seed_postings()) == 5
    for p in postings:
        rows = run(kg, "skills-of-posting", posting=p)
        essential = {r.skill for r in rows if str(r.requirement) == "essential"}
        optional = {r.skill for r in rows if str(r.requirement) == "optional"}
        assert essential == set(kg.graph.objects(p, CG.requiresSkill))
        assert optional == set(kg.graph.objects(p, CG.prefersSkill)) - essential
        assert len(rows) == len(essential | optional)
    # the seed: AppMetrica is named only as specific to Ай-Теко, not among its key skills
    i_teco = posting_of_org(kg, "Ай-Теко")
    rows = run(kg, "skills-of-posting", posting=i_teco)
    assert [str(r.requirement) for r in rows if r.skill == kg.resolve("AppMetrica", "skill")] == ["optional"]


def test_postings_by_seniority_match_the_seed_titles(kg):
    rows = run(kg, "postings-by-seniority")
    got = {(r.posting, r.level) for r in rows}
    expected = {(p, lv) for p in kg.entities("posting") for lv in kg.graph.objects(p, CG.seniority)}
    assert got == expected
    for title, org in seed_postings():
        posting = posting_of_org(kg, org)
        if title.startswith("Senior"):
            assert (posting, kg.resolve("level:senior")) in got, title
        if "(Middle)" in title:
            assert (posting, kg.resolve("level:middle")) in got, title
    seniors = run(kg, "postings-by-seniority", level="Senior")
    assert {r.posting for r in seniors} == {p for p, lv in got if lv == kg.resolve("level:senior")}
    assert len(seniors) == sum(t.startswith("Senior") for t, _ in seed_postings())


def test_skills_by_category_cover_the_seed_lists(kg):
    section = seedparse.section("Common skills across roles")
    category = None
    checked = 0
    for line in section.splitlines():
        if line.startswith("### "):
            category = kg.resolve(line[4:].strip(), "category")
            members = {r.skill for r in run(kg, "skills-by-category", category=category)}
            expected = set()
            for top in kg.graph.subjects(CG.inCategory, category):
                expected |= {top} | closure(kg, top, SKOS.broader, inverse=True)
            assert members == expected
        elif line.startswith("- "):
            item = line[2:].strip()
            name = re.sub(r"\s*\(.*\)\s*$", "", item)
            try:
                parts = [kg.resolve(name, "skill")]
            except UnknownEntityError:  # "Unit testing, integration testing, system testing"
                parts = [kg.resolve(p, "skill") for p in re.split(r",\s*|\s+and\s+", name) if p]
            for skill in parts:
                assert skill in members, (item, kg.curie(skill))
                checked += 1
    assert checked >= 45


def posting_counts(kg, narrower=False) -> Counter:
    counts = Counter()
    for p in kg.entities("posting"):
        skills = asked(kg, p)
        if narrower:
            skills = skills | set().union(*(closure(kg, s, SKOS.broader) for s in skills))
        counts.update(skills)
    return counts


@pytest.mark.parametrize("minimum", [None, 1, 3, 4])
def test_skills_in_several_postings_are_counted_from_the_postings(kg, minimum):
    params = {} if minimum is None else {"min": str(minimum)}
    rows = run(kg, "skills-in-several-postings", **params)
    counts = posting_counts(kg)
    floor = 2 if minimum is None else minimum
    assert {(r.skill, int(r.postings)) for r in rows} == {(s, n) for s, n in counts.items() if n >= floor}
    assert [int(r.postings) for r in rows] == sorted((int(r.postings) for r in rows), reverse=True)


def test_seed_summary_of_common_skills_disagrees_with_the_postings(kg):
    """The seed lists "App Store / Google Play delivery" among skills in several postings; only A3F asks."""
    summary = set()
    for item in seedparse.bullets_under("Skills that appear in several postings"):
        name = re.sub(r"\s*\(.*\)\s*$", "", item)
        for part in re.split(r"\s*\+\s*|,\s*", name):
            summary.add(kg.resolve(part, "skill"))
    direct = {r.skill for r in run(kg, "skills-in-several-postings")}
    rolled_up = {r.skill for r in run(kg, "skills-in-several-postings", narrower="true")}
    assert rolled_up == set(s for s, n in posting_counts(kg, narrower=True).items() if n >= 2)
    app_store = kg.resolve("App Store / Google Play delivery", "skill")
    state = kg.resolve("State management", "skill")
    assert summary - rolled_up == {app_store}
    assert summary - direct == {app_store, state}  # State management counts only through BLoC etc.
    one = {(r.skill, r.posting) for r in run(kg, "skills-in-one-posting")}
    assert (app_store, posting_of_org(kg, "A3F Group")) in one


def test_skills_in_exactly_one_posting(kg):
    counts = posting_counts(kg)
    expected = {(s, p) for p in kg.entities("posting") for s in asked(kg, p) if counts[s] == 1}
    got = [(r.skill, r.posting) for r in run(kg, "skills-in-one-posting")]
    assert set(got) == expected and len(got) == len(expected)
    # the seed's "Skills specific to a single posting" name their posting's company in parentheses
    postings_named = set()
    for item in seedparse.bullets_under("Skills specific to a single posting"):
        org = re.search(r"\(([^)]*)\)\s*$", item).group(1)
        try:
            postings_named.add(posting_of_org(kg, org))
        except UsageError:
            continue  # "(product roles)" names no posting
    assert len(postings_named) == 3
    assert postings_named <= {p for _, p in got}


def expected_gap(kg, person, posting) -> dict:
    has = set(kg.graph.objects(person, CG.hasSkill))
    held = set(has)
    for h in has:
        held |= closure(kg, h, CG.prerequisite)
    out = {}
    for skill in asked(kg, posting):
        if skill in has:
            status = "covered"
        elif closure(kg, skill, SKOS.broader, inverse=True) & held:
            status = "covered through narrower"
        elif skill in held:
            status = "covered as prerequisite"
        else:
            status = "missing"
        out[skill] = status
    return out


def test_skill_gap_against_every_posting(kg):
    person = kg.resolve("Seed author", "person")
    statuses = Counter()
    for posting in kg.entities("posting"):
        rows = run(kg, "skill-gap", person=person, posting=posting)
        got = {r.skill: str(r.status) for r in rows}
        assert len(rows) == len(got)
        assert got == expected_gap(kg, person, posting)
        for r in rows:
            statuses[str(r.status)] += 1
            if str(r.status) == "covered through narrower":
                assert (r.via, SKOS.broader, None) in kg.graph and r.skill in closure(kg, r.via, SKOS.broader)
            elif str(r.status) == "covered":
                assert r.via is None
    assert statuses["covered"] and statuses["missing"] and statuses["covered through narrower"]
    # the seed: the author lacks low-level profiling, which the Effective posting asks for
    effective = posting_of_org(kg, "Effective")
    gap = {r.skill: str(r.status) for r in run(kg, "skill-gap", person=person, posting=effective)}
    assert gap[kg.resolve("Low-level profiling", "skill")] == "missing"


def test_people_and_their_gaps_match_the_seed(kg):
    rows = run(kg, "people-gaps")
    got = {(r.person, r.skill): (r.lacks.toPython(), r.focus.toPython()) for r in rows}
    expected = {}
    for person in kg.entities("person"):
        lacks = set(kg.graph.objects(person, CG.lacksSkill))
        focus = set(kg.graph.objects(person, CG.focusArea))
        for s in lacks | focus:
            expected[(person, s)] = (s in lacks, s in focus)
    assert got == expected
    author = kg.resolve("Seed author", "person")
    for item in seedparse.bullets_under("Skills I clearly lack"):
        skill = kg.resolve(re.sub(r"\s*\(.*\)\s*$", "", item), "skill")
        assert got[(author, skill)][0] is True, item
    assert len(run(kg, "people-gaps", person=author)) == len([k for k in got if k[0] == author])


def test_provenance_names_the_sources_of_each_fact(kg):
    checked = 0
    for posting in kg.entities("posting"):
        rows = run(kg, "provenance", subject=posting, predicate="cg:requiresSkill")
        by_object: dict = {}
        for r in rows:
            assert r.predicate == CG.requiresSkill
            by_object.setdefault(r.object, set()).add(r.source)
            assert r.label is not None
        for skill in kg.graph.objects(posting, CG.requiresSkill):
            assert by_object[skill] == {s.iri for s in kg.sources_of(posting, CG.requiresSkill, skill)}
            checked += 1
    assert checked > 30
    # the seed names Dart VM both among Effective's key skills and as specific to it: two sources
    effective = posting_of_org(kg, "Effective")
    rows = run(kg, "provenance", subject=effective, object="Dart VM")
    assert {r.source for r in rows} == {kg.resolve("source:postings"), kg.resolve("source:niche-skills")}


def test_postings_requiring_a_broad_skill_include_narrower_asks(kg):
    state = kg.resolve("State management", "skill")
    narrower = {state} | closure(kg, state, SKOS.broader, inverse=True)
    expected = {p for p in kg.entities("posting") if asked(kg, p) & narrower}
    rows = run(kg, "postings-requiring-skill", skill=state)
    assert {r.posting for r in rows} == expected and len(expected) >= 4


def test_bad_query_text_is_a_query_error(kg):
    with pytest.raises(QueryError):
        run_sparql(kg, "SELECT ?x WHERE { ?x ?y }")


@pytest.mark.skipif(not hasattr(KnowledgeGraph, "sparql"), reason="KnowledgeGraph.query/sparql not added yet")
def test_knowledge_graph_methods_return_rows(kg):
    assert list(kg.query("roles-of-component", component=AUTH_SERVICE)) == \
        list(run_named(kg, "roles-of-component", component=AUTH_SERVICE))
    rows = kg.sparql("SELECT ?p WHERE { ?p a cg:JobPosting }")
    assert {r.p for r in rows} == set(kg.entities("posting"))


AUTH_SERVICE = "Auth & Session Service"
