"""``validate`` on a workspace runs the shapes as SPARQL in Oxigraph and finds what pySHACL finds.

pySHACL is the reference. Every case validates the same data twice: on a
workspace (the compiled SPARQL shapes of :mod:`careergraph.graph.shacl_sparql`,
the graph checks read natively, no rdflib ``Dataset``) and in rdflib's
memory with pySHACL, and the sorted Problems must be equal. The data: the
bundled dataset, every broken file the other validate tests use
(``tests/data/invalid``), and graphs from a seeded generator that breaks
each constraint kind of ``ontology/shapes.ttl`` (and adds data that must
pass, such as instances of subclasses).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import SH

from careergraph.graph import load, validate
from careergraph.graph import shacl_sparql
from careergraph.graph.checks import find_cycles, unpriced_requirements
from careergraph.graph.errors import InvalidDataError
from careergraph.graph.shacl_sparql import compile_shapes, shape_constraints
from careergraph.graph.store import KnowledgeGraph, _from_ox
from careergraph.graph.validate import _pyshacl_findings, shacl_findings
from careergraph.ontology import PREFIXES, core_path, shapes_path

DATA = Path(__file__).parent / "data"
INVALID = sorted((DATA / "invalid").glob("*cycle*.ttl")) + sorted((DATA / "invalid" / "shapes").glob("*.ttl"))
VALID = sorted((DATA / "valid").glob("*.ttl"))


# -- helpers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled_ws(tmp_path_factory):
    """A closed workspace holding the bundled dataset, copied for each case that needs it."""
    from careergraph.graph.workspace import init_workspace

    folder = tmp_path_factory.mktemp("bundled") / "ws"
    init_workspace(folder).close()
    return folder


def _workspace(tmp_path, files, bundled_ws=None):
    from careergraph.graph.workspace import init_workspace, open_workspace

    folder = tmp_path / "ws"
    if bundled_ws is not None:
        shutil.copytree(bundled_ws, folder)
        ws = open_workspace(folder)
    else:
        ws = init_workspace(folder, bundled=False)
    ws._check_cycles = lambda *args: None  # keep cycles in: validate must report them, as in memory
    for f in files:
        ws.add(f)
    return ws


def _memory_copy(kg) -> KnowledgeGraph:
    """The workspace's quads copied into rdflib's memory store, with the same sources: pySHACL's input."""
    import pyoxigraph as ox

    ds = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    for q in kg.oxigraph.quads_for_pattern(None, None, None, None):
        triple = (_from_ox(q.subject), _from_ox(q.predicate), _from_ox(q.object))
        if isinstance(q.graph_name, ox.DefaultGraph):
            ds.default_graph.add(triple)
        else:
            ds.graph(_from_ox(q.graph_name)).add(triple)
    return KnowledgeGraph(ds, kg.sources)


def _both(ws):
    """``validate`` on the workspace (compiled) and on its in-memory copy (pySHACL), plus the store-backed graph."""
    kg = ws.knowledge_graph()
    compiled = validate(kg)
    assert kg._dataset is None, "validate on a workspace made the rdflib Dataset"
    return compiled, validate(_memory_copy(kg)), kg


# -- the bundled data and the broken files of the other tests --------------------------------

def test_bundled_workspace_conforms_as_in_memory(bundled_ws, tmp_path):
    with _workspace(tmp_path, [], bundled_ws) as ws:
        compiled, reference, _ = _both(ws)
    assert compiled == reference == validate(load()) == []


@pytest.mark.parametrize("path", INVALID + VALID, ids=lambda p: p.name)
def test_broken_files_same_problems_as_pyshacl(path, bundled_ws, tmp_path):
    with _workspace(tmp_path, [path], bundled_ws) as ws:
        compiled, reference, _ = _both(ws)
    assert compiled == reference
    # and as a plain in-memory load of the file (same file names: the workspace records the absolute path)
    assert compiled == validate(load(path.resolve(), check=False))
    if path.parent.name == "shapes" or "cycle" in path.name:
        assert compiled, f"{path.name} is broken on purpose; validate must say so"


