"""Every fact of the seed document is in the bundled dataset (and nothing contradicts it)."""

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import SKOS

import seedparse
from careergraph.graph.resolve import loose
from careergraph.ontology import CG, ID_PREFIXES, SCHEMA

TABLE = Path(__file__).parent / "data" / "seed_facts" / "skill_mentions.csv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))


def expand(curie: str) -> URIRef:
    prefix, local = curie.split(":", 1)
    return ID_PREFIXES[prefix][local]


def curies(cell: str) -> list[URIRef]:
    return [expand(c) for c in cell.split()]


def graph_of(kg, stem):
    return kg.dataset.graph(ID_PREFIXES["source"][stem])


def labels(kg, iri):
    g = kg.graph
    return [str(o) for p in (SKOS.prefLabel, SKOS.altLabel, RDFS.label) for o in g.objects(iri, p)]


# -- components and roles -------------------------------------------------------


@pytest.mark.parametrize("component, roles", sorted(seedparse.components().items()))
def test_component_is_staffed_by_exactly_the_listed_roles(kg, component, roles):
    iri = kg.resolve(component, kind="component")
    staffed = {kg.label(r).casefold() for r in kg.graph.objects(iri, CG.staffedBy)}
    assert staffed == {r.casefold() for r in roles}


def test_six_components_and_ten_distinct_roles(kg):
    seed = seedparse.components()
    assert len(seed) == 6
    assert len(kg.entities("component")) == 6
    staffing = set(kg.graph.objects(None, CG.staffedBy))
    assert len(staffing) == len({r.casefold() for roles in seed.values() for r in roles}) == 10


def test_media_and_file_service_example(kg):
    iri = kg.resolve("Media & File Service")
    assert {kg.curie(r) for r in kg.graph.objects(iri, CG.staffedBy)} == {
        "role:backend-engineer", "role:storage-engineer", "role:devops-engineer",
        "role:qa-engineer", "role:system-architect"}


@pytest.mark.parametrize("role, text", sorted(seedparse.described_roles().items()))
def test_described_role_keeps_its_responsibilities_and_names_skills(kg, role, text):
    iri = kg.resolve(role, kind="role")
    stored = [str(o) for o in kg.graph.objects(iri, CG.responsibilities)]
    assert stored == [text]
    needed = set(graph_of(kg, "roles").objects(iri, CG.needsSkill))
    assert len(needed) >= 5


# -- skills, categories, the profile, postings: driven by skill_mentions.csv ----


def seed_items() -> dict[str, list[str]]:
    items = {cat: list(bullets) for cat, bullets in seedparse.common_skills().items()}
    prof = seedparse.profile()
    items["have"], items["lack"] = prof["have"], prof["lack"]
    postings = {p["url"]: p for p in seedparse.postings()}
    for row in ROWS:
        if row["section"].startswith("posting:"):
            items.setdefault(row["section"], None)
    items["niche"] = seedparse.niche()
    return items, postings


def test_table_covers_every_seed_item_exactly_once():
    items, _ = seed_items()
    by_section = defaultdict(list)
    for row in ROWS:
        by_section[row["section"]].append(row["item"])
    for section, bullets in items.items():
        if bullets is None:
            continue
        assert sorted(by_section[section]) == sorted(bullets), section
    assert len(seedparse.common_skills()) == 8


def test_table_posting_lines_are_the_seed_lines(kg):
    _, postings = seed_items()
    for section in {r["section"] for r in ROWS if r["section"].startswith("posting:")}:
        iri = expand(section)
        url = str(kg.graph.value(iri, SCHEMA.url))
        lines = [r["item"] for r in ROWS if r["section"] == section]
        assert sorted(lines) == sorted(postings[url]["key_skills"])


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['section']}|{r['item']}")
def test_row_facts_are_in_the_data(kg, row):
    g = kg.graph
    skills = curies(row["skills"])
    narrower = curies(row["narrower"])
    for skill in skills + narrower:
        assert (skill, RDF.type, CG.Skill) in g, f"{skill} is not a skill"
    for tool in narrower:
        assert (tool, SKOS.broader, skills[0]) in g
    if row["interpreted"] != "yes":
        for skill in skills:
            assert any(loose(lbl) in loose(row["item"]) for lbl in labels(kg, skill)), (
                f"no label of {skill} occurs in {row['item']!r}")
    section = row["section"]
    person = kg.resolve("person:seed-author")
    if section == "have":
        for skill in skills + narrower:
            assert (person, CG.hasSkill, skill) in g
    elif section == "lack":
        for skill in skills:
            assert (person, CG.lacksSkill, skill) in g
    elif section.startswith("posting:"):
        for skill in skills:
            assert (expand(section), CG.requiresSkill, skill) in g
    elif section != "niche":
        category = kg.resolve(section, kind="category")
        for skill in skills:
            assert (skill, CG.inCategory, category) in g


def test_category_members_are_exactly_the_listed_skills(kg):
    for category in seedparse.common_skills():
        iri = kg.resolve(category, kind="category")
        listed = {s for r in ROWS if r["section"] == category for s in curies(r["skills"])}
        assert set(kg.graph.subjects(CG.inCategory, iri)) == listed, category


