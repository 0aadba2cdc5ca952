"""Closed Python namespaces for careergraph's terms and identifier prefixes."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["CG", "ESCO", "SCHEMA", "BASE", "ID_PREFIXES", "PREFIXES"]

BASE = "https://w3id.org/careergraph/"


class CG(DefinedNamespace):
    """The careergraph core ontology (``ontology/core.ttl``).

    The namespace is closed: ``CG.Skil`` raises ``AttributeError`` at import
    time of the module that misspells it.
    """

    _NS = Namespace(BASE + "ns#")
    _fail = True

    # classes
    Component: URIRef
    Role: URIRef
    Skill: URIRef
    SkillCategory: URIRef
    JobPosting: URIRef
    Organization: URIRef
    Person: URIRef
    SeniorityLevel: URIRef
    Source: URIRef
    SeedSection: URIRef
    CuratedEstimate: URIRef
    UserData: URIRef
    # object properties
    staffedBy: URIRef
    needsSkill: URIRef
    requiresSkill: URIRef
    prefersSkill: URIRef
    seniority: URIRef
    hasSkill: URIRef
    lacksSkill: URIRef
    focusArea: URIRef
    targetsRole: URIRef
    targetSeniority: URIRef
    previousEmployer: URIRef
    prerequisite: URIRef
    inCategory: URIRef
    # datatype properties
    effortHours: URIRef
    responsibilities: URIRef
    keySkillsText: URIRef
    yearsOfExperience: URIRef
    levelRank: URIRef
    section: URIRef
    sourceFile: URIRef
    tripleCount: URIRef
    sha256: URIRef
    addedAt: URIRef


ESCO = Namespace("http://data.europa.eu/esco/model#")
SCHEMA = Namespace("https://schema.org/")

#: Prefixes of the identifiers of our own entities, one per kind.
ID_PREFIXES = {
    "component": Namespace(BASE + "component/"),
    "role": Namespace(BASE + "role/"),
    "skill": Namespace(BASE + "skill/"),
    "category": Namespace(BASE + "category/"),
    "posting": Namespace(BASE + "posting/"),
    "org": Namespace(BASE + "org/"),
    "person": Namespace(BASE + "person/"),
    "level": Namespace(BASE + "level/"),
    "source": Namespace(BASE + "source/"),
}

#: Every prefix careergraph binds, for CURIEs in and out.
PREFIXES = {
    "cg": Namespace(BASE + "ns#"),
    **ID_PREFIXES,
    "skos": Namespace("http://www.w3.org/2004/02/skos/core#"),
    "schema": SCHEMA,
    "esco": ESCO,
    "rdf": Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    "rdfs": Namespace("http://www.w3.org/2000/01/rdf-schema#"),
    "owl": Namespace("http://www.w3.org/2002/07/owl#"),
    "xsd": Namespace("http://www.w3.org/2001/XMLSchema#"),
    "dcterms": Namespace("http://purl.org/dc/terms/"),
}
