"""ESCO at scale: the synthetic download's layout, its import counted from the rows, fast links, bad rows."""

import csv
import difflib
import filecmp
import importlib.util
import math
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from careergraph.graph import load
from careergraph.graph.errors import InvalidDataError
from careergraph.graph.esco_links import esco_skill_labels, link_esco, word_agreement
from careergraph.graph.import_esco import ESCO_FILES, NTriplesWriter, import_esco
from careergraph.graph.resolve import loose, normalize
from careergraph.ontology import CG, ESCO

SPEC = importlib.util.spec_from_file_location(
    "esco_generate", Path(__file__).parent.parent / "benchmarks" / "esco_generate.py")
gen = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(gen)

SAMPLE = Path(__file__).parent / "data" / "esco"
READ = {key: name.format(lang="en") for key, (name, _) in ESCO_FILES.items()}


def rows(folder, name):
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def header(folder, name):
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("esco-small")
    gen.generate(out, scale="small", seed=5, dangling=0.05)
    return out


@pytest.fixture(scope="module")
def imported(small):
    return import_esco(small)


def test_same_seed_same_bytes(small, tmp_path):
    gen.generate(tmp_path / "a", scale="small", seed=5, dangling=0.05)
    gen.generate(tmp_path / "b", scale="small", seed=6, dangling=0.05)
    for name in gen.FILES:
        assert filecmp.cmp(small / name, tmp_path / "a" / name, shallow=False)
    assert not filecmp.cmp(small / READ["skills"], tmp_path / "b" / READ["skills"], shallow=False)


def test_files_and_columns_are_esco_s(small):
    for name in READ.values():
        mine, theirs = header(small, name), header(SAMPLE, name)
        assert set(mine) == set(theirs) - {"extraColumn"}, name  # the sample adds a column to test that
        if name != READ["broader"]:  # the sample's broader file has its columns reordered on purpose
            assert mine == [c for c in theirs if c != "extraColumn"], name
    # quoting as ESCO's: a cell is quoted only when it must be; rows end in \n; several labels per cell
    text = (small / READ["skills"]).read_bytes()
    assert b"\r\n" not in text and text.startswith(b"conceptType,conceptUri,skillType,")
    skills = rows(small, READ["skills"])
    assert all(r["conceptUri"].startswith("http://data.europa.eu/esco/skill/") for r in skills)
    assert sum(r["altLabels"].count("\n") >= 2 for r in skills) > len(skills) / 2
    assert any("\n" in r["description"] for r in skills)
    assert any(", " in r["inScheme"] for r in skills)
    occupations = rows(small, READ["occupations"])
    assert all(len(r["iscoGroup"]) == 4 and r["code"].startswith(r["iscoGroup"] + ".") for r in occupations)


def _expected_concept(row, *, occupation):
    """The triples the import should give one CSV row, worked out from the row alone."""
    iri = URIRef(row["conceptUri"])
    lit = lambda text: Literal(text, lang="en")  # noqa: E731
    out = {(iri, SKOS.prefLabel, lit(row["preferredLabel"]))}
    out |= {(iri, SKOS.altLabel, lit(line.strip())) for line in row["altLabels"].split("\n") if line.strip()}
    out |= {(iri, SKOS.hiddenLabel, lit(line.strip())) for line in row["hiddenLabels"].split("\n") if line.strip()}
    for column, prop in (("definition", SKOS.definition), ("scopeNote", SKOS.scopeNote),
                         ("description", DCTERMS.description)):
        if row[column].strip():
            out.add((iri, prop, lit(row[column].strip())))
    if occupation:
        out |= {(iri, RDF.type, ESCO.Occupation), (iri, RDF.type, CG.Role), (iri, RDFS_LABEL, lit(row["preferredLabel"])),
                (iri, ESCO.memberOfISCOGroup, URIRef(f"http://data.europa.eu/esco/isco/C{row['iscoGroup']}")),
                (iri, SKOS.notation, Literal(row["code"]))}
    else:
        kind = {"skill/competence": "skill", "knowledge": "knowledge"}[row["skillType"]]
        out |= {(iri, RDF.type, ESCO.Skill), (iri, RDF.type, CG.Skill),
                (iri, ESCO.skillType, URIRef(f"http://data.europa.eu/esco/skill-type/{kind}")),
                (iri, ESCO.skillReuseLevel,
                 URIRef(f"http://data.europa.eu/esco/skill-reuse-level/{row['reuseLevel']}"))}
    return out


RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_each_row_is_read_the_same_in_the_sample_and_the_generated_download(which, small, imported):
    folder = SAMPLE if which == "sample" else small
    g = (import_esco(SAMPLE) if which == "sample" else imported).graph
    for key, occupation in (("skills", False), ("occupations", True)):
        for row in rows(folder, READ[key]):
            iri = URIRef(row["conceptUri"])
            got = set(g.triples((iri, None, None))) - {t for t in g.triples((iri, None, None))
                                                      if t[1] in (CG.needsSkill, ESCO.relatedOptionalSkill,
                                                                  ESCO.relatedEssentialSkill, SKOS.broader)}
            assert got == _expected_concept(row, occupation=occupation), row["preferredLabel"]


def test_counts_follow_the_generated_rows(small, imported):
    skills = {r["conceptUri"] for r in rows(small, READ["skills"])}
    occupations = {r["conceptUri"] for r in rows(small, READ["occupations"])}
    relations = rows(small, READ["relations"])
    known = [r for r in relations if r["occupationUri"] in occupations and r["skillUri"] in skills]
    groups = {r["conceptUri"] for r in rows(small, READ["groups"])}
    concepts = skills | groups
    broader = [r for r in rows(small, READ["broader"]) if r["conceptUri"] in concepts and r["broaderUri"] in concepts]
    related = [r for r in rows(small, READ["skill_relations"])
               if r["originalSkillUri"] in skills and r["relatedSkillUri"] in skills]
    assert (imported.skills, imported.occupations) == (len(skills), len(occupations)) == gen.SCALES["small"][:2]
    assert imported.essential == sum(r["relationType"] == "essential" for r in known)
    assert imported.optional == sum(r["relationType"] == "optional" for r in known)
    assert imported.broader == len(broader) > 0
    assert imported.skill_groups == len(groups) > 0
    assert any(r["broaderUri"] in groups for r in broader)  # the hierarchy's upper levels are kept
    assert imported.skill_relations == len(related) > 0
    skipped_relations = len(relations) - len(known)
    assert skipped_relations > 0  # dangling rows are generated on purpose
    assert imported.skipped[READ["relations"]] == skipped_relations
    # rows to a concept neither skills_en.csv nor skillGroups_en.csv has are skipped
    assert imported.skipped.get(READ["broader"], 0) == len(rows(small, READ["broader"])) - len(broader)
    assert imported.missing_files == [] and imported.filtered == {}


def test_the_generated_hierarchy_loads_without_cycles(small, tmp_path):
    out = tmp_path / "esco.nt"
    with NTriplesWriter(out) as writer:
        import_esco(small, graph=writer)
    kg = load(out, bundled=False)  # load() rejects broader and prerequisite cycles
    groups = rows(small, READ["groups"])
    assert len(kg.entities("skill")) == gen.SCALES["small"][0] + len(groups)  # skill groups are broad skills
    occupation = rows(small, READ["occupations"])[0]
    assert str(kg.resolve(occupation["preferredLabel"], kind="role")) == occupation["conceptUri"]


def test_output_file_follows_the_umask(small, tmp_path):
    out = tmp_path / "esco.nt"
    old = os.umask(0o022)
    try:
        with NTriplesWriter(out) as writer:
            writer.add((URIRef("http://x/a"), URIRef("http://x/p"), Literal("1")))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


# -- links ----------------------------------------------------------------------


_STOP = {"and", "or", "of", "the", "in", "for", "to", "a", "an", "with", "use", "using", "on"}
_FLOOR = 0.6  # the lowest cutoff tested


