"""SHACL shapes compiled to SPARQL SELECTs that Oxigraph runs over a whole store.

pySHACL validates an rdflib graph, so checking a workspace with it means
copying every triple into rdflib first (minutes for the two million triples
of a big job market). This module reads the shapes (``ontology/shapes.ttl``)
at run time and turns each constraint into one ``SELECT ?f ?v``: the focus
nodes and values that break it, computed by Oxigraph over the union of the
store's graphs. Nothing is copied; a graph that conforms costs one scan of
each constrained property.

The results are the ones pySHACL (0.40, no inference) reports for the same
data, as a set of ``(focus, value, message, severity)``
(:class:`Finding`). Only the SHACL Core subset our shapes use is compiled:

========================  =======================================================
Shapes                    ``sh:NodeShape`` with ``sh:targetClass`` (instances of
                          the class or of a subclass, ``rdf:type/rdfs:subClassOf*``
                          in the data) and ``sh:property`` shapes whose ``sh:path``
                          is one IRI; ``sh:message`` (exactly one per property
                          shape), ``sh:severity``, ``sh:deactivated``.
Constraints               ``sh:minCount``, ``sh:maxCount``, ``sh:class``,
                          ``sh:datatype``, ``sh:nodeKind``, ``sh:disjoint``,
                          ``sh:minInclusive``, ``sh:minExclusive``, ``sh:uniqueLang``.
========================  =======================================================

Anything else in the ``sh:`` namespace on a shape (another constraint or
target, a path expression, a shape without a message) raises
:class:`~careergraph.graph.errors.InvalidDataError` naming the shape, so a
new shape is never silently ignored.

Two constraints depend on how rdflib reads a literal: ``sh:datatype`` (an
ill-typed literal such as ``"eighty"^^xsd:decimal`` fails) and the
``sh:min*`` comparisons. For those the query returns every value Oxigraph
does not accept outright (Oxigraph is the stricter of the two about lexical
forms) and each such candidate is decided as pySHACL decides it, on the
rdflib term; a store whose data conforms has no candidates.

References
----------
.. [1] W3C, "Shapes Constraint Language (SHACL)", https://www.w3.org/TR/shacl/
   (2.1.3.1 class-based targets, 4 core constraint components).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from .errors import InvalidDataError

__all__ = ["Constraint", "Finding", "compile_shapes", "shape_constraints", "check_store"]

#: The constraint parameters compiled, in the order a shape's constraints are listed.
PARAMETERS = (SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.nodeKind, SH.disjoint,
              SH.minInclusive, SH.minExclusive, SH.uniqueLang)
#: ``sh:`` properties of a property shape that are not constraints and that the compiler reads or may ignore.
_PROPERTY_KEYS = {SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
                  SH.group, SH.defaultValue}
#: ``sh:`` properties of a node shape understood here (none of them a node-level constraint).
_NODE_KEYS = {SH.targetClass, SH.property, SH.deactivated, SH.name, SH.description, SH.message, SH.severity}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "(isIRI(?v) || isBlank(?v))",
    SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))",
}
#: Datatypes whose well-formed literals Oxigraph recognises (``isNumeric``) and rdflib accepts too.
_NUMERIC = {XSD.decimal, XSD.integer, XSD.float, XSD.double, XSD.int, XSD.long, XSD.short, XSD.byte,
            XSD.nonNegativeInteger, XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger,
            XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort, XSD.unsignedByte}
_TYPE = f"<{RDF.type}>/<{RDFS.subClassOf}>*"


@dataclass(frozen=True)
class Constraint:
    """One constraint of one property shape, for the focus nodes of its node shape's target classes.

    Attributes
    ----------
    shape : rdflib term
        The property shape (a blank node of the shapes graph, usually).
    targets : tuple of URIRef
        The ``sh:targetClass`` values of the node shape.
    path : URIRef
        The property (``sh:path``).
    parameter : URIRef
        The constraint parameter, such as ``sh:minCount``.
    value : rdflib term
        Its value in the shape, such as ``Literal(1)``.
    message : str
        The shape's ``sh:message``.
    severity : URIRef
        ``sh:Violation`` (the default), ``sh:Warning`` or ``sh:Info``.
    """

    shape: object
    targets: tuple
    path: URIRef
    parameter: URIRef
    value: object
    message: str
    severity: URIRef = SH.Violation

    @property
    def kind(self) -> str:
        """The parameter's local name: ``"minCount"``, ``"class"``..."""
        return self.parameter[len(str(SH)):]

    def query(self, *, scan: bool = False, other_first: bool = False) -> str | None:
        """The SPARQL SELECT of the focus nodes (``?f``) and values (``?v``) that break it.

        None when the constraint cannot fail (``sh:minCount 0``, ``sh:uniqueLang false``).
        ``scan`` (``sh:minCount 1`` only): remove the subjects of all of
        ``path``'s triples from the focus nodes (``MINUS``, which reads every
        triple once) instead of looking each focus node up (``NOT EXISTS``);
        measured on Oxigraph, a lookup costs about as much as reading four triples.
        ``other_first`` (``sh:disjoint`` only): the other property's triples are
        read first, which Oxigraph makes the side it hashes: the cheaper plan
        when it has fewer triples than ``path``.

        Examples
        --------
        >>> from rdflib import BNode
        >>> c = Constraint(BNode(), (URIRef("http://x/C"),), URIRef("http://x/p"), SH.nodeKind, SH.IRI, "m")
        >>> "FILTER(!(isIRI(?v)))" in c.query()
        True
        """
        p, kind, value = f"<{self.path}>", self.kind, self.value
        if kind == "minCount":
            n = int(value)
            if n <= 0:
                return None
            if n == 1 and scan:
                return f"SELECT DISTINCT ?f WHERE {{ {{ {self._focus()} }} MINUS {{ ?f {p} ?v }} }}"
            if n == 1:
                return f"SELECT DISTINCT ?f WHERE {{ {self._focus()} FILTER NOT EXISTS {{ ?f {p} ?v }} }}"
            return (f"SELECT ?f WHERE {{ {self._focus()} OPTIONAL {{ ?f {p} ?v }} }} "
                    f"GROUP BY ?f HAVING (COUNT(DISTINCT ?v) < {n})")
        if kind == "maxCount":
            core = f"SELECT ?f WHERE {{ ?f {p} ?v }} GROUP BY ?f HAVING (COUNT(DISTINCT ?v) > {int(value)})"
            return self._targeted("?f", core)
        if kind == "class":
            return self._targeted("?f ?v", f"SELECT ?f ?v WHERE {{ {{ ?f {p} ?v }} MINUS {{ ?v {_TYPE} <{value}> }} }}")
        if kind == "datatype":
            accepted = _accepted(value)
            ok = f"isLiteral(?v) && DATATYPE(?v) = <{value}>" + (f" && {accepted}" if accepted else "")
            return self._targeted("?f ?v", f"SELECT ?f ?v WHERE {{ ?f {p} ?v FILTER(!({ok})) }}")
        if kind == "nodeKind":
            return self._targeted("?f ?v", f"SELECT ?f ?v WHERE {{ ?f {p} ?v FILTER(!({_NODE_KINDS[value]})) }}")
        if kind == "disjoint":
            # two sub-SELECTs are hash-joined; a join of two patterns looks up each row of the first
            # (measured on 1M and 150k triples: 2.5 s against 2.5 s or 15 s by the order). The
            # first is the side hashed: the smaller first is cheaper (see _plan)
            sides = [f"{{ SELECT ?f ?v WHERE {{ ?f {p} ?v }} }}", f"{{ SELECT ?f ?v WHERE {{ ?f <{value}> ?v }} }}"]
            both = " ".join(reversed(sides) if other_first else sides)
            return self._targeted("?f ?v", f"SELECT ?f ?v WHERE {{ {both} }}")
        if kind in ("minInclusive", "minExclusive"):
            op = ">=" if kind == "minInclusive" else ">"
            test = f"COALESCE(?v {op} {value.n3()}, false)"
            return self._targeted("?f ?v", f"SELECT ?f ?v WHERE {{ ?f {p} ?v FILTER(!{test}) }}")
        if kind == "uniqueLang":
            if value.toPython() is not True:
                return None
            core = (f"SELECT ?f ?lang WHERE {{ ?f {p} ?v FILTER(LANG(?v) != \"\") }} "
                    "GROUP BY ?f (LCASE(LANG(?v)) AS ?lang) HAVING (COUNT(DISTINCT ?v) > 1)")
            return self._targeted("?f ?lang", core)
        raise AssertionError(kind)  # compile_shapes admits only PARAMETERS

    def _focus(self) -> str:
        values = " ".join(f"<{t}>" for t in self.targets)
        return f"VALUES ?target {{ {values} }} ?f {_TYPE} ?target ."

    def _targeted(self, variables: str, core: str) -> str:
        # the violations first, then their focus nodes' classes: Oxigraph evaluates in the
        # order written, and looking up each target's values one by one is many times slower
        return f"SELECT DISTINCT {variables} WHERE {{ {{ {core} }} {self._focus()} }}"

    def decide(self, value) -> bool:
        """Whether ``value`` (an rdflib term the query returned) breaks the constraint, as pySHACL decides.

        Only ``sh:datatype`` and ``sh:min*`` queries return candidates that
        may still conform; every other row is a violation.
        """
        kind = self.kind
        if kind == "datatype":
            return not _datatype_matches(value, self.value)
        if kind in ("minInclusive", "minExclusive"):
            return not _in_range(value, self.value, inclusive=kind == "minInclusive")
        return True


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result: as pySHACL's ``sh:ValidationResult``, reduced to what careergraph reports.

    ``value`` is None when the result has no ``sh:value`` (``sh:minCount``,
    ``sh:maxCount``, ``sh:uniqueLang``).
    """

    focus: object
    value: object
    message: str
    severity: URIRef


def _accepted(datatype) -> str:
    """A SPARQL test that a literal of ``datatype`` is certainly well formed for rdflib too ("" for true)."""
    if datatype in (RDF.langString, XSD.string):
        return ""
    if datatype in _NUMERIC:
        return "isNumeric(?v)"
    return "false"  # any other datatype: every value is decided in Python


def _datatype_matches(v, rule) -> bool:
    """pySHACL 0.40's ``DatatypeConstraintComponent`` test of one value node."""
    from datetime import date, datetime, time
    from decimal import Decimal

    if not isinstance(v, Literal):
        return False
    if v.datatype == rule:
        if getattr(v, "ill_typed", None) is True:
            return False
    elif rule == RDFS.Literal or (rule == RDFS.Datatype and v.datatype):
        return True
    elif not (v.datatype is None and v.language is None and rule == XSD.string) and \
            not (rule == RDF.langString and v.language):
        return False
    kinds = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
             XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}
    return rule not in kinds or isinstance(v.value, kinds[rule])


