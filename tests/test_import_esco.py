"""ESCO's CSV download: counts, ESCO terms kept, filters, streaming, progress, bad files, links."""

import csv
import shutil
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from careergraph.graph import load
from careergraph.graph.errors import InvalidDataError, UsageError
from careergraph.graph.esco_links import link_esco, links_graph
from careergraph.graph.import_esco import NTriplesWriter, import_esco
from careergraph.graph.resolve import loose
from careergraph.ontology import CG, ESCO

ESCO_DIR = Path(__file__).parent / "data" / "esco"


def rows(name):
    with (ESCO_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


SKILLS = rows("skills_en.csv")
OCCUPATIONS = rows("occupations_en.csv")
RELATIONS = rows("occupationSkillRelations_en.csv")
BROADER = rows("broaderRelationsSkillPillar_en.csv")
SKILL_RELATIONS = rows("skillSkillRelations_en.csv")
GROUPS = rows("skillGroups_en.csv")
SKILL_IRIS = {r["conceptUri"] for r in SKILLS}
GROUP_IRIS = {r["conceptUri"] for r in GROUPS}
OCC_IRIS = {r["conceptUri"] for r in OCCUPATIONS}


@pytest.fixture(scope="module")
def esco():
    return import_esco(ESCO_DIR)


def test_counts_follow_the_files(esco):
    known = [r for r in RELATIONS if r["occupationUri"] in OCC_IRIS and r["skillUri"] in SKILL_IRIS]
    concepts = SKILL_IRIS | GROUP_IRIS
    broader = [r for r in BROADER if r["conceptUri"] in concepts and r["broaderUri"] in concepts]
    related = [r for r in SKILL_RELATIONS
               if r["originalSkillUri"] in SKILL_IRIS and r["relatedSkillUri"] in SKILL_IRIS]
    assert esco.occupations == len(OCCUPATIONS) == 4
    assert esco.skills == len(SKILLS) == 8
    assert esco.skill_groups == len(GROUPS) == 1
    assert esco.essential == sum(r["relationType"] == "essential" for r in known)
    assert esco.optional == sum(r["relationType"] == "optional" for r in known)
    assert esco.broader == len(broader)
    assert esco.skill_relations == len(related)
    assert esco.skipped == {
        "occupationSkillRelations_en.csv": len(RELATIONS) - len(known),
        "broaderRelationsSkillPillar_en.csv": len(BROADER) - len(broader),
        "skillSkillRelations_en.csv": len(SKILL_RELATIONS) - len(related),
    }
    assert all(esco.skipped.values())  # the fixtures do have rows pointing nowhere
    assert esco.filtered == {} and esco.missing_files == []


def test_esco_terms_and_iris_are_kept(esco):
    g = esco.graph
    for r in SKILLS:
        iri = URIRef(r["conceptUri"])
        assert {ESCO.Skill, CG.Skill} <= set(g.objects(iri, RDF.type))
        assert str(g.value(iri, SKOS.prefLabel)) == r["preferredLabel"]
        alts = {str(a) for a in g.objects(iri, SKOS.altLabel)}
        assert alts == {line.strip() for line in r["altLabels"].splitlines() if line.strip()}
        kind = "skill" if r["skillType"] == "skill/competence" else "knowledge"
        assert g.value(iri, ESCO.skillType) == URIRef(f"http://data.europa.eu/esco/skill-type/{kind}")
        assert g.value(iri, ESCO.skillReuseLevel) == URIRef(
            f"http://data.europa.eu/esco/skill-reuse-level/{r['reuseLevel']}")
    multi = [r for r in SKILLS if r["altLabels"].count("\n") >= 2]
    assert multi, "the fixtures need a cell with several altLabels"
    for r in OCCUPATIONS:
        iri = URIRef(r["conceptUri"])
        assert {ESCO.Occupation, CG.Role} <= set(g.objects(iri, RDF.type))
        assert g.value(iri, ESCO.memberOfISCOGroup) == URIRef(f"http://data.europa.eu/esco/isco/C{r['iscoGroup']}")
    for r in RELATIONS:
        if r["occupationUri"] in OCC_IRIS and r["skillUri"] in SKILL_IRIS:
            prop = CG.needsSkill if r["relationType"] == "essential" else ESCO.relatedOptionalSkill
            assert (URIRef(r["occupationUri"]), prop, URIRef(r["skillUri"])) in g
    assert "extraColumn" not in g.serialize(format="nt")


def test_filter_by_isco_group_keeps_their_skills_and_broader_ones():
    result = import_esco(ESCO_DIR, occupations=["2514"])
    chosen = {r["conceptUri"] for r in OCCUPATIONS if r["iscoGroup"].startswith("2514")}
    related = {r["skillUri"] for r in RELATIONS if r["occupationUri"] in chosen} & SKILL_IRIS
    parents, frontier = set(), related
    while frontier:  # the broader skills and skill groups above them, at any height
        frontier = {r["broaderUri"] for r in BROADER if r["conceptUri"] in frontier} & (SKILL_IRIS | GROUP_IRIS)
        frontier -= parents
        parents |= frontier
    g = result.graph
    assert {str(s) for s in g.subjects(RDF.type, CG.Role)} == chosen
    assert {str(s) for s in g.subjects(RDF.type, CG.Skill)} == related | parents
    assert result.filtered["occupations_en.csv"] == len(OCCUPATIONS) - len(chosen)
    by_uri = import_esco(ESCO_DIR, occupations=sorted(chosen))
    assert isomorphic(by_uri.graph, g)


def test_bad_filter_is_a_usage_error():
    with pytest.raises(UsageError):
        import_esco(ESCO_DIR, occupations=["software developers"])


def test_streamed_ntriples_equal_the_graph(esco, tmp_path):
    out = tmp_path / "esco.nt"
    with NTriplesWriter(out) as writer:
        import_esco(ESCO_DIR, graph=writer)
    assert isomorphic(Graph().parse(out, format="nt"), esco.graph)
    assert [p.name for p in tmp_path.iterdir()] == ["esco.nt"]


def test_progress_reaches_the_total():
    seen = []
    import_esco(ESCO_DIR, progress=lambda done, total: seen.append((done, total)))
    total = sum(p.stat().st_size for p in ESCO_DIR.glob("*.csv"))
    assert seen and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == total


def _copy(tmp_path):
    folder = tmp_path / "esco"
    shutil.copytree(ESCO_DIR, folder)
    return folder


def _break(folder, name, old, new):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_failed_import_writes_nothing(tmp_path):
    folder = _copy(tmp_path)
    _break(folder, "skillSkillRelations_en.csv", ",optional,", ",sometimes,")
    out = tmp_path / "out" / "esco.nt"
    out.parent.mkdir()
    with pytest.raises(InvalidDataError, match="sometimes"):
        with NTriplesWriter(out) as writer:
            import_esco(folder, graph=writer)
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("name, old, new, line, fragment", [
    ("skills_en.csv", "preferredLabel", "prefLabel", 1, "missing column 'preferredLabel'"),
    ("occupationSkillRelations_en.csv", ",optional,", ",nice-to-have,", None, "neither essential nor optional"),
    ("skills_en.csv", ",sector-specific,Kotlin,", ',sector-specific,"Kotlin,', None, "malformed CSV"),
    ("skills_en.csv", "http://data.europa.eu/esco/skill/", "not an iri ", 2, "is not an IRI"),
    ("skills_en.csv", ",cross-sector,", ",everywhere,", 2, "unknown reuseLevel 'everywhere'"),
])
def test_bad_esco_files_name_file_and_line(tmp_path, name, old, new, line, fragment):
    folder = _copy(tmp_path)
    path = _break(folder, name, old, new)
    with pytest.raises(InvalidDataError) as info:
        import_esco(folder)
    assert fragment in str(info.value)
    assert str(info.value).startswith(str(path))
    assert info.value.line is not None
    if line is not None:
        assert info.value.line == line
    assert "\n" not in str(info.value)


def test_missing_required_file(tmp_path):
    folder = _copy(tmp_path)
    (folder / "occupations_en.csv").unlink()
    with pytest.raises(InvalidDataError, match="missing occupations_en.csv"):
        import_esco(folder)
    folder2 = _copy(tmp_path / "b")
    (folder2 / "skillSkillRelations_en.csv").unlink()
    assert import_esco(folder2).missing_files == ["skillSkillRelations_en.csv"]


def test_imported_esco_loads_as_roles_and_skills(esco, tmp_path):
    out = tmp_path / "esco.nt"
    with NTriplesWriter(out) as writer:
        import_esco(ESCO_DIR, graph=writer)
    kg = load(out)
    occ = next(r for r in OCCUPATIONS if r["altLabels"])
    assert str(kg.resolve(occ["preferredLabel"], kind="role")) == occ["conceptUri"]
    alt = occ["altLabels"].splitlines()[0]
    assert str(kg.resolve(alt, kind="role")) == occ["conceptUri"]


def test_link_esco_proposes_exact_matches_first(kg, esco):
    proposals = link_esco(kg, esco.graph)
    esco_forms = {}
    for r in SKILLS:
        for form in [r["preferredLabel"], *r["altLabels"].splitlines()]:
            esco_forms.setdefault(loose(form), set()).add(r["conceptUri"])
    expected = set()
    for skill in kg.entities("skill"):
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in kg.graph.objects(skill, prop):
                for iri in esco_forms.get(loose(str(label)), ()):
                    expected.add((skill, URIRef(iri)))
    exact = {(p.skill, p.esco_skill) for p in proposals if p.how == "exact"}
    assert exact == expected and len(exact) >= 3
    assert all(p.score == 1.0 for p in proposals if p.how == "exact")
    close = [p for p in proposals if p.how == "close"]
    assert all(0.8 <= p.score < 1.0 for p in close)
    assert not {p.skill for p in close} & {s for s, _ in exact}
    g = links_graph(proposals)
    assert len(g) == len({(p.skill, p.esco_skill) for p in proposals})
    assert set(g.predicates()) == {SKOS.closeMatch}


def test_links_settle_names_shared_with_esco(esco, tmp_path):
    from careergraph.graph.import_profile import import_profile
    from careergraph.graph.import_text import find_skills
    from careergraph.graph.importing import write_graph

    esco_file = tmp_path / "esco.nt"
    write_graph(esco.graph, esco_file)
    profile = tmp_path / "me.yaml"
    profile.write_text("name: Ada\nskills: [Dart, Flutter]\n", encoding="utf-8")
    both = load(esco_file)
    with pytest.raises(InvalidDataError, match="'Dart' is ambiguous"):
        import_profile(both, profile)
    assert {both.curie(m.skill) for m in find_skills(both, "Dart")} == {
        "skill:dart", next(r["conceptUri"] for r in SKILLS if r["preferredLabel"] == "Dart")}

    links = tmp_path / "links.ttl"
    write_graph(links_graph([p for p in link_esco(both, esco.graph) if p.how == "exact"]), links)
    linked = load(esco_file, links)
    result = import_profile(linked, profile)
    assert {linked.curie(s) for s in result.graph.objects(result.entities[0], CG.hasSkill)} == {
        "skill:dart", "skill:flutter"}
    assert [linked.curie(m.skill) for m in find_skills(linked, "Dart")] == ["skill:dart"]


def test_skill_groups_keep_the_upper_levels_of_the_hierarchy(esco):
    """A skill group is a broad skill without hours: its labels and code kept, the skills under it
    linked by skos:broader (rows to a group the download does not have are still skipped)."""
    from rdflib import Literal

    from careergraph.ontology import CG as cg

    g = esco.graph
    (group,) = [URIRef(r["conceptUri"]) for r in GROUPS]
    assert (group, RDF.type, cg.Skill) in g
    assert not list(g.objects(group, cg.effortHours))
    assert (group, SKOS.prefLabel, Literal(GROUPS[0]["preferredLabel"], lang="en")) in g
    assert {str(o) for o in g.objects(group, SKOS.altLabel)} == set(GROUPS[0]["altLabels"].splitlines())
    assert (group, SKOS.notation, Literal(GROUPS[0]["code"])) in g
    under = {URIRef(r["conceptUri"]) for r in BROADER if r["broaderUri"] == str(group)}
    assert under and under == set(g.subjects(SKOS.broader, group))
    above = [r["broaderUri"] for r in BROADER if r["conceptUri"] == str(group)]
    assert above and not any(r in GROUP_IRIS | SKILL_IRIS for r in above)  # skipped: not in the download
    assert not list(g.objects(group, SKOS.broader))


def test_a_filtered_import_keeps_the_groups_above_its_skills():
    full = import_esco(ESCO_DIR)
    (group,) = [URIRef(r["conceptUri"]) for r in GROUPS]
    under = set(full.graph.subjects(SKOS.broader, group))
    for code in ("2514", "2512", "25"):
        part = import_esco(ESCO_DIR, occupations=[code])
        kept = {s for s in part.graph.subjects(RDF.type, CG.Skill)}
        assert ((group, RDF.type, CG.Skill) in part.graph) == bool(under & kept), code

