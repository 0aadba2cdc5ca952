"""Whole-graph checks that SHACL cannot express cheaply: cycles and unpriced skills."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG

__all__ = ["find_cycles", "find_cycle", "unpriced_requirements", "ACYCLIC"]

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


def find_cycles(kg) -> list[tuple[list[URIRef], str]]:
    """One cycle per acyclic relation that has any, as ``(nodes, relation name)``."""
    found = []
    for prop, name in ACYCLIC:
        edges: dict = {}
        for s, o in kg.graph.subject_objects(prop):
            edges.setdefault(s, set()).add(o)
        cycle = find_cycle(edges)
        if cycle:
            found.append((cycle, name))
    return found


def unpriced_requirements(kg) -> list[URIRef]:
    """Skills something requires that have no effort hours and no priced narrower skill."""
    g = kg.graph
    priced = set(g.subjects(CG.effortHours, None))
    narrower: dict = {}
    for s, o in g.subject_objects(SKOS.broader):
        narrower.setdefault(o, set()).add(s)

    def learnable(skill, seen=()):
        if skill in priced:
            return True
        return any(n not in seen and learnable(n, seen + (skill,)) for n in narrower.get(skill, ()))

    required = set()
    for prop in (CG.requiresSkill, CG.needsSkill, CG.prerequisite):
        required.update(o for o in g.objects(None, prop) if isinstance(o, URIRef))
    return sorted(s for s in required if not learnable(s))