@pytest.fixture(scope="module")
def pairwise(kg, imported):
    """The matching rule spelt out pair by pair with difflib (what link_esco did before it was bounded).

    For each of our skills: the ESCO skills with an equal label (loose), else every ESCO skill with
    its best score of a label pair sharing a word, where that score is at least _FLOOR (difflib's
    own quick bounds skip the pairs below it). A score is the lower of difflib's ratio and the
    labels' word agreement, words weighted by the log of how rare they are among ESCO's skills.
    """
    words = lambda text: {w for w in re.findall(r"\w+", normalize(text)) if w not in _STOP}  # noqa: E731

    def labels(graph, node):
        return [" ".join(str(v).split()) for p in (SKOS.prefLabel, SKOS.altLabel) for v in graph.objects(node, p)]

    g = imported.graph
    nodes = set(g.subjects(RDF.type, ESCO.Skill))
    forms = [(n, normalize(f), words(f), loose(f)) for n in nodes for f in labels(g, n)]
    having: dict = {}  # word -> the ESCO skills with it in a label
    for n, _, fw, _ in forms:
        for w in fw:
            having.setdefault(w, set()).add(n)
    weight = lambda w: math.log((len(nodes) + 1) / (len(having.get(w, ())) + 1)) + 1  # noqa: E731
    out = {}
    for skill in kg.entities("skill"):
        mine = [(normalize(m), words(m), loose(m)) for m in labels(kg.graph, skill)]
        exact = {n for n, _, _, lf in forms for _, _, lm in mine if lf == lm}
        if exact:
            out[skill] = ("exact", {n: 1.0 for n in exact})
            continue
        best = {}
        for key, mw, _ in mine:
            matcher = difflib.SequenceMatcher(None, key)
            for n, text, fw, _ in forms:
                if mw & fw:
                    matcher.set_seq2(text)
                    if matcher.real_quick_ratio() >= _FLOOR and matcher.quick_ratio() >= _FLOOR:
                        score = matcher.ratio()
                        if score >= _FLOOR:
                            score = min(score, word_agreement(mw, fw, weight))
                        if score >= _FLOOR:
                            best[n] = max(best.get(n, 0.0), score)
        out[skill] = ("close", best)
    return out


@pytest.mark.parametrize("cutoff, limit", [(0.8, 3), (0.6, 1), (0.6, 5)])
def test_links_equal_the_pairwise_rule(kg, imported, pairwise, cutoff, limit):
    proposals = link_esco(kg, imported.graph, cutoff=cutoff, limit=limit)
    got = {(p.skill, p.esco_skill, p.how, p.score) for p in proposals}
    expected = set()
    for skill, (how, scores) in pairwise.items():
        ranked = sorted(((n, s) for n, s in scores.items() if s >= cutoff), key=lambda i: (-i[1], str(i[0])))
        expected |= {(skill, n, how, s) for n, s in (ranked if how == "exact" else ranked[:limit])}
    assert got == expected
    assert any(p.how == "exact" for p in proposals)
    # the synthetic labels join random words: close matches appear only at the low cutoff
    assert any(p.how == "close" for p in proposals) == (cutoff < 0.8)
    assert [(str(p.skill), p.how != "exact", -p.score, str(p.esco_skill)) for p in proposals] == sorted(
        (str(p.skill), p.how != "exact", -p.score, str(p.esco_skill)) for p in proposals)


def test_links_from_a_file_are_those_from_the_graph(kg, imported, small, tmp_path):
    out = tmp_path / "esco.nt"
    with NTriplesWriter(out) as writer:
        import_esco(small, graph=writer)
    from_file = link_esco(kg, out)
    assert from_file == link_esco(kg, imported.graph)
    skills = rows(small, READ["skills"])
    labels = esco_skill_labels(out)
    assert {str(n) for n in labels} == {r["conceptUri"] for r in skills}
    for r in skills:
        pref, forms = labels[URIRef(r["conceptUri"])]
        assert pref == r["preferredLabel"]
        assert sorted(forms) == sorted([r["preferredLabel"], *[a for a in r["altLabels"].split("\n") if a]])


