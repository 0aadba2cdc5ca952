"""The ontology, the shapes and the bundled dataset are well-formed and agree with each other."""

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG, ESCO, SCHEMA, core_path, data_paths, shapes_path

ALL_TTL = [core_path(), shapes_path(), *data_paths()]


@pytest.fixture(scope="module")
def core():
    return Graph().parse(core_path(), format="turtle")


@pytest.mark.parametrize("path", ALL_TTL, ids=lambda p: p.name)
def test_every_ttl_parses(path):
    assert len(Graph().parse(path, format="turtle")) > 0


def test_bundled_data_conforms_to_shapes(kg):
    from careergraph.graph import validate

    assert validate(kg) == []


def _terms(core):
    ns = str(CG._NS)
    return {s for s in core.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(ns) and s != URIRef(ns)}


def test_namespace_and_core_ttl_match_both_ways(core):
    in_ttl = {str(t)[len(str(CG._NS)):] for t in _terms(core)}
    in_python = set(CG.__annotations__)
    assert in_ttl == in_python


def test_misspelt_term_fails():
    with pytest.raises(AttributeError):
        CG.Skil  # noqa: B018


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_class_and_property_has_label_and_comment(core, kind):
    terms = list(core.subjects(RDF.type, kind))
    assert terms
    for term in terms:
        assert core.value(term, RDFS.label) is not None, term
        assert core.value(term, RDFS.comment) is not None, term


def test_every_class_has_a_shape(core):
    shapes = Graph().parse(shapes_path(), format="turtle")
    from rdflib.namespace import SH

    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in core.subjects(RDF.type, OWL.Class):
        # subclasses of cg:Source are covered by the cg:Source shape
        assert cls in targeted or (cls, RDFS.subClassOf, CG.Source) in core, cls


def test_every_shape_constraint_has_a_message():
    from rdflib.namespace import SH

    shapes = Graph().parse(shapes_path(), format="turtle")
    props = list(shapes.objects(None, SH.property))
    assert props
    for prop in props:
        assert shapes.value(prop, SH.message) is not None, shapes.value(prop, SH.path)


@pytest.mark.parametrize("term, relation, external", [
    (CG.Skill, RDFS.subClassOf, SKOS.Concept),
    (CG.Skill, RDFS.subClassOf, ESCO.Skill),
    (CG.Role, RDFS.subClassOf, ESCO.Occupation),
    (CG.JobPosting, RDFS.subClassOf, SCHEMA.JobPosting),
    (CG.Person, RDFS.subClassOf, SCHEMA.Person),
    (CG.Organization, RDFS.subClassOf, SCHEMA.Organization),
    (CG.requiresSkill, RDFS.subPropertyOf, ESCO.relatedEssentialSkill),
    (CG.requiresSkill, RDFS.subPropertyOf, SCHEMA.skills),
    (CG.prefersSkill, RDFS.subPropertyOf, ESCO.relatedOptionalSkill),
    (CG.needsSkill, RDFS.subPropertyOf, ESCO.relatedEssentialSkill),
    (CG.hasSkill, RDFS.subPropertyOf, SCHEMA.knowsAbout),
])
def test_alignment_with_standard_vocabularies(core, term, relation, external):
    assert (term, relation, external) in core


def test_one_schema_org_namespace_everywhere():
    for path in ALL_TTL:
        text = Path(path).read_text(encoding="utf-8")
        assert "http://schema.org/" not in text, path.name


def test_every_bundled_file_describes_its_source(kg):
    from careergraph.ontology import ID_PREFIXES

    for path in data_paths():
        iri = ID_PREFIXES["source"][path.stem]
        g = kg.dataset.graph(iri)
        assert (iri, RDF.type, None) in g, path.name
        assert g.value(iri, RDFS.label) is not None
