"""Read one entity's surroundings from a workspace's Oxigraph store, a frontier at a time.

The focused commands (``explain``, ``viz --focus``, ``export --focus``)
used to read the whole graph into rdflib and networkx before looking at a
handful of nodes. On a workspace they now ask Oxigraph for what touches the
current frontier only: one SELECT per breadth-first level, the frontier's
IRIs passed in a ``VALUES`` block. The query texts are fixed templates;
the only thing spliced in is that ``VALUES`` block, made of IRIs that
:func:`iri_ref` has checked (they come from the store itself or from
:meth:`~careergraph.graph.store.KnowledgeGraph.resolve`).
"""

from __future__ import annotations

import re
from typing import Iterable

from rdflib import RDF, URIRef

from .errors import InvalidDataError
from .native import select_iris

__all__ = ["iri_ref", "values", "is_store_backed", "links", "quads_about", "typed"]

# What SPARQL's IRIREF production refuses inside <...> (and the space).
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

#: How many IRIs go into one VALUES block; bigger frontiers are read in several queries.
CHUNK = 20_000

_RDF_TYPE = str(RDF.type)


def iri_ref(iri) -> str:
    """``<iri>`` for a SPARQL query, after checking that it cannot end the IRI early.

    Raises
    ------
    InvalidDataError
        ``iri`` is empty or holds a character an IRI reference cannot hold.

    Examples
    --------
    >>> iri_ref("https://w3id.org/careergraph/skill/dart")
    '<https://w3id.org/careergraph/skill/dart>'
    >>> iri_ref("urn:x> } ; DROP ALL #")
    Traceback (most recent call last):
    ...
    careergraph.graph.errors.InvalidDataError: not an IRI careergraph can query: 'urn:x> } ; DROP ALL #'
    """
    text = str(iri)
    if not text or _BAD_IRI.search(text) or ":" not in text:
        raise InvalidDataError(f"not an IRI careergraph can query: {text!r}")
    return f"<{text}>"


def values(iris: Iterable) -> str:
    """The body of a ``VALUES`` block: checked IRI references separated by spaces."""
    return " ".join(iri_ref(i) for i in iris)


def is_store_backed(kg) -> bool:
    """Whether ``kg`` lives in a workspace's Oxigraph store that can be queried directly."""
    return getattr(kg, "_oxigraph", None) is not None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _select(store, template: str, nodes, *, limit: int | None = None) -> list[tuple]:
    """Rows of ``template`` with ``{values}`` replaced by the checked IRIs of ``nodes``, chunked.

    With ``limit``, each query stops after that many rows.
    """
    nodes = sorted({str(n) for n in nodes})
    suffix = "" if limit is None else f" LIMIT {int(limit)}"
    rows: list[tuple] = []
    for chunk in _chunks(nodes):
        rows.extend(select_iris(store, template.replace("{values}", values(chunk)) + suffix))
    return rows


# Triples with an IRI at both ends that touch the frontier, rdf:type left out.
# Each branch binds the frontier on one side. No DISTINCT: the callers fold
# the copies that several sources (named graphs) state, and Oxigraph's
# DISTINCT costs a quarter of the query on a frontier of 20,000 postings.
_LINKS = """SELECT ?s ?p ?o WHERE {
  { VALUES ?s { {values} } ?s ?p ?o FILTER(isIRI(?o) && ?p != <%(type)s>) }
  UNION
  { VALUES ?o { {values} } ?s ?p ?o FILTER(isIRI(?s) && ?p != <%(type)s>) }
}""" % {"type": _RDF_TYPE}


def links(store, nodes, *, limit: int | None = None) -> list[tuple[str, str, str]]:
    """Every ``(s, p, o)`` with ``s`` or ``o`` in ``nodes``, both IRIs, ``p`` not rdf:type.

    The union of the store's graphs, as plain strings; a triple that several
    graphs state may come more than once. With ``limit``, some of them: at
    most ``limit`` per query of :data:`CHUNK` nodes.
    """
    return [(s, p, o) for s, p, o in _select(store, _LINKS, nodes, limit=limit)
            if s is not None and o is not None]


# Every quad whose subject is one of the nodes (any object, with its graph).
_QUADS = """SELECT ?s ?p ?o ?g WHERE {
  VALUES ?s { {values} }
  { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o }
}"""


def quads_about(kg, nodes) -> list[tuple]:
    """``(s, p, o, g)`` of every quad whose subject is in ``nodes``, as rdflib terms.

    ``g`` is the named graph's IRI, or None for the default graph. Read with
    ``quads_for_pattern`` (one lookup per node), which keeps literals exact.
    """
    import pyoxigraph as ox

    from .store import _from_ox

    out = []
    for node in sorted({str(n) for n in nodes}):
        iri_ref(node)
        for q in kg._oxigraph.quads_for_pattern(ox.NamedNode(node), None, None, None):
            g = q.graph_name
            name = URIRef(g.value) if isinstance(g, ox.NamedNode) else None
            out.append((URIRef(node), URIRef(q.predicate.value), _from_ox(q.object), name))
    return out


_TYPED = """SELECT DISTINCT ?s ?c WHERE { VALUES ?s { {values} } ?s a ?c FILTER(isIRI(?c)) }"""


def typed(store, nodes) -> dict[str, set]:
    """The classes of each of ``nodes`` (IRI strings), for those that have one."""
    out: dict[str, set] = {}
    for s, c in _select(store, _TYPED, nodes):
        if s is not None and c is not None:
            out.setdefault(s, set()).add(c)
    return out


def _vocabulary_filter(var: str) -> str:
    """A FILTER body: ``?var`` is not a term of a vocabulary (see convert._VOCABULARIES)."""
    from .convert import _VOCABULARIES

    parts = []
    for ns in _VOCABULARIES:
        iri_ref(ns)  # constant namespaces; checked all the same before they enter a query
        parts.append(f'!STRSTARTS(STR(?{var}), "{ns}")')
    return " && ".join(parts)


def _relation_filter() -> str:
    """A FILTER body: ``?p`` links two entities (not rdf:type, not schema:url, see convert)."""
    from .convert import _NOT_RELATIONS

    return " && ".join(f"?p != {iri_ref(p)}" for p in sorted(_NOT_RELATIONS))