def test_links_in_a_workspace_read_oxigraph(kg, small, ws_dir, tmp_path):
    from careergraph.graph.workspace import open_workspace

    out = tmp_path / "esco.nt"
    with NTriplesWriter(out) as writer:
        import_esco(small, graph=writer)
    with open_workspace(ws_dir) as ws:
        ws.add(out)
        wkg = ws.knowledge_graph()
        assert wkg.backend == "oxigraph"
        # ESCO's own skills are never linked to themselves; the rest is read in Oxigraph
        assert link_esco(wkg, wkg) == link_esco(kg, out)


def test_links_from_a_missing_or_bad_file(kg, tmp_path):
    with pytest.raises(InvalidDataError, match="no such file"):
        link_esco(kg, tmp_path / "nope.nt")
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://x/a> <http://x/p> .\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        link_esco(kg, bad)
    assert str(info.value).startswith(str(bad)) and "\n" not in str(info.value)


# -- bad rows ------------------------------------------------------------------------


def _broken(small, tmp_path, edit):
    folder = tmp_path / "esco"
    shutil.copytree(small, folder)
    path = folder / READ["skills"]
    lines = path.read_text(encoding="utf-8").split("\n")
    number = edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")
    return folder, path, number


def _row_starts(path):
    """The line each data row starts on, worked out with the csv module."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        starts, previous = [], reader.line_num
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    return starts


def _open_last_quote(lines):
    # a row whose last cell is unquoted gets an opening quote there: the cell runs into the next rows
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("KnowledgeSkillCompetence") and not line.endswith('"') and number > 50:
            cut = line.rindex(",")
            lines[number - 1] = line[:cut + 1] + '"' + line[cut + 1:]
            return number


def _drop_a_field(lines):
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("KnowledgeSkillCompetence") and number > 50 and ",released," in line:
            lines[number - 1] = line.replace(",released,", ",", 1)
            return number


@pytest.mark.parametrize("edit, fragment", [(_open_last_quote, "quote"), (_drop_a_field, "field")])
def test_a_broken_row_names_its_first_line_and_exits_1(small, tmp_path, edit, fragment):
    from careergraph.cli.main import cli

    folder, path, number = _broken(small, tmp_path, edit)
    original = _row_starts(small / READ["skills"])
    assert number in original  # the edit is on the first line of a row
    out = tmp_path / "esco.nt"
    result = CliRunner().invoke(cli, ["import", "esco", str(folder), "-o", str(out)])
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert f"{path}:{number}:" in message and fragment in message
    assert not out.exists()


def test_the_ict_groups_can_be_chosen(small):
    occupations = rows(small, READ["occupations"])
    chosen = {r["conceptUri"] for r in occupations if r["iscoGroup"] in ("2512", "2514")}
    assert chosen  # the generator puts ICT occupations in ISCO-08's ICT groups
    result = import_esco(small, occupations=["2512", "2514"])
    assert {str(s) for s in result.graph.subjects(RDF.type, CG.Role)} == chosen
    assert result.filtered[READ["occupations"]] == len(occupations) - len(chosen)


LINK_CASES = Path(__file__).parent / "data" / "esco_links"


def _link_cases():
    with (LINK_CASES / "cases.tsv").open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#") and line.strip()]
    return [pytest.param(skill, label, link == "yes", id=f"{skill}~{label}") for skill, label, link, _ in rows]


@pytest.fixture(scope="module")
def case_links():
    kg = load(LINK_CASES / "skills.ttl", bundled=False)
    return {(kg.curie(p.skill), p.esco_label) for p in link_esco(kg, LINK_CASES / "esco.ttl")}


@pytest.mark.parametrize("skill, label, linked", _link_cases())
def test_close_matches_need_the_distinctive_words(case_links, skill, label, linked):
    """At the default cutoff, a label that shares only a common word ("management", "testing")
    with ours is no match, while an inflection of the same words is (cases written by hand)."""
    assert ((skill, label) in case_links) == linked