def test_profile_skills_are_exactly_the_listed_ones(kg):
    person = expand("person:seed-author")
    profile = graph_of(kg, "profile")
    have = {s for r in ROWS if r["section"] == "have" for s in curies(r["skills"]) + curies(r["narrower"])}
    lack = {s for r in ROWS if r["section"] == "lack" for s in curies(r["skills"])}
    assert set(profile.objects(person, CG.hasSkill)) == have
    assert set(profile.objects(person, CG.lacksSkill)) == lack
    assert len(seedparse.profile()["have"]) == 16 and len(lack) == 3


def test_profile_targets_senior_flutter_developer(kg):
    person = expand("person:seed-author")
    (role_text,) = seedparse.profile()["role"]
    role = kg.graph.value(person, CG.targetsRole)
    assert kg.label(role) in role_text
    level = kg.graph.value(person, CG.targetSeniority)
    assert re.search(kg.label(level), role_text, flags=re.I)


def test_posting_requirements_are_exactly_the_key_skills(kg):
    postings = graph_of(kg, "postings")
    for section in {r["section"] for r in ROWS if r["section"].startswith("posting:")}:
        listed = {s for r in ROWS if r["section"] == section for s in curies(r["skills"])}
        assert set(postings.objects(expand(section), CG.requiresSkill)) == listed, section


@pytest.mark.parametrize("posting", seedparse.postings(), ids=lambda p: p["url"])
def test_posting_metadata(kg, posting):
    (iri,) = [p for p in kg.entities("posting") if str(kg.graph.value(p, SCHEMA.url)) == posting["url"]]
    g = kg.graph
    assert str(g.value(iri, SCHEMA.title)) == posting["title"]
    org = g.value(iri, SCHEMA.hiringOrganization)
    names = {str(o) for o in g.objects(org, RDFS.label)}
    assert posting["company"] in names
    assert {str(o) for o in g.objects(iri, CG.keySkillsText)} == set(posting["key_skills"])
    level = g.value(iri, CG.seniority)
    words = {"Senior": "Senior", "Middle": "Middle"}
    named = [w for w in words if w in posting["title"]]
    assert (kg.label(level) if level else None) == (named[0] if named else None)


def test_non_latin_company_labels_are_language_tagged(kg):
    for name in ("Точка Знаний", "Ай-Теко"):
        org = kg.resolve(name, kind="organization")
        (lbl,) = kg.graph.objects(org, RDFS.label)
        assert lbl.language == "ru"
        assert any(alt.language == "en" for alt in kg.graph.objects(org, SKOS.altLabel))


def test_niche_skills_point_at_their_posting(kg):
    for row in (r for r in ROWS if r["section"] == "niche"):
        company = re.search(r"\(([^)]+)\)\s*$", row["item"]).group(1)
        postings = [p for p in kg.entities("posting")
                    if company in {str(o) for o in kg.graph.objects(kg.graph.value(p, SCHEMA.hiringOrganization), RDFS.label)}]
        for skill in curies(row["skills"]):
            if postings:
                (posting,) = postings
                assert ((posting, CG.requiresSkill, skill) in kg.graph
                        or (posting, CG.prefersSkill, skill) in kg.graph)
            else:  # "product roles": no posting, a note on the skill
                assert "product roles" in str(kg.graph.value(skill, SKOS.scopeNote))


def test_reflection_focus_areas(kg):
    person = expand("person:seed-author")
    focus = {kg.curie(s) for s in kg.graph.objects(person, CG.focusArea)}
    assert focus == {"skill:flutter-rendering-pipeline", "skill:dart-vm",
                     "skill:native-development", "skill:platform-channels"}
    text = seedparse.section("Personal reflection")
    assert "rendering pipeline" in text and "Dart VM" in text and "platform channels" in text


def test_synonyms_resolve_to_one_skill(kg):
    for name in ("BLoC", "Bloc", "BLoC/Cubit", "bloc / cubit"):
        assert kg.curie(kg.resolve(name, kind="skill")) == "skill:bloc"


def test_seed_summary_disagreement_is_resolved_by_the_postings(kg):
    """The seed lists App Store / Google Play among skills in several postings; only one posting names it."""
    summary = seedparse.bullets(seedparse.subsections(seedparse.section("Job market snapshot"))[
        "Skills that appear in several postings"])
    assert "App Store / Google Play delivery" in summary
    skill = kg.resolve("App Store / Google Play delivery", kind="skill")
    assert len(set(kg.graph.subjects(CG.requiresSkill, skill))) == 1


# -- curated knowledge ---------------------------------------------------------------


def test_every_required_skill_is_priced(kg):
    from careergraph.graph.checks import unpriced_requirements

    assert unpriced_requirements(kg) == []


def test_curated_facts_live_in_the_curated_source(kg):
    curated = graph_of(kg, "curated")
    assert (ID_PREFIXES["source"]["curated"], RDF.type, CG.CuratedEstimate) in curated
    for stem in ("components", "roles", "common-skills", "profile", "postings", "niche-skills", "reflection"):
        g = graph_of(kg, stem)
        assert not list(g.triples((None, CG.effortHours, None))), stem
        assert not list(g.triples((None, CG.prerequisite, None))), stem
    assert len(list(curated.triples((None, CG.effortHours, None)))) > 100
