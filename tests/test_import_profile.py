"""Profiles from YAML and JSON: matching, levels, targets, new skills, clashes, round trips, bad input."""

import csv
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import SKOS

from careergraph.graph import load
from careergraph.graph.errors import InvalidDataError, UnmatchedNamesError
from careergraph.graph.export import export
from careergraph.graph.import_profile import import_profile
from careergraph.graph.importing import read_records, slug, write_graph
from careergraph.ontology import CG, ID_PREFIXES

DATA = Path(__file__).parent / "data"
VALID = DATA / "import" / "valid"
INVALID = DATA / "invalid" / "import"
EXPECTED = list(csv.DictReader((INVALID / "expected.csv").open(encoding="utf-8")))


def user_triples(kg) -> Graph:
    """The triples of the named graphs, without load()'s notes about the files (default graph)."""
    g = Graph()
    for s, p, o, c in kg.dataset.quads((None, None, None, None)):
        if c != DATASET_DEFAULT_GRAPH_ID:
            g.add((s, p, o))
    return g


def _names(items):
    return [item["name"] if isinstance(item, dict) else item for item in items]


def test_yaml_profile_matches_every_name_to_the_skill_it_names(kg):
    raw = yaml.safe_load((VALID / "profile.yaml").read_text(encoding="utf-8"))
    result = import_profile(kg, VALID / "profile.yaml")
    g = result.graph
    person = ID_PREFIXES["person"][slug(raw["name"])]
    assert result.entities == [person]
    assert g.value(person, RDFS.label) == Literal(raw["name"])
    assert (person, RDF.type, CG.Person) in g
    # each name resolves on its own through the graph's labels; the importer agrees
    assert set(g.objects(person, CG.hasSkill)) == {kg.resolve(n, kind="skill") for n in _names(raw["skills"])}
    assert set(g.objects(person, CG.lacksSkill)) == {kg.resolve(n, kind="skill") for n in raw["lacks"]}
    assert set(g.objects(person, CG.focusArea)) == {kg.resolve(n, kind="skill") for n in raw["focus"]}
    assert g.value(person, CG.targetsRole) == kg.resolve(raw["target"]["role"], kind="role")
    assert g.value(person, CG.targetSeniority) == kg.resolve(raw["target"]["seniority"], kind="level")
    assert Decimal(str(g.value(person, CG.yearsOfExperience))) == Decimal(raw["years"])
    assert result.created_skills == []


def test_levels_are_kept_on_reified_statements(kg):
    raw = yaml.safe_load((VALID / "profile.yaml").read_text(encoding="utf-8"))
    g = import_profile(kg, VALID / "profile.yaml").graph
    levels = {}
    for st in g.subjects(RDF.type, RDF.Statement):
        assert g.value(st, RDF.predicate) == CG.hasSkill
        assert (g.value(st, RDF.subject), CG.hasSkill, g.value(st, RDF.object)) in g
        levels[g.value(st, RDF.object)] = Decimal(str(g.value(st, RDF.value)))
    expected = {kg.resolve(item["name"], kind="skill"): Decimal(str(item["level"]))
                for item in raw["skills"] if isinstance(item, dict) and "level" in item}
    assert levels == expected


def test_organisations_are_matched_or_created(kg):
    result = import_profile(kg, VALID / "profile.yaml")
    person = result.entities[0]
    employers = set(result.graph.objects(person, CG.previousEmployer))
    red = kg.resolve("Red", kind="organization")
    assert red in employers
    assert len(result.created_orgs) == 1
    (new,) = result.created_orgs
    assert new in employers and kg.kind_of(new) is None
    assert str(result.graph.value(new, RDFS.label)) == "Northwind Traders"


def test_yaml_and_json_of_the_same_profile_give_isomorphic_graphs(kg):
    a = import_profile(kg, VALID / "profile.yaml").graph
    b = import_profile(kg, VALID / "profile.json").graph
    assert len(a) > 10
    assert isomorphic(a, b)


def test_several_profiles_and_create_missing(kg):
    with pytest.raises(UnmatchedNamesError) as info:
        import_profile(kg, VALID / "profiles.yaml")
    assert [name for name, _, _ in info.value.unmatched] == ["Zig"]
    result = import_profile(kg, VALID / "profiles.yaml", create_missing=True)
    assert [kg.curie(p) for p in result.entities] == ["person:grace", "person:linus"]
    (zig,) = result.created_skills
    assert kg.curie(zig) == "skill:zig"
    assert (zig, RDF.type, CG.Skill) in result.graph
    assert str(result.graph.value(zig, SKOS.prefLabel)) == "Zig"
    assert Decimal(str(result.graph.value(zig, CG.effortHours))) == 60


def test_unknown_skills_are_all_listed_with_lines_and_suggestions(kg):
    path = INVALID / "unknown-skills.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = []
    for name in raw["skills"]:
        try:
            kg.resolve(name, kind="skill")
        except LookupError:
            unknown.append(name)
    with pytest.raises(UnmatchedNamesError) as info:
        import_profile(kg, path)
    err = info.value
    assert [name for name, _, _ in err.unmatched] == unknown
    lines = path.read_text(encoding="utf-8").splitlines()
    for name, line, suggestions in err.unmatched:
        assert name in lines[line - 1]
    assert "Dart (skill:dart)" in dict((n, s) for n, _, s in err.unmatched)["Dartt"]
    assert "\n" not in str(err)