# -- generated broken graphs --------------------------------------------------------------------

HEAD = """\
@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix skill: <https://w3id.org/careergraph/skill/> .
@prefix role: <https://w3id.org/careergraph/role/> .
@prefix component: <https://w3id.org/careergraph/component/> .
@prefix posting: <https://w3id.org/careergraph/posting/> .
@prefix org: <https://w3id.org/careergraph/org/> .
@prefix person: <https://w3id.org/careergraph/person/> .
@prefix level: <https://w3id.org/careergraph/level/> .
@prefix category: <https://w3id.org/careergraph/category/> .
@prefix source: <https://w3id.org/careergraph/source/> .
@prefix ex: <https://example.org/> .
"""

# A small graph that conforms: one entity of every class, and instances of subclasses.
BASE = """\
ex:SoftSkill rdfs:subClassOf cg:Skill .
ex:Internship rdfs:subClassOf cg:JobPosting .
ex:Startup rdfs:subClassOf ex:Company . ex:Company rdfs:subClassOf cg:Organization .
category:c a cg:SkillCategory ; rdfs:label "Cat" .
skill:a a cg:Skill ; skos:prefLabel "A"@en, "A"@de ; cg:effortHours "10.5"^^xsd:decimal ; cg:inCategory category:c .
skill:b a cg:Skill ; skos:prefLabel "B"@en ; cg:effortHours 20.0 ; cg:prerequisite skill:a .
skill:broad a cg:Skill ; skos:prefLabel "Broad"@en .
skill:n1 a cg:Skill ; skos:prefLabel "N1"@en ; skos:broader skill:broad ; cg:effortHours 5.0 .
skill:soft a ex:SoftSkill ; skos:prefLabel "Soft"@en ; cg:effortHours 3.0 .
role:r a cg:Role ; rdfs:label "R" ; cg:needsSkill skill:a, skill:soft ; cg:responsibilities "Ship"@en .
component:c a cg:Component ; rdfs:label "C"@en ; cg:staffedBy role:r .
org:o a cg:Organization ; rdfs:label "O" .
org:s a ex:Startup ; rdfs:label "S" .
level:mid a cg:SeniorityLevel ; rdfs:label "Mid" ; cg:levelRank 2 .
posting:p a cg:JobPosting ; schema:title "P" ; schema:hiringOrganization org:s ; schema:url <https://x.org/1> ;
    cg:seniority level:mid ; cg:requiresSkill skill:a, skill:broad, skill:soft ; cg:prefersSkill skill:b .
posting:i a ex:Internship ; schema:title "I" ; cg:requiresSkill skill:b .
person:ana a cg:Person ; rdfs:label "Ana" ; cg:hasSkill skill:a ; cg:lacksSkill skill:b ; cg:targetsRole role:r ;
    cg:targetSeniority level:mid ; cg:yearsOfExperience 0.0 .
source:s a cg:SeedSection ; rdfs:label "Seed" .
"""