def _in_range(v, bound, *, inclusive: bool) -> bool:
    """pySHACL 0.40's ``sh:minInclusive`` / ``sh:minExclusive`` test of one value node."""
    if not isinstance(v, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(v.value, str):
        return False
    from pyshacl.rdfutil.compare import compare_literal  # only when a candidate needs deciding

    try:
        order = compare_literal(v, bound)
    except (TypeError, NotImplementedError, ArithmeticError):  # pySHACL lets ArithmeticError (NaN) escape
        return False
    return order >= 0 if inclusive else order > 0


def _one(g: Graph, node, prop, what: str, path: Path):
    found = list(g.objects(node, prop))
    if len(found) > 1:
        raise InvalidDataError(f"shape {_name(node)} has {len(found)} values of {_short(prop)}; "
                               f"the SPARQL validator needs one {what}", path=path)
    return found[0] if found else None


def _name(node) -> str:
    from .resolve import curie

    return curie(node) if isinstance(node, URIRef) else f"_:{node}"


def _short(prop) -> str:
    return "sh:" + prop[len(str(SH)):] if str(prop).startswith(str(SH)) else f"<{prop}>"


def _refuse_unknown(g: Graph, node, allowed, what: str, path: Path) -> None:
    for prop in sorted(set(g.predicates(node, None))):
        if str(prop).startswith(str(SH)) and prop not in allowed:
            raise InvalidDataError(
                f"{what} {_name(node)} uses {_short(prop)}, which careergraph's SPARQL validator does not "
                "compile; extend graph/shacl_sparql.py (and its tests) before using it", path=path)


def _deactivated(g: Graph, node) -> bool:
    return any(v.toPython() is True for v in g.objects(node, SH.deactivated) if isinstance(v, Literal))


def compile_shapes(g: Graph, *, path=None) -> list[Constraint]:
    """Every constraint of the shapes graph ``g``, ready to run with :func:`check_store`.

    Parameters
    ----------
    g : rdflib.Graph
        A SHACL shapes graph.
    path : Path, optional
        The file ``g`` came from, named in errors.

    Returns
    -------
    list of Constraint
        One per (property shape, parameter value), in a stable order.

    Raises
    ------
    InvalidDataError
        A shape uses SHACL this compiler does not know (a target other than
        ``sh:targetClass``, a node-level constraint, a path expression, an
        unknown parameter), or a property shape has no ``sh:message`` or
        several.

    Examples
    --------
    >>> from careergraph.ontology import shapes_path
    >>> cs = compile_shapes(Graph().parse(shapes_path()))
    >>> sorted({c.kind for c in cs})[:3]
    ['class', 'datatype', 'disjoint']
    """
    path = Path(path) if path is not None else None
    nodes = set(g.subjects(RDF.type, SH.NodeShape))
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        nodes.update(g.subjects(prop, None))
    properties = set(g.objects(None, SH.property)) | set(g.subjects(SH.path, None))
    properties |= set(g.subjects(RDF.type, SH.PropertyShape))
    for node in properties:
        _refuse_unknown(g, node, _PROPERTY_KEYS | set(PARAMETERS), "property shape", path)
        if node in nodes:
            raise InvalidDataError(f"property shape {_name(node)} has its own target; the SPARQL validator "
                                   "compiles property shapes of node shapes only", path=path)
    constraints = []
    for node in sorted(nodes, key=str):
        _refuse_unknown(g, node, _NODE_KEYS, "node shape", path)
        if (node, RDF.type, RDFS.Class) in g:
            raise InvalidDataError(f"node shape {_name(node)} is also a class (an implicit target); "
                                   "give it sh:targetClass instead", path=path)
        targets = tuple(sorted(g.objects(node, SH.targetClass), key=str))
        if not targets or _deactivated(g, node):
            continue  # pySHACL validates no focus node against it either
        for shape in sorted(g.objects(node, SH.property), key=str):
            constraints.extend(_property_constraints(g, shape, targets, path))
    return constraints


def _property_constraints(g: Graph, shape, targets: tuple, path) -> list[Constraint]:
    if _deactivated(g, shape):
        return []
    prop = _one(g, shape, SH.path, "sh:path", path)
    if not isinstance(prop, URIRef):
        raise InvalidDataError(f"property shape {_name(shape)} has "
                               f"{'no sh:path' if prop is None else 'a path expression'}; the SPARQL "
                               "validator compiles a single property IRI", path=path)
    message = _one(g, shape, SH.message, "message", path)
    if message is None:
        raise InvalidDataError(f"property shape {_name(shape)} (sh:path {_name(prop)}) has no sh:message; "
                               "careergraph's shapes each say what to fix", path=path)
    severity = _one(g, shape, SH.severity, "severity", path) or SH.Violation
    if not isinstance(severity, URIRef):
        raise InvalidDataError(f"property shape {_name(shape)}: sh:severity must be an IRI", path=path)
    found = []
    for parameter in PARAMETERS:
        for value in sorted(g.objects(shape, parameter), key=str):
            _check_value(shape, parameter, value, path)
            found.append(Constraint(shape, targets, prop, parameter, value, str(message), severity))
    return found


def _check_value(shape, parameter, value, path) -> None:
    """Refuse a parameter value the query could not use safely."""
    kind = parameter[len(str(SH)):]
    ok = True
    if kind in ("minCount", "maxCount"):
        ok = isinstance(value, Literal) and isinstance(value.toPython(), int) and not isinstance(value.toPython(), bool)
    elif kind in ("class", "datatype", "disjoint"):
        ok = isinstance(value, URIRef) and not any(c in str(value) for c in '<>"{}|^`\\ ')
    elif kind == "nodeKind":
        ok = value in _NODE_KINDS
    elif kind in ("minInclusive", "minExclusive"):
        ok = isinstance(value, Literal) and not getattr(value, "ill_typed", False)
    elif kind == "uniqueLang":
        ok = isinstance(value, Literal) and isinstance(value.toPython(), bool)
    if not ok:
        raise InvalidDataError(f"property shape {_name(shape)}: {_short(parameter)} {value.n3()} is not a "
                               "value the SPARQL validator understands", path=path)


@lru_cache(maxsize=4)
def _parsed(path: str, mtime: float) -> tuple:
    g = Graph().parse(path, format="turtle")
    return tuple(compile_shapes(g, path=Path(path)))


def shape_constraints(path=None) -> list[Constraint]:
    """The constraints of a shapes file (default: careergraph's ``ontology/shapes.ttl``), read when called.

    Examples
    --------
    >>> cs = shape_constraints()
    >>> any(c.kind == "uniqueLang" for c in cs)
    True
    """
    from careergraph.ontology import shapes_path

    path = Path(path) if path is not None else shapes_path()
    return list(_parsed(str(path), path.stat().st_mtime))


def _count(store, pattern: str, cap: int | None = None) -> int:
    inner = f"SELECT * WHERE {{ {pattern} }}" + (f" LIMIT {cap}" if cap is not None else "")
    (row,) = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {inner} }}", use_default_graph_as_union=True)
    return int(row["n"].value)