def test_symbols_count_when_matching(kg, tmp_path):
    """'C#' is not C++ even though both are 'c' without punctuation."""
    path = tmp_path / "p.yaml"
    path.write_text("name: Ada\nskills: [C#, c++]\n", encoding="utf-8")
    with pytest.raises(UnmatchedNamesError) as info:
        import_profile(kg, path)
    assert [name for name, _, _ in info.value.unmatched] == ["C#"]
    result = import_profile(kg, path, create_missing=True)
    assert {kg.curie(s) for s in result.graph.objects(result.entities[0], CG.hasSkill)} == {
        "skill:cpp", "skill:c-sharp"}


def test_reimporting_the_same_person_is_not_a_clash(kg, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: seed-author\nname: seed AUTHOR\nskills: [Dart]\n", encoding="utf-8")
    result = import_profile(kg, path)
    assert kg.curie(result.entities[0]) == "person:seed-author"


@pytest.mark.parametrize("row", [r for r in EXPECTED if r["importer"] == "profile"], ids=lambda r: r["file"])
def test_bad_profile(kg, row):
    path = INVALID / row["file"]
    start = time.perf_counter()
    with pytest.raises(InvalidDataError) as info:
        import_profile(kg, path)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "\n" not in message
    assert row["message"] in message
    expected_line = int(row["line"]) if row["line"] else None
    assert info.value.line == expected_line
    prefix = f"{path}:{expected_line}: " if expected_line else f"{path}: "
    assert message.startswith(prefix)


def test_every_bad_input_file_is_listed():
    listed = {r["file"] for r in EXPECTED}
    present = {p.name for p in INVALID.iterdir() if p.name not in ("expected.csv", "README.md")}
    assert present == listed


def test_user_strings_stay_literals(kg, tmp_path):
    name = 'Robert"); DROP ALL; <script>alert(1)</script> } INSERT DATA {'
    path = tmp_path / "p.json"
    path.write_text('{"id": "bobby", "name": %s, "skills": ["Dart"]}' % __import__("json").dumps(name),
                    encoding="utf-8")
    result = import_profile(kg, path)
    person = result.entities[0]
    assert result.graph.value(person, RDFS.label) == Literal(name)
    out = tmp_path / "p.ttl"
    write_graph(result.graph, out)
    back = load(out, bundled=False)
    assert str(back.graph.value(person, RDFS.label)) == name


@pytest.mark.parametrize("ext", ["ttl", "nt", "jsonld", "trig"])
def test_round_trip_import_export_import(kg, tmp_path, ext):
    result = import_profile(kg, VALID / "profile.yaml")
    first = tmp_path / "me.ttl"
    write_graph(result.graph, first)
    exported = tmp_path / f"again.{ext}"
    exported.write_text(export(load(first, bundled=False), ext, bundled=False), encoding="utf-8")
    assert isomorphic(user_triples(load(exported, bundled=False)), result.graph)


def test_imported_profile_loads_and_resolves(kg, tmp_path):
    result = import_profile(kg, VALID / "profile.yaml")
    out = tmp_path / "me.ttl"
    write_graph(result.graph, out)
    mine = load(out)
    assert mine.info().counts["person"] == kg.info().counts["person"] + 1
    assert mine.resolve("Ada Lovelace", kind="person") == result.entities[0]
    for skill in result.graph.objects(result.entities[0], CG.hasSkill):
        assert mine.kind_of(skill) == "skill"


def test_read_records_keeps_lines(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb:\n  - x\n  - {c: y}\n", encoding="utf-8")
    data = read_records(path)
    assert data.line == 1 and data.line_at("b") == 3
    assert data["b"].line_at(0) == 3 and data["b"].line_at(1) == 4
    jpath = tmp_path / "x.json"
    jpath.write_text('{\n "a": 1,\n "b": [\n  "x",\n  {"c": "y"}\n ]\n}\n', encoding="utf-8")
    data = read_records(jpath)
    assert data.line == 1 and data["b"].line == 3
    assert data["b"].line_at(0) == 4 and data["b"].line_at(1) == 5


SKILL_NAMES = ["Dart", "flutter", "BLoC / Cubit", "go_router", "Kafka", "postgres", "REST API", "C++", "Git"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
       .filter(lambda s: s.strip()),
       skills=st.lists(st.sampled_from(SKILL_NAMES), min_size=1, max_size=6, unique=True),
       levels=st.lists(st.one_of(st.none(), st.integers(0, 10), st.decimals(0, 10, places=2)), min_size=6,
                       max_size=6))
def test_random_profiles_round_trip(kg, tmp_path_factory, name, skills, levels):
    folder = tmp_path_factory.mktemp("p")
    entries = [s if lv is None else {"name": s, "level": str(lv) if isinstance(lv, Decimal) else lv}
               for s, lv in zip(skills, levels)]
    path = folder / "p.yaml"
    path.write_text(yaml.safe_dump({"id": "p1", "name": name, "skills": entries}, allow_unicode=True),
                    encoding="utf-8")
    result = import_profile(kg, path)
    person = result.entities[0]
    assert str(result.graph.value(person, RDFS.label)) == " ".join(name.split())
    assert set(result.graph.objects(person, CG.hasSkill)) == {kg.resolve(s, kind="skill") for s in skills}
    out = folder / "p.ttl"
    write_graph(result.graph, out)
    again = folder / "again.ttl"
    again.write_text(export(load(out, bundled=False), "ttl", bundled=False), encoding="utf-8")
    assert isomorphic(user_triples(load(again, bundled=False)), result.graph)
