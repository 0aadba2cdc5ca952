"""Loading data: formats, provenance, and one clear error per kind of bad input."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from careergraph.cli.main import cli
from careergraph.graph import CycleError, InvalidDataError, load
from careergraph.ontology import CG

INVALID = Path(__file__).parent / "data" / "invalid"
CASES = list(csv.DictReader((INVALID / "expected.csv").open(encoding="utf-8")))


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['command']}:{c['file']}")
def test_bad_input_gives_its_one_line_error(case):
    path = str(INVALID / case["file"])
    if case["command"] == "load":
        code, out = run("--data", path, "info")
    else:
        code, out = run("validate", path)
    assert code == int(case["exit"]), out
    assert case["message"] in out, out
    assert "Traceback" not in out
    if case["command"] == "load":
        assert len(out.strip().splitlines()) == 1, out


@pytest.mark.parametrize("case", [c for c in CASES if c["command"] == "load"], ids=lambda c: c["file"])
def test_library_raises_invalid_data_error(case):
    with pytest.raises(InvalidDataError) as info:
        load(INVALID / case["file"])
    assert info.value.path is not None or isinstance(info.value, CycleError)


def test_cycle_error_carries_the_cycle():
    with pytest.raises(CycleError) as info:
        load(INVALID / "prerequisite-cycle.ttl")
    assert [str(n).rsplit("/", 1)[1] for n in info.value.cycle] == ["a", "b", "c", "a"]


def test_missing_file_and_directory(tmp_path):
    code, out = run("--data", str(tmp_path / "nope.ttl"), "info")
    assert code == 1 and "nope.ttl: no such file" in out
    code, out = run("--data", str(tmp_path), "info")
    assert code == 1 and "is a directory" in out


def test_nothing_is_partially_loaded(tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text('<https://example.org/a> <https://example.org/p> "x" .\n', encoding="utf-8")
    with pytest.raises(InvalidDataError):
        load(good, INVALID / "malformed.ttl")
    # the good file alone still loads, and the failed attempt left no trace
    kg = load(good)
    assert (URIRef("https://example.org/a"), None, None) in kg.graph
    assert not any(s.file.endswith("malformed.ttl") for s in kg.sources)


@pytest.mark.parametrize("fmt, ext", [("turtle", "ttl"), ("nt", "nt"), ("json-ld", "jsonld"),
                                      ("xml", "rdf"), ("trig", "trig"), ("nquads", "nq")])
def test_every_format_loads_by_extension(tmp_path, fmt, ext):
    g = Graph()
    g.parse(data="""@prefix cg: <https://w3id.org/careergraph/ns#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.org/skill/zig> a cg:Skill ; skos:prefLabel "Zig"@en ; cg:effortHours 30.0 .""",
            format="turtle")
    path = tmp_path / f"zig.{ext}"
    if fmt in ("trig", "nquads"):
        from rdflib import Dataset

        ds = Dataset()
        target = ds.graph(URIRef("https://example.org/graph/zig"))
        for t in g:
            target.add(t)
        ds.serialize(path, format=fmt)
    else:
        g.serialize(path, format=fmt)
    kg = load(path)
    zig = kg.resolve("zig", kind="skill")
    assert str(zig) == "https://example.org/skill/zig"
    assert kg.info().counts["skill"] == load().info().counts["skill"] + 1


def test_explicit_format_overrides_extension(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text('<https://example.org/a> <https://example.org/p> "x" .\n', encoding="utf-8")
    kg = load(path, formats={path: "nt"})
    assert (URIRef("https://example.org/a"), None, None) in kg.graph


def test_user_file_is_its_own_source(tmp_path):
    path = tmp_path / "mine.ttl"
    path.write_text("""@prefix cg: <https://w3id.org/careergraph/ns#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.org/skill/zig> a cg:Skill ; skos:prefLabel "Zig"@en .""", encoding="utf-8")
    kg = load(path)
    (src,) = kg.sources_of(URIRef("https://example.org/skill/zig"), None, None)
    assert src.kind == "user" and src.file == str(path)
    # bundled facts keep their seed provenance
    dart = kg.resolve("skill:dart")
    kinds = {s.label for s in kg.sources_of(kg.resolve("person:seed-author"), CG.hasSkill, dart)}
    assert kinds == {"Seed: My chosen role"}


def test_info_json_counts_match_the_graph(kg):
    code, out = run("info", "--format", "json")
    assert code == 0
    data = json.loads(out)
    for kind, cls in (("skill", CG.Skill), ("posting", CG.JobPosting), ("component", CG.Component)):
        expected = len(list(kg.graph.query(
            "SELECT DISTINCT ?x WHERE { ?x a ?c }", initBindings={"c": cls})))
        assert data["counts"][kind] == expected
    assert data["triples"] == len(kg.graph)
    assert {s["kind"] for s in data["sources"]} == {"ontology", "seed", "curated"}


def test_data_option_adds_to_info(tmp_path):
    path = tmp_path / "mine.ttl"
    path.write_text("""@prefix cg: <https://w3id.org/careergraph/ns#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.org/skill/zig> a cg:Skill ; skos:prefLabel "Zig"@en .""", encoding="utf-8")
    _, before = run("info", "--format", "json")
    code, after = run("--data", str(path), "info", "--format", "json")
    assert code == 0
    assert json.loads(after)["counts"]["skill"] == json.loads(before)["counts"]["skill"] + 1
    assert any(s["file"] == str(path) for s in json.loads(after)["sources"])