# Each breaks one constraint (or checks an edge of one); the comment says which.
BREAKS = [
    "skill:x1 a cg:Skill .",                                                      # minCount prefLabel
    'skill:x2 a cg:Skill ; skos:prefLabel "X"@en, "Y"@en .',                      # uniqueLang
    'skill:x3 a cg:Skill ; skos:prefLabel "X"@en, "Y"@en-GB, "Z" .',              # uniqueLang passes
    'skill:x4 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours 1.0, 2.0 .',    # maxCount hours
    'skill:x5 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours "eighty"^^xsd:decimal .',  # ill-typed
    'skill:x6 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours -5.0 .',        # minExclusive
    'skill:x7 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours 0.0 .',         # minExclusive at the bound
    'skill:x8 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours 40 .',          # integer, not decimal
    'skill:x9 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours "40" .',        # string
    'skill:x10 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours skill:a .',    # IRI
    'skill:x11 a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours "1e3"^^xsd:decimal .',   # lexical edge
    'skill:x13 a cg:Skill ; skos:prefLabel "X"@en ; cg:prerequisite role:r .',    # class prerequisite
    'skill:x14 a cg:Skill ; skos:prefLabel "X"@en ; cg:prerequisite "a skill" .',  # class: a literal
    'skill:x15 a cg:Skill ; skos:prefLabel "X"@en ; cg:prerequisite skill:soft ; cg:effortHours 1.0 .',  # subclass passes
    'skill:x16 a cg:Skill ; skos:prefLabel "X"@en ; cg:prerequisite skill:n1 ; skos:broader skill:n1 .',  # disjoint
    'skill:x17 a cg:Skill ; skos:prefLabel "X"@en ; skos:broader category:c .',   # class broader
    'skill:x18 a cg:Skill ; skos:prefLabel "X"@en ; cg:inCategory skill:a .',     # class inCategory
    'skill:x19 a ex:SoftSkill .',                                                  # target through a subclass
    "[] a cg:Skill ; cg:effortHours -1.0 .",                                        # a blank focus node
    "category:x a cg:SkillCategory .",                                             # minCount label
    "role:x1 a cg:Role .",                                                         # minCount label
    'role:x2 a cg:Role ; rdfs:label "X" ; cg:needsSkill role:r .',                 # class needsSkill
    'role:x3 a cg:Role ; rdfs:label "X" ; cg:responsibilities "Plain" .',          # datatype langString
    'role:x4 a cg:Role ; rdfs:label "X" ; cg:responsibilities "Plain"^^xsd:string .',  # datatype langString
    "component:x1 a cg:Component .",                                               # minCount x2
    'component:x2 a cg:Component ; rdfs:label "Plain" ; cg:staffedBy skill:a .',   # datatype, class
    "posting:x1 a cg:JobPosting .",                                                # minCount title, skills
    'posting:x2 a ex:Internship ; cg:requiresSkill skill:a .',                     # subclass target, no title
    'posting:x3 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; '
    'schema:hiringOrganization org:o, org:s .',                                    # maxCount org
    'posting:x4 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; '
    'schema:hiringOrganization skill:a .',                                         # class org
    'posting:x5 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; '
    'schema:url "https://x.org/2", <https://x.org/3> .',                           # nodeKind, maxCount url
    'posting:x6 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; cg:seniority org:o .',  # class
    'posting:x7 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; '
    'cg:seniority level:mid, level:x .',                                           # maxCount, class
    'posting:x8 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:missing .',  # class, unpriced
    'posting:x9 a cg:JobPosting ; schema:title "X" ; cg:requiresSkill skill:a ; cg:prefersSkill skill:a, org:o .',
    "org:x a cg:Organization .",                                                   # minCount label
    "org:y a ex:Startup .",                                                        # target via two subclasses
    'person:x1 a cg:Person ; cg:hasSkill skill:a, role:r ; cg:lacksSkill skill:a, org:o .',  # label, class, disjoint
    'person:x2 a cg:Person ; rdfs:label "X" ; cg:targetsRole skill:a ; cg:targetSeniority level:mid, org:o .',
    'person:x3 a cg:Person ; rdfs:label "X" ; cg:yearsOfExperience -1.0, "abc" .',  # minInclusive, datatype, max
    'person:x4 a cg:Person ; rdfs:label "X" ; cg:yearsOfExperience 0 .',            # integer: datatype
    "level:x a cg:SeniorityLevel ; cg:levelRank 1.5, 3 .",                         # label, datatype, maxCount
    'level:y a cg:SeniorityLevel ; rdfs:label "Y" ; cg:levelRank "one"^^xsd:integer .',  # ill-typed integer
    "source:x a cg:UserData .",                                                    # Source label via subclass
    "skill:c1 a cg:Skill ; skos:prefLabel 'C1'@en ; cg:prerequisite skill:c2 .\n"
    "skill:c2 a cg:Skill ; skos:prefLabel 'C2'@en ; cg:prerequisite skill:c1 .",   # prerequisite cycle
    "skill:u a cg:Skill ; skos:prefLabel 'U'@en . role:r cg:needsSkill skill:u .",  # unpriced requirement
]