def _cheaper_to_scan(store, c: Constraint) -> bool:
    """Whether ``c.path`` has fewer than four triples per focus node (counted no further than that)."""
    cap = 4 * _count(store, c._focus())
    return cap > 0 and _count(store, f"?f <{c.path}> ?v", cap) < cap


def _fewer(store, first: str, second: str) -> bool:
    """Whether pattern ``second`` matches fewer triples than ``first``, both counted no further
    than needed (in all, about four times the smaller count)."""
    cap = 4096
    while True:
        a, b = _count(store, first, cap), _count(store, second, cap)
        if a < cap or b < cap:
            return b < a
        cap *= 2


def _plan(store, c: Constraint) -> dict:
    """The options of :meth:`Constraint.query` that make ``c`` cheapest on this store.

    ``sh:disjoint``: Oxigraph hashes the side of a join written first, so the
    property with fewer triples goes first (at L, requirements and
    preferences: 0.8 s of Oxigraph CPU time where the other order took 2.1 s; counting
    them takes 0.4 s).
    """
    if c.kind == "minCount":
        return {"scan": _cheaper_to_scan(store, c)}
    if c.kind == "disjoint":
        return {"other_first": _fewer(store, f"?f <{c.path}> ?v", f"?f <{c.value}> ?v")}
    return {}


