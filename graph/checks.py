"""Whole-graph checks that SHACL cannot express cheaply: cycles and unpriced skills."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG

__all__ = ["find_cycles", "find_cycle", "unpriced_requirements", "undeclared_references", "ACYCLIC"]

#: Relations that must be acyclic, with the name used in messages.
ACYCLIC = ((CG.prerequisite, "cg:prerequisite"), (SKOS.broader, "skos:broader"))


def find_cycle(edges: dict) -> list | None:
    """One cycle of the directed graph ``{node: successors}``, first node repeated last.

    Deterministic: nodes and successors are visited in sorted order. None when acyclic.
    Iterative, so deep chains do not hit the recursion limit.

    Examples
    --------
    >>> find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({"a": ["b"], "b": []}) is None
    True
    """
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict = {}
    for start in sorted(edges):
        if colour.get(start, WHITE) != WHITE:
            continue
        stack = [(start, iter(sorted(edges.get(start, ()))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, successors = stack[-1]
            for nxt in successors:
                state = colour.get(nxt, WHITE)
                if state == GREY:
                    return path[path.index(nxt):] + [nxt]
                if state == WHITE:
                    colour[nxt] = GREY
                    path.append(nxt)
                    stack.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    break
            else:
                colour[node] = BLACK
                path.pop()
                stack.pop()
    return None


def _pairs(kg, prop) -> list:
    """``(subject, object)`` of every ``prop`` triple in any source, as rdflib terms (repeats possible).

    On Oxigraph (a workspace) the pairs are read natively: the IRI pairs
    serialised in bulk (:mod:`.native`), the few others (blank nodes,
    literals) term by term. The rdflib ``Dataset`` is not made.
    """
    store = kg.oxigraph
    if store is None:
        return list(kg.graph.subject_objects(prop))
    from .native import select_iris
    from .store import _from_ox

    # a literal object comes back as its text: DATATYPE (empty for an IRI) tells which rows those are
    rows = select_iris(store, f"SELECT ?s ?o (DATATYPE(?o) AS ?d) WHERE {{ ?s <{prop}> ?o }}")
    pairs = [(URIRef(s), URIRef(o)) for s, o, d in rows if s is not None and o is not None and d is None]
    if len(pairs) < len(rows):  # a blank node or a literal: read those rows as terms
        others = store.query(f"SELECT ?s ?o WHERE {{ ?s <{prop}> ?o FILTER(!isIRI(?s) || !isIRI(?o)) }}",
                             use_default_graph_as_union=True)
        pairs.extend((_from_ox(row["s"]), _from_ox(row["o"])) for row in others)
    return pairs


def _subjects(kg, prop) -> set:
    """Every subject of a ``prop`` triple, as rdflib terms."""
    store = kg.oxigraph
    if store is None:
        return set(kg.graph.subjects(prop, None))
    from .store import _from_ox

    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ ?s <{prop}> ?o }}", use_default_graph_as_union=True)
    return {_from_ox(row["s"]) for row in rows}


def _iri_objects(kg, props) -> set:
    """Every IRI object of a triple of one of ``props``."""
    store = kg.oxigraph
    if store is None:
        return {o for prop in props for o in kg.graph.objects(None, prop) if isinstance(o, URIRef)}
    from .native import select_iris

    found = set()
    for prop in props:  # one query each: Oxigraph scans a VALUES or UNION of them several times slower
        # DISTINCT first: an expression on each of a million rows costs seconds in Oxigraph
        query = f"SELECT ?o (DATATYPE(?o) AS ?d) WHERE {{ {{ SELECT DISTINCT ?o WHERE {{ ?s <{prop}> ?o }} }} }}"
        found.update(URIRef(o) for o, d in select_iris(store, query) if o is not None and d is None)
    return found


def find_cycles(kg) -> list[tuple[list[URIRef], str]]:
    """One cycle per acyclic relation that has any, as ``(nodes, relation name)``.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> find_cycles(load())
    []
    """
    found = []
    for prop, name in ACYCLIC:
        edges: dict = {}
        for s, o in _pairs(kg, prop):
            edges.setdefault(s, set()).add(o)
        cycle = find_cycle(edges)
        if cycle:
            found.append((cycle, name))
    return found


def unpriced_requirements(kg) -> list[URIRef]:
    """Skills something requires that have no effort hours and no priced narrower skill.

    A skill is priced when it has any ``cg:effortHours``; it can be learned
    when it is priced or one of its narrower skills (``skos:broader``,
    transitively) can. Required skills are the IRI objects of
    ``cg:requiresSkill``, ``cg:needsSkill`` and ``cg:prerequisite``.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> unpriced_requirements(load())
    []
    """
    learnable = _subjects(kg, CG.effortHours)
    broader: dict = {}
    for s, o in _pairs(kg, SKOS.broader):
        broader.setdefault(s, set()).add(o)
    stack = list(learnable)  # what a learnable skill is narrower than can be learned through it
    while stack:
        for b in broader.get(stack.pop(), ()):
            if b not in learnable:
                learnable.add(b)
                stack.append(b)
    required = _iri_objects(kg, (CG.requiresSkill, CG.needsSkill, CG.prerequisite))
    return sorted(s for s in required if s not in learnable)


def undeclared_references(store, graph) -> dict:
    """What graph ``graph`` of an Oxigraph ``store`` points at but no graph declares.

    The properties and classes are the shapes' ``sh:class`` constraints
    (``cg:requiresSkill`` values are ``cg:Skill``, ``cg:staffedBy`` values
    ``cg:Role``...). A value is declared when any graph of the store types it
    as the class or a subclass of it (``rdfs:subClassOf``). Read as a few
    DISTINCT scans of the one graph and a lookup per class: 3.1 s for the
    1.9M triples of the L benchmark file (measured on a busy 2-core machine).

    Returns
    -------
    dict
        ``{class IRI: sorted IRIs}`` for the classes with undeclared values;
        empty when everything ``graph`` points at is declared.
    """
    from rdflib.namespace import RDFS

    from .native import select_iris
    from .shacl_sparql import shape_constraints

    wanted: dict = {}
    for c in shape_constraints():
        if c.kind == "class" and isinstance(c.value, URIRef):
            wanted.setdefault(str(c.value), set()).add(str(c.path))
    name = f"<{graph}>"
    found: dict = {}
    for cls, props in sorted(wanted.items()):
        values = set()
        for prop in sorted(props):
            query = f"SELECT DISTINCT ?o WHERE {{ GRAPH {name} {{ ?s <{prop}> ?o }} }}"
            values.update(o for (o,) in select_iris(store, query, literals=False) if o is not None)
        if not values:
            continue
        query = (f"SELECT DISTINCT ?o WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> . ?o a ?c }}")
        values -= {o for (o,) in select_iris(store, query, literals=False)}
        if values:
            found[cls] = sorted(values)
    return found