def broken_graph(seed: int) -> str:
    """The base graph and a seeded choice of the breaks (seed 0: all of them)."""
    rng = random.Random(seed)
    chosen = BREAKS if seed == 0 else [b for b in BREAKS if rng.random() < 0.35]
    return HEAD + BASE + "\n".join(chosen) + "\n"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_generated_graphs_same_problems_as_pyshacl(seed, tmp_path):
    data = tmp_path / f"broken-{seed}.ttl"
    data.write_text(broken_graph(seed), encoding="utf-8")
    with _workspace(tmp_path, [core_path(), data]) as ws:
        compiled, reference, kg = _both(ws)
        # the raw SHACL results agree too, not only the Problems made of them
        assert shacl_findings(kg) == _pyshacl_findings(_memory_copy(kg))
    assert compiled == reference
    assert ("posting:x1" in {p.entity for p in compiled}) == ("posting:x1 a" in data.read_text())


def test_generated_job_market_same_problems_as_pyshacl(tmp_path):
    """The benchmark generator's tiny scale (thousands of triples) with every break added."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate", Path(__file__).parent.parent / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.generate("T", 5, tmp_path)
    broken = tmp_path / "broken.ttl"
    broken.write_text(broken_graph(0), encoding="utf-8")
    with _workspace(tmp_path, [core_path(), tmp_path / "T.nt", broken]) as ws:
        compiled, reference, _ = _both(ws)
    assert compiled == reference
    assert {p.file for p in compiled} == {str(broken)}  # the generated market itself conforms


def test_every_constraint_is_broken_by_the_generator(tmp_path):
    """Seed 0 breaks every compiled constraint of shapes.ttl at least once."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(core_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:core"))
    store.load(broken_graph(0).encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    unbroken = []
    for c in shape_constraints():
        if not shacl_sparql.check_store(store, [c]):
            unbroken.append((c.kind, str(c.path), c.message))
    assert unbroken == []


def test_min_count_plans_agree():
    """``sh:minCount`` by lookups (NOT EXISTS) and by one scan (MINUS) find the same focus nodes."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(broken_graph(0).encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    found = {}
    for c in (c for c in shape_constraints() if c.kind == "minCount"):
        rows = [{r["f"].value for r in store.query(c.query(scan=scan), use_default_graph_as_union=True)}
                for scan in (False, True)]
        assert rows[0] == rows[1], c.message
        found[c.message] = rows[0]
    assert "https://w3id.org/careergraph/posting/x1" in found["A job posting needs a title (schema:title)."]


def test_disjoint_plans_agree_and_the_smaller_property_goes_first():
    """``sh:disjoint`` with either property read first finds the same pairs; the one with fewer
    triples (counted only as far as needed) is put first."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(broken_graph(0).encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    disjoint = [c for c in shape_constraints() if c.kind == "disjoint"]
    assert disjoint
    for c in disjoint:
        rows = [{(r["f"].value, r["v"].value) for r in
                 store.query(c.query(other_first=first), use_default_graph_as_union=True)} for first in (False, True)]
        assert rows[0] == rows[1] and rows[0], c.message
    p, q, g = (ox.NamedNode(f"http://x/{n}") for n in ("p", "q", "g"))
    for n in range(3000):  # 3000 p triples, 2000 q triples, both past the first count's cap
        store.add(ox.Quad(ox.NamedNode(f"http://x/s{n}"), p, ox.Literal(str(n)), g))
        if n < 2000:
            store.add(ox.Quad(ox.NamedNode(f"http://x/s{n}"), q, ox.Literal(str(n)), g))
    assert shacl_sparql._fewer(store, "?f <http://x/p> ?v", "?f <http://x/q> ?v")
    assert not shacl_sparql._fewer(store, "?f <http://x/q> ?v", "?f <http://x/p> ?v")
    assert not shacl_sparql._fewer(store, "?f <http://x/q> ?v", "?f <http://x/q> ?v")  # a tie keeps the order


def test_graph_checks_read_the_store_natively(tmp_path):
    data = tmp_path / "broken.ttl"
    data.write_text(broken_graph(0), encoding="utf-8")
    with _workspace(tmp_path, [core_path(), data]) as ws:
        kg = ws.knowledge_graph()
        cycles, unpriced = find_cycles(kg), unpriced_requirements(kg)
        assert kg._dataset is None
        copy = _memory_copy(kg)
    assert cycles == find_cycles(copy) and [n for n, _ in cycles]
    assert unpriced == unpriced_requirements(copy)
    assert {str(s).rsplit("/", 1)[-1] for s in unpriced} >= {"u", "missing"}


# -- the compiler reads the shapes file and refuses what it does not know -------------------------

def _shapes(extra: str) -> Graph:
    return Graph().parse(data=HEAD + "@prefix sh: <http://www.w3.org/ns/shacl#> .\n" + extra, format="turtle")


def test_shapes_are_read_at_run_time():
    g = Graph().parse(shapes_path())
    # every property shape of shapes.ttl is compiled: each message, and one constraint per parameter value
    assert {c.message for c in shape_constraints()} == {str(m) for m in g.objects(None, SH.message)}
    assert len(shape_constraints()) == sum(1 for s in g.objects(None, SH.property)
                                           for p in shacl_sparql.PARAMETERS for _ in g.objects(s, p))
    # and what the graph says is what runs: change a message, get the new one
    shape = sorted(g.objects(None, SH.property), key=str)[0]
    old = str(g.value(shape, SH.message))
    g.set((shape, SH.message, Literal("changed")))
    messages = {c.message for c in compile_shapes(g) if c.shape == shape}
    assert messages == {"changed"} and old not in {c.message for c in compile_shapes(g) if c.shape == shape}


@pytest.mark.parametrize("shape, error", [
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:property [ sh:path rdfs:label ; sh:pattern \"^a\" ; "
     "sh:message \"m\" ] .", "sh:pattern"),
    ("ex:S a sh:NodeShape ; sh:targetNode skill:a ; sh:property [ sh:path rdfs:label ; sh:minCount 1 ; "
     "sh:message \"m\" ] .", "sh:targetNode"),
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:class cg:Skill .", "sh:class"),
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:property [ sh:path [ sh:inversePath rdfs:label ] ; "
     "sh:minCount 1 ; sh:message \"m\" ] .", "path expression"),
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .",
     "no sh:message"),
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:property [ sh:path rdfs:label ; sh:minCount 1 ; "
     "sh:message \"m\", \"n\" ] .", "2 values of sh:message"),
    ("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; sh:property [ sh:path rdfs:label ; sh:minCount \"x\" ; "
     "sh:message \"m\" ] .", "sh:minCount"),
])
def test_unknown_shacl_is_refused(shape, error):
    with pytest.raises(InvalidDataError, match=error):
        compile_shapes(_shapes(shape))


