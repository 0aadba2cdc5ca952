"""The path, gap, rank, next, explain and demand commands, in-process, with golden JSON outputs.

Golden files live in tests/golden/. After an intended change of output,
regenerate them with ``CAREERGRAPH_UPDATE_GOLDEN=1 pytest tests/test_paths_cli.py``
and review the diff: every number in them was checked by hand against the
data when they were written (see test_paths.py for the independent checks).
"""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli

GOLDEN = Path(__file__).parent / "golden"
PREFIXES = """
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix person: <https://w3id.org/careergraph/person/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
COMMANDS = ["path", "gap", "rank", "next", "explain", "demand"]


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def run_json(*args):
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name, args", [
    ("path_effective", ["path", "--to", "Senior Flutter Developer at Effective"]),
    ("path_tochka", ["path", "--to", "posting:tochka-znaniy-senior-flutter-developer"]),
    ("path_devops", ["path", "--to", "DevOps engineer"]),
    ("gap_iteco", ["gap", "--to", "posting:i-teco-mobile-flutter-developer"]),
    ("rank_components", ["rank", "components"]),
])
def test_golden_json(name, args):
    data = run_json(*args)
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("CAREERGRAPH_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert data == json.loads(golden.read_text(encoding="utf-8"))


def test_path_table_names_every_step_and_the_total():
    plan = run_json("path", "--to", "Senior Flutter Developer at Effective")
    result = run("path", "--to", "Senior Flutter Developer at Effective", "--hours-per-week", "5")
    assert result.exit_code == 0
    for step in plan["steps"]:
        assert step["skill"]["label"] in result.output
    weeks = plan["total_hours"] / 5
    assert f"Total: {plan['total_hours']} h, {weeks:.1f} weeks at 5 h/week" in result.output


def test_path_json_shape():
    plan = run_json("path", "--to", "posting:i-teco-mobile-flutter-developer", "--optional")
    assert set(plan) == {"person", "target", "total_hours", "hours_per_week", "weeks", "approximate",
                         "lower_bound", "steps", "met", "missing", "optional", "unpriced"}
    assert set(plan["target"]) == {"iri", "curie", "label", "kind"}
    for step in plan["steps"]:
        assert set(step) == {"position", "skill", "hours", "priced", "reason", "required_for",
                             "optional_for", "prerequisite_of", "alternatives"}
    for m in plan["met"]:
        assert set(m) == {"requirement", "via", "held", "essential"}
        assert m["via"] in {"direct", "narrower", "prerequisite"}
    assert plan["optional"] and all(o["included"] for o in plan["optional"])
    assert plan["total_hours"] == sum(s["hours"] for s in plan["steps"])


def test_met_posting_says_nothing_is_left():
    result = run("path", "--to", "posting:tochka-znaniy-senior-flutter-developer")
    assert result.exit_code == 0
    assert "Nothing to learn" in result.output
    assert "Git workflows: through GitFlow" in result.output


def test_unknown_target_suggests_and_exits_2():
    result = run("path", "--to", "Senior Fluter Developer at Efective")
    assert result.exit_code == 2
    assert "did you mean" in result.output and "Senior Flutter Developer at Effective" in result.output
    assert "Traceback" not in result.output


def test_several_people_exit_2_and_are_listed(tmp_path):
    other = write(tmp_path, "other.ttl", 'person:other a cg:Person ; rdfs:label "Other" ; cg:hasSkill skill:dart .')
    result = run("--data", other, "path", "--to", "role:flutter-developer")
    assert result.exit_code == 2
    assert "person:other" in result.output and "person:seed-author" in result.output
    chosen = run("--data", other, "path", "--to", "role:flutter-developer", "--person", "Other")
    assert chosen.exit_code == 0 and "Learning path for Other" in chosen.output
    assert run("path", "--to", "role:flutter-developer", "--person", "Nobody").exit_code == 2


def test_prerequisite_cycle_in_data_exits_1_and_prints_it(tmp_path):
    bad = write(tmp_path, "cycle.ttl", """
skill:a a cg:Skill ; skos:prefLabel "A" ; cg:prerequisite skill:b .
skill:b a cg:Skill ; skos:prefLabel "B" ; cg:prerequisite skill:a .
""")
    result = run("--data", bad, "path", "--to", "role:flutter-developer")
    assert result.exit_code == 1
    assert "skill:a -> skill:b -> skill:a" in result.output
    assert "Traceback" not in result.output


def test_bad_parameters_exit_2():
    assert run("path", "--to", "role:flutter-developer", "--hours-per-week", "0").exit_code == 2
    assert run("rank", "skills").exit_code == 2
    assert run("path").exit_code == 2


@pytest.mark.parametrize("kind", ["postings", "roles", "components"])
def test_rank(kind):
    data = run_json("rank", kind)
    assert data["kind"] == kind and data["rows"]
    hours = [r["hours"] for r in data["rows"]]
    assert hours == sorted(hours)
    table = run("rank", kind)
    assert table.exit_code == 0 and data["rows"][0]["target"]["label"] in table.output


def test_gap_next_demand_explain():
    gap = run_json("gap", "--to", "posting:tochka-znaniy-senior-flutter-developer")
    assert {r["status"] for r in gap["rows"]} <= {"held", "narrower", "prerequisite", "missing"}
    nxt = run_json("next", "--limit", "2")
    assert len(nxt["skills"]) <= 2
    assert run("next").exit_code == 0
    demand = run_json("demand")
    assert demand["skills"][0]["postings"] >= demand["skills"][-1]["postings"]
    assert "Cluster 1:" in run("demand").output
    chain = run("explain", "BLoC", "Flutter")
    assert chain.exit_code == 0 and chain.output.strip() == "BLoC --cg:prerequisite--> Flutter"
    data = run_json("explain", "Seed author", "MTProto Gateway")
    assert data["length"] == len(data["hops"]) and data["chain"].startswith("Seed author")


def test_explain_unconnected_exits_1(tmp_path):
    lone = write(tmp_path, "lone.ttl", 'skill:lonely a cg:Skill ; skos:prefLabel "Lonely" .')
    result = run("--data", lone, "explain", "Lonely", "Flutter")
    assert result.exit_code == 1 and "Lonely" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example(name):
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output and f"careergraph {name}" in result.output


def test_every_json_key_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "json-shapes.md").read_text(encoding="utf-8")
    outputs = [
        run_json("path", "--to", "posting:i-teco-mobile-flutter-developer", "--optional"),
        run_json("path", "--to", "DevOps engineer"),
        run_json("gap", "--to", "posting:i-teco-mobile-flutter-developer"),
        run_json("rank", "components"),
        run_json("next"),
        run_json("explain", "Seed author", "MTProto Gateway"),
        run_json("demand"),
    ]

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    found = {k for out in outputs for k in keys(out)}
    undocumented = {k for k in found if f'"{k}"' not in doc}
    assert not undocumented, f"keys missing from docs/json-shapes.md: {sorted(undocumented)}"