def _run(store, c: Constraint) -> set[Finding]:
    """The findings of one constraint (its query, then :meth:`Constraint.decide` on each row)."""
    from .store import _from_ox

    query = c.query(**_plan(store, c))
    found: set[Finding] = set()
    if query is None:
        return found
    with_value = c.kind not in ("minCount", "maxCount", "uniqueLang")
    for row in store.query(query, use_default_graph_as_union=True):
        value = _from_ox(row["v"]) if with_value else None
        if value is None or c.decide(value):
            found.add(Finding(_from_ox(row["f"]), value, c.message, c.severity))
    return found


def check_store(store, constraints=None, *, workers: int | None = None) -> set[Finding]:
    """Every SHACL finding in a pyoxigraph ``store``, over the union of its graphs.

    Parameters
    ----------
    store : pyoxigraph.Store
        Queried with ``use_default_graph_as_union``; only the results are read into Python.
    constraints : list of Constraint, optional
        Default: :func:`shape_constraints` of careergraph's shapes.
    workers : int, optional
        Queries run at once (Oxigraph evaluates them without holding
        Python's lock). Default: the number of CPUs, at most 4.

    Returns
    -------
    set of Finding
        Terms are rdflib terms, as oxrdflib would give them, so messages
        print values as pySHACL run on the same store would.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> st = ox.Store()
    >>> cg = "https://w3id.org/careergraph/"
    >>> st.add(ox.Quad(ox.NamedNode(cg + "skill/x"), ox.NamedNode(str(RDF.type)), ox.NamedNode(cg + "ns#Skill")))
    >>> [f.message for f in check_store(st)]
    ['A skill needs a preferred name (skos:prefLabel).']
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    if constraints is None:
        constraints = shape_constraints()
    workers = workers or min(4, os.cpu_count() or 1)
    found: set[Finding] = set()
    rdflib_log = logging.getLogger("rdflib.term")
    rdflib_log.addFilter(_quiet_ill_typed)  # each ill-typed value is a finding; no traceback for it
    try:
        if workers <= 1:
            for c in constraints:
                found |= _run(store, c)
            return found
        with ThreadPoolExecutor(workers) as pool:
            for part in pool.map(lambda c: _run(store, c), constraints):
                found |= part
        return found
    finally:
        rdflib_log.removeFilter(_quiet_ill_typed)


def _quiet_ill_typed(record) -> bool:
    """A logging filter: drop rdflib's warning (with a traceback) about a literal it cannot convert."""
    return not str(record.msg).startswith("Failed to convert Literal lexical form")