OTHER_SHAPES = """
ex:Both a sh:NodeShape ; sh:targetClass cg:Skill, cg:Role ;
    sh:property [ sh:path rdfs:label ; sh:minCount 2 ; sh:uniqueLang true ; sh:message "two labels" ] ;
    sh:property [ sh:path cg:inCategory ; sh:maxCount 0 ; sh:severity sh:Info ; sh:message "no category" ] ;
    sh:property [ sh:path rdfs:comment ; sh:nodeKind sh:BlankNodeOrLiteral ; sh:message "comment kind" ] ;
    sh:property [ sh:path ex:since ; sh:datatype xsd:date ; sh:message "a date" ] ;
    sh:property [ sh:path ex:flag ; sh:datatype xsd:boolean ; sh:severity sh:Warning ; sh:message "a flag" ] ;
    sh:property [ sh:path ex:code ; sh:minInclusive "m" ; sh:message "code from m" ] ;
    sh:property [ sh:path ex:rank ; sh:datatype xsd:integer ; sh:minExclusive 1 ; sh:maxCount 1 ; sh:message "rank" ] ;
    sh:property [ sh:path ex:link ; sh:class cg:Skill, ex:Linked ; sh:message "two classes" ] ;
    sh:property [ sh:path ex:same ; sh:disjoint ex:same ; sh:message "disjoint with itself" ] .
"""

