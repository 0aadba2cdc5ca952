"""Postings from CSV, YAML and JSON: skills, organisations, levels, links, warnings, bad input."""

import csv
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import SKOS

from careergraph.graph import load
from careergraph.graph.errors import InvalidDataError, UnmatchedNamesError
from careergraph.graph.export import export
from careergraph.graph.import_postings import import_postings
from careergraph.graph.importing import write_graph
from careergraph.ontology import CG, SCHEMA

DATA = Path(__file__).parent / "data"
VALID = DATA / "import" / "valid"
INVALID = DATA / "invalid" / "import"
EXPECTED = list(csv.DictReader((INVALID / "expected.csv").open(encoding="utf-8")))


def _rows():
    with (VALID / "postings.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _split(cell):
    return [s.strip() for s in cell.split(";") if s.strip()]


def test_csv_postings_follow_the_rows(kg):
    rows = _rows()
    result = import_postings(kg, VALID / "postings.csv")
    g = result.graph
    assert len(result.entities) == len(rows)
    for posting, row in zip(result.entities, rows):
        assert (posting, RDF.type, CG.JobPosting) in g
        assert g.value(posting, SCHEMA.title) == Literal(row["title"])
        assert set(g.objects(posting, CG.requiresSkill)) == {kg.resolve(n, kind="skill") for n in _split(row["skills"])}
        assert set(g.objects(posting, CG.prefersSkill)) == {kg.resolve(n, kind="skill") for n in _split(row["preferred"])}
        if row["seniority"]:
            assert g.value(posting, CG.seniority) == kg.resolve(row["seniority"], kind="level")
        else:
            assert g.value(posting, CG.seniority) is None
        if row["url"]:
            assert g.value(posting, SCHEMA.url) == URIRef(row["url"])
        org = g.value(posting, SCHEMA.hiringOrganization)
        if row["company"]:
            label = g.value(org, RDFS.label) or kg.graph.value(org, RDFS.label)
            assert str(label) == row["company"]
            assert str(g.value(posting, RDFS.label)) == f"{row['title']} at {row['company']}"
        else:
            assert org is None


def test_existing_organisations_are_reused_and_new_ones_created_once(kg):
    result = import_postings(kg, VALID / "postings.csv")
    companies = {r["company"] for r in _rows() if r["company"]}
    known = set()
    for name in companies:
        try:
            kg.resolve(name, kind="organization")
            known.add(name)
        except LookupError:
            pass
    assert "Red" in known
    assert sorted(str(result.graph.value(o, RDFS.label)) for o in result.created_orgs) == sorted(companies - known)


def test_extra_csv_columns_are_ignored_with_a_warning(kg):
    result = import_postings(kg, VALID / "postings.csv")
    assert len(result.warnings) == 1 and "notes" in result.warnings[0]
    assert "a note" not in result.graph.serialize(format="nt")


@pytest.mark.parametrize("other", ["postings.yaml", "postings.json"])
def test_csv_yaml_and_json_give_the_same_graph(kg, other):
    a = import_postings(kg, VALID / "postings.csv").graph
    b = import_postings(kg, VALID / other).graph
    assert len(a) > 20
    assert isomorphic(a, b)


def test_create_missing_adds_skills_with_hours(kg):
    with pytest.raises(UnmatchedNamesError) as info:
        import_postings(kg, VALID / "new-skills.yaml")
    missing = [name for name, _, _ in info.value.unmatched]
    assert "Temporal" in missing and "Kubernetes" not in missing
    result = import_postings(kg, VALID / "new-skills.yaml", create_missing=True)
    g = result.graph
    assert sorted(str(g.value(s, SKOS.prefLabel)) for s in result.created_skills) == sorted(missing)
    temporal = next(s for s in result.created_skills if str(g.value(s, SKOS.prefLabel)) == "Temporal")
    assert float(g.value(temporal, CG.effortHours)) == 30
    (posting,) = result.entities
    assert kg.curie(posting) == "posting:infra-1"
    assert set(result.created_skills) <= set(g.objects(posting, CG.requiresSkill))


def test_unknown_seniority_lists_the_levels_of_the_data(kg):
    levels = sorted(kg.entities("level"), key=lambda lv: int(kg.graph.value(lv, CG.levelRank)))
    with pytest.raises(InvalidDataError) as info:
        import_postings(kg, INVALID / "unknown-seniority.csv")
    assert str(info.value).endswith("known levels: " + ", ".join(kg.label(lv) for lv in levels))


@pytest.mark.parametrize("row", [r for r in EXPECTED if r["importer"] == "postings"], ids=lambda r: r["file"])
def test_bad_postings(kg, row):
    path = INVALID / row["file"]
    with pytest.raises(InvalidDataError) as info:
        import_postings(kg, path)
    message = str(info.value)
    assert "\n" not in message
    assert row["message"] in message
    expected_line = int(row["line"]) if row["line"] else None
    assert info.value.line == expected_line
    assert message.startswith(f"{path}:{expected_line}: " if expected_line else f"{path}: ")


def test_imported_postings_validate_and_load(kg, tmp_path):
    from careergraph.graph import validate

    out = tmp_path / "jobs.ttl"
    write_graph(import_postings(kg, VALID / "postings.csv").graph, out)
    mine = load(out)
    assert mine.info().counts["posting"] == kg.info().counts["posting"] + len(_rows())
    errors = [p for p in validate(mine) if p.severity == "error"]
    assert errors == []


def test_round_trip(kg, tmp_path):
    result = import_postings(kg, VALID / "postings.csv")
    first = tmp_path / "jobs.ttl"
    write_graph(result.graph, first)
    again = tmp_path / "again.nt"
    again.write_text(export(load(first, bundled=False), "nt", bundled=False), encoding="utf-8")
    back = Graph()
    for s, p, o, c in load(again, bundled=False).dataset.quads((None, None, None, None)):
        if c != DATASET_DEFAULT_GRAPH_ID:
            back.add((s, p, o))
    assert isomorphic(back, result.graph)


def test_many_unknown_names_read_the_names_for_suggestions_once(kg, tmp_path, monkeypatch):
    """Each unknown organisation or skill is a miss whose suggestions need every name of its kind:
    read once per kind for the whole import (at L each read took about 2 s)."""
    from careergraph.graph import resolve

    made = []
    original = resolve.LabelIndex.names

    def names(self, classes):
        result = original(self, classes)
        made.append((frozenset(classes or ()), result))  # kept alive: ids stay unique
        return result

    monkeypatch.setattr(resolve.LabelIndex, "names", names)
    path = tmp_path / "jobs.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["title", "company", "skills"])
        for i in range(6):
            out.writerow([f"Job {i}", f"New Company {i}", f"Dart; Unknown skill {i}"])
    kg._index = None
    result = import_postings(kg, path, create_missing=True)
    assert len(result.created_orgs) == 6
    assert len(made) >= 12  # a miss per new company and per unknown skill
    made_once = {(key, id(result)) for key, result in made}
    assert len({key for key, _ in made}) == len(made_once) == 2  # one set of names per kind, made once