OTHER_DATA = """
ex:Linked rdfs:subClassOf ex:Top . ex:Sub rdfs:subClassOf ex:Linked .
skill:a a cg:Skill ; rdfs:label "A"@en, "a"@EN, "x" ; cg:inCategory category:c ; rdfs:comment <https://x.org> ;
    ex:since "2020-01-01"^^xsd:date, "2020-13-01"^^xsd:date, "yesterday" ; ex:flag true, "maybe"^^xsd:boolean ;
    ex:code "n", "a", 3 ; ex:rank 2, "1"^^xsd:decimal ; ex:link skill:b, skill:a, [ a ex:Sub, cg:Skill ] ; ex:same "s" .
skill:b a cg:Skill, ex:Sub ; rdfs:label "B" ; rdfs:comment "fine", [ rdfs:label "note" ] ; ex:rank "0"^^xsd:integer .
role:r a cg:Role ; rdfs:label "R"@en, "R"@de ; ex:flag "1"^^xsd:boolean ; ex:rank "7.0"^^xsd:integer .
"""


def test_other_constraints_agree_with_pyshacl():
    """Parameters our shapes do not use yet (minCount 2, maxCount 0, other node kinds and datatypes,
    a string bound, two classes, several targets, other severities) give pySHACL's results too."""
    import pyoxigraph as ox
    import pyshacl
    from rdflib import RDF

    shapes = _shapes(OTHER_SHAPES)
    store = ox.Store()
    store.load((HEAD + OTHER_DATA).encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    data = Graph()  # the same terms as the store holds (Oxigraph writes literals in canonical form)
    for q in store.quads_for_pattern(None, None, None, None):
        data.add((_from_ox(q.subject), _from_ox(q.predicate), _from_ox(q.object)))
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    expected = {shacl_sparql.Finding(report.value(r, SH.focusNode), report.value(r, SH.value),
                                     str(report.value(r, SH.resultMessage)), report.value(r, SH.resultSeverity))
                for r in report.subjects(RDF.type, SH.ValidationResult)}
    found = shacl_sparql.check_store(store, compile_shapes(shapes))
    assert found == expected
    assert {f.message for f in found} == {str(m) for m in shapes.objects(None, SH.message)}


def test_severity_and_deactivation_follow_the_shape(tmp_path):
    import pyoxigraph as ox

    shapes = _shapes("ex:S a sh:NodeShape ; sh:targetClass cg:Skill ; "
                     "sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:severity sh:Warning ; sh:message \"w\" ] ; "
                     "sh:property [ sh:path rdfs:comment ; sh:minCount 1 ; sh:deactivated true ; sh:message \"d\" ] .")
    store = ox.Store()
    store.load((HEAD + "skill:a a cg:Skill .").encode(), format=ox.RdfFormat.TURTLE)
    found = shacl_sparql.check_store(store, compile_shapes(shapes))
    assert [(f.message, f.severity) for f in found] == [("w", SH.Warning)]


def test_ill_typed_values_are_findings_not_logged_tracebacks(caplog):
    import logging

    import pyoxigraph as ox

    store = ox.Store()
    store.load((HEAD + 'skill:x a cg:Skill ; skos:prefLabel "X"@en ; cg:effortHours "eighty"^^xsd:decimal .')
               .encode(), format=ox.RdfFormat.TURTLE)
    with caplog.at_level(logging.WARNING):
        found = shacl_sparql.check_store(store)
    assert {str(f.value) for f in found} == {"eighty"}
    assert not [r for r in caplog.records if "Failed to convert" in r.getMessage()]
