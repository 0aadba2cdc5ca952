"""Run SPARQL safely: refuse what reaches outside the graph, bind parameters, stop runaway queries.

rdflib executes ``SERVICE <url>`` (it sends the query to that host),
``LOAD``, ``FROM``/``FROM NAMED`` and ``USING`` (it fetches URLs and reads
local files), and it has no query timeout. careergraph therefore

* parses every query first and refuses SPARQL Update and those clauses,
  looking at the parse tree (a string literal that says "SERVICE" is fine);
* binds values only through ``initBindings`` on a prepared query;
* evaluates in a child process (``fork`` where the platform has it: the
  child shares the loaded graph, so starting it costs milliseconds) that is
  killed when the time limit passes, and caps the number of rows.

Queries may use careergraph's prefixes (``cg:``, ``skill:``, ``role:``,
``posting:``, ``skos:``, ``schema:``...; see
:data:`careergraph.ontology.PREFIXES`) without PREFIX lines; a PREFIX line in
the query overrides them.

Every backend answers the same query with the same rows (``kg.backend``):

* ``"rdflib"`` (in memory): rdflib's evaluator, values bound through
  ``initBindings``.
* ``"oxigraph"`` (a workspace, ``--store``, or :func:`query_graph`, the
  bundled data in an in-memory store): pyoxigraph evaluates the query
  itself, in a forked child like rdflib's (the child reads the same open
  store; a timeout kills it). Values enter the text through
  :func:`inline_bindings`, as escaped SPARQL terms. Rows come back as the
  TSV Oxigraph writes (read by :func:`careergraph.graph.results.from_tsv`),
  and a named query's final ``ORDER BY`` of plain variables is done in
  Python after Oxigraph evaluates the rest (:func:`_order_plan`): Oxigraph
  reads both IRIs from disk at every comparison of its sort (on the L
  workspace, 20 of the 35 s postings-by-seniority took). The rows are
  sorted on keys read from the TSV text, and only the rows kept by the
  limit are made rdflib terms (:func:`_sort_tsv`): 10,000 of 100,000 for
  ``query run``'s default limit.
  Some named queries take another way to the same rows there: a text whose
  patterns Oxigraph joins by hashing (:data:`OXIGRAPH_TEXTS`), or, for
  ``skills-in-several-postings``, counts read from the workspace's saved
  compiled index when it is exact for the data
  (:func:`careergraph.graph.demand.asked_counts`); tests run each beside the
  ``.rq`` text.
* ``"endpoint"`` (``--endpoint``): the text with the values inlined the same
  way is sent to the server (see :mod:`careergraph.graph.endpoint`).

Named queries are careergraph's own text: on Oxigraph and endpoints they are
sent as they are (:func:`text_type` reads their form), so rdflib's SPARQL
parser, a third of a second to import, is loaded only for user text and for
rdflib's evaluator.

Results come back as rdflib terms; ``xsd:string`` literals become plain
literals, as rdflib's own parsers make them. Oxigraph writes numbers in their
canonical form (``80.0`` as ``80``), so numeric literals of other backends
equal rdflib's by value (``Literal.eq``), not always by lexical form.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import operator
import os
import re
import sys
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Mapping

from typing import TYPE_CHECKING

from rdflib import RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef

from careergraph.ontology import PREFIXES

from .errors import QueryError, QueryTimeoutError, UsageError
from .results import QueryResult, _tsv_cell, from_tsv

if TYPE_CHECKING:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.sparql import Query

# rdflib's SPARQL parser (pyparsing) takes a third of a second to import; it is
# imported on first use, so a named query run on Oxigraph never pays for it.

__all__ = [
    "DEFAULT_TIMEOUT",
    "START_METHOD",
    "prepare",
    "query_type",
    "bind_parameters",
    "sparql_term",
    "inline_bindings",
    "with_prefixes",
    "from_oxigraph",
    "run_sparql",
    "run_named",
    "query_graph",
    "OXIGRAPH_TEXTS",
]

#: Seconds a query may run before it is stopped, unless the caller says otherwise.
DEFAULT_TIMEOUT = 30.0

#: How the evaluation process starts: ``fork`` (fast, shares the loaded graph)
#: where available, else ``spawn`` (the graph is sent to the child as N-Quads).
START_METHOD = "fork" if hasattr(os, "fork") else "spawn"  # multiprocessing's test, without its import

_QUERY_TYPES = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
                "DescribeQuery": "DESCRIBE"}
_UPDATE_NAMES = {"InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
                 "Modify": "DELETE/INSERT", "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP",
                 "Create": "CREATE", "Add": "ADD", "Move": "MOVE", "Copy": "COPY"}
_UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


# -- parsing and the safety check --------------------------------------------------

def _nodes(node):
    """Every CompValue in a parse tree, depth first."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for value in node:
            yield from _nodes(value)


def _raw(node: CompValue, key: str):
    """A parse-tree field, or None (``CompValue.get`` answers a Variable for missing keys)."""
    return dict.get(node, key)


def _show(term) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, CompValue) and term.name == "pname":  # an unexpanded CURIE
        return f"{_raw(term, 'prefix') or ''}:{_raw(term, 'localname') or ''}"
    if isinstance(term, str):  # a variable
        return f"?{term}"
    return "<...>"


def _query_hazards(tree) -> list[str]:
    """What in a parsed query would make rdflib reach outside the loaded graph."""
    found = []
    for node in _nodes(tree):
        if node.name == "ServiceGraphPattern":
            found.append(f"SERVICE {_show(_raw(node, 'term'))} is refused: careergraph never sends "
                         "queries to other endpoints")
        elif node.name == "DatasetClause":
            keyword, iri = ("FROM NAMED", _raw(node, "named")) if "named" in node \
                else ("FROM", _raw(node, "default"))
            found.append(f"{keyword} {_show(iri)} is refused: a query reads only the loaded graph, "
                         "never other files or URLs (load files with --data)")
    return found


def _update_hazards(tree) -> list[str]:
    """Why a parsed SPARQL Update is refused: every update is, LOAD and USING first."""
    found, kinds = [], []
    for node in _nodes(tree):
        if node.name == "Load":
            found.append(f"LOAD {_show(_raw(node, 'iri'))} is refused: careergraph never fetches "
                         "files or URLs from a query (and the knowledge graph is read-only)")
        elif node.name == "Modify" and _raw(node, "using"):
            for clause in _raw(node, "using"):
                keyword, iri = ("USING NAMED", _raw(clause, "named")) if "named" in clause \
                    else ("USING", _raw(clause, "default"))
                found.append(f"{keyword} {_show(iri)} is refused: an update reads only the loaded graph "
                             "(and the knowledge graph is read-only)")
        if node.name in _UPDATE_NAMES:
            kinds.append(_UPDATE_NAMES[node.name])
    if not found:
        what = ", ".join(dict.fromkeys(kinds)) or "update"
        found.append(f"SPARQL Update ({what}) is refused: the knowledge graph is read-only")
    return found


def _syntax_error(err) -> QueryError:
    """A one-line message: where the parser stopped, the text from there, what it expected."""
    line = str(err.line)
    start = max(0, min(err.col - 1, len(line)))
    rest = " ".join(line[start:].split())
    if len(rest) > 60:
        rest = rest[:59] + "…"
    expected = str(err.msg).replace("Expected", "expected", 1)
    return QueryError(f"SPARQL syntax error at line {err.lineno}, column {err.col}: cannot read "
                      f"{rest!r} ({expected})" if rest else
                      f"SPARQL syntax error at line {err.lineno}, column {err.col}: "
                      f"the query ends too early ({expected})")


def _mask_strings_and_iris(text: str) -> str:
    """``text`` with IRIs, strings and comments blanked (same length), to locate a prefix."""
    pattern = re.compile(r'<[^<>"{}|^`\\\s]*>|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                         r"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _unknown_prefix(text: str, prefix: str) -> QueryError:
    masked = _mask_strings_and_iris(text)
    where = ""
    m = re.search(rf"(?<![\w:?$.-]){re.escape(prefix)}:", masked)
    if m:
        line = masked.count("\n", 0, m.start()) + 1
        column = m.start() - (masked.rfind("\n", 0, m.start()) + 1) + 1
        shown = " ".join(text.splitlines()[line - 1].split())
        where = f" at line {line}, column {column} (in: {shown})"
    known = ", ".join(f"{p}:" for p in PREFIXES)
    return QueryError(f"unknown prefix {prefix + ':'!r}{where}; declare it with "
                      f"PREFIX {prefix}: <...>; careergraph pre-declares {known}")


@functools.lru_cache(maxsize=128)
def prepare(text: str) -> Query:
    """Parse and check a SPARQL query, ready to run with ``initBindings``.

    This is ``rdflib.plugins.sparql.prepareQuery(text, initNs=PREFIXES)`` with
    the safety check between parsing and translation.

    Raises
    ------
    QueryError
        The text is empty, malformed (the message names the line and column
        and shows the text there), uses an unknown prefix, is a SPARQL Update,
        or uses SERVICE, FROM or FROM NAMED (and LOAD or USING in updates).

    Examples
    --------
    >>> query_type(prepare("ASK { ?s a cg:Skill }"))
    'ASK'
    >>> try:
    ...     prepare("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    ... except QueryError as err:
    ...     print(err)
    SERVICE <http://example.org/sparql> is refused: careergraph never sends queries to other endpoints
    """
    if not text or not text.strip():
        raise QueryError("the query is empty")
    try:
        return _prepare(text)
    except RecursionError as err:  # pyparsing recurses once per nesting level
        raise QueryError("the query is nested too deeply for the SPARQL parser") from err


def _prepare(text: str) -> Query:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        tree = parseQuery(text)
    except ParseException as query_err:
        try:
            update = parseUpdate(text)
        except ParseException:
            word = re.match(r"[A-Za-z]*", text[query_err.loc:]).group().upper()
            if word in _UPDATE_KEYWORDS:  # the query parser stopped at an update's first keyword
                raise QueryError(f"SPARQL Update ({word}) is refused: the knowledge graph is read-only "
                                 "(and this update does not parse either)") from query_err
            raise _syntax_error(query_err) from query_err
        if not _raw(update, "request"):  # only PREFIX/BASE lines
            raise _syntax_error(query_err) from query_err
        raise QueryError("; ".join(_update_hazards(update)))
    hazards = _query_hazards(tree)
    if hazards:
        raise QueryError("; ".join(hazards))
    try:
        return translateQuery(tree, base=None, initNs=PREFIXES)
    except Exception as err:  # rdflib raises bare Exception for most translation errors
        m = re.match(r"Unknown namespace prefix\s*:\s*(\S*)", str(err))
        if m:
            raise _unknown_prefix(text, m.group(1)) from err
        raise QueryError(f"invalid query: {err}") from err


def query_type(query: Query) -> str:
    """``"SELECT"``, ``"ASK"``, ``"CONSTRUCT"`` or ``"DESCRIBE"``."""
    return _QUERY_TYPES.get(query.algebra.name, query.algebra.name)


_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.I)


def text_type(text: str) -> str:
    """The form of a trusted query (careergraph's named queries), read without parsing it.

    The first ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` keyword
    outside IRIs, strings and comments; the same answer as
    ``query_type(prepare(text))`` for a valid query, at none of the cost.
    Use :func:`prepare` for text that is not careergraph's own.

    Examples
    --------
    >>> text_type("# SELECT in a comment\\nASK { ?s ?p 'SELECT' }")
    'ASK'
    """
    m = _FORM.search(_mask_strings_and_iris(text))
    if m is None:
        raise QueryError("not a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    return m.group(1).upper()


# -- parameters ------------------------------------------------------------------------

def _describe_parameters(named) -> str:
    if not named.parameters:
        return "it takes no parameters"
    return "its parameters: " + ", ".join(p.signature() for p in named.parameters)


def _convert(kg, named, param, value):
    if param.kind == "entity":
        if isinstance(value, URIRef):
            value = str(value)
        return kg.resolve(str(value), param.type)
    if param.kind == "iri":
        return value if isinstance(value, URIRef) else kg.resolve(str(value))
    text = str(value).strip()
    try:
        if param.type == "integer":
            if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError(text)
            return Literal(int(text))
        if param.type == "decimal":
            return Literal(Decimal(text))
        if param.type == "boolean":
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return Literal(lowered in ("true", "1", "yes"))
    except (ValueError, InvalidOperation) as err:
        raise UsageError(f"parameter {param.name!r} of query {named.name!r} must be "
                         f"{'an' if param.type == 'integer' else 'a'} {param.type}, not {text!r}") from err
    return Literal(str(value))


def bind_parameters(kg, named, params: Mapping) -> dict:
    """The ``initBindings`` for a named query: each value typed or resolved to an IRI.

    Entity parameters accept an IRI, a CURIE or a label (``kg.resolve``);
    literal parameters are checked against their type. Defaults apply to
    parameters not given; optional ones without a default stay unbound.

    Raises
    ------
    UsageError
        A parameter is unknown, missing or of the wrong type (the message
        lists the query's parameters); or an entity is unknown or ambiguous
        (``UnknownEntityError``, ``AmbiguousEntityError``).
    """
    for key in params:
        if named.parameter(key) is None:
            raise UsageError(f"query {named.name!r} has no parameter {key!r}; "
                             + _describe_parameters(named))
    bindings = {}
    for param in named.parameters:
        value = params.get(param.name)
        if value is None:
            if param.required:
                raise UsageError(f"query {named.name!r} needs parameter {param.name!r}; "
                                 + _describe_parameters(named))
            if param.default is None:
                continue
            value = param.default
        bindings[param.name] = _convert(kg, named, param, value)
    return bindings


# -- values in the text, for engines without initBindings ------------------------------

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANGUAGE = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NAME_END = r"(?![\w\u00B7\u0300-\u036F\u203F-\u2040])"


def sparql_term(term) -> str:
    """``term`` written as a SPARQL term: the only way a value enters a query's text.

    IRIs are checked (no characters an IRI may not hold), strings escaped,
    language tags checked; ``xsd:string`` literals are written as plain
    strings (the same term in RDF 1.1).

    Raises
    ------
    QueryError
        ``term`` is a blank node (a query cannot name a stored blank node),
        an IRI with forbidden characters, or not an rdflib term.

    Examples
    --------
    >>> from rdflib import Literal, URIRef
    >>> sparql_term(Literal('say "hi"\\n'))
    '"say \\\\"hi\\\\"\\\\n"'
    >>> sparql_term(Literal(2))
    '"2"^^<http://www.w3.org/2001/XMLSchema#integer>'
    >>> sparql_term(URIRef("https://w3id.org/careergraph/skill/dart"))
    '<https://w3id.org/careergraph/skill/dart>'
    """
    if isinstance(term, URIRef):
        if _IRI_FORBIDDEN.search(str(term)):
            raise QueryError(f"cannot write {str(term)!r} as an IRI in a query: it holds characters "
                             "an IRI may not contain")
        return f"<{term}>"
    if isinstance(term, Literal):
        body = '"' + "".join(_ESCAPES.get(ch, ch) for ch in str(term)) + '"'
        if term.language:
            if not _LANGUAGE.fullmatch(term.language):
                raise QueryError(f"cannot write language tag {term.language!r} in a query")
            return f"{body}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{body}^^{sparql_term(URIRef(term.datatype))}"
        return body
    if isinstance(term, BNode):
        raise QueryError(f"blank node _:{term} cannot be a query value outside rdflib: a query "
                         "cannot name a stored blank node")
    raise QueryError(f"cannot use {term!r} as a query value: not an rdflib term")


def _keyword(word: str) -> str:
    """A regex for a SPARQL keyword, not part of a name, a prefixed name or a variable."""
    return rf"(?<![\w:.\-?$\\]){word}(?![\w:\-])"


def _closing(masked: str, start: int, open_: str, close: str) -> int:
    """The index of the bracket closing the one at ``start`` (the end of the text if none)."""
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] == open_:
            depth += 1
        elif masked[i] == close:
            depth -= 1
            if depth == 0:
                return i
    return len(masked)


def _projections(masked: str):
    """Each SELECT's projection: (start, end, positions of its top-level items, star, WHERE's ``{``)."""
    found = []
    for m in re.finditer(_keyword("SELECT"), masked, re.I):
        i, depth, star = m.end(), 0, False
        where_kw = re.compile(_keyword("WHERE"), re.I)
        while i < len(masked):
            ch = masked[i]
            if depth == 0 and (ch == "{" or where_kw.match(masked, i)):
                break
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "*" and depth == 0:
                star = True
            i += 1
        top = set()
        depth = 0
        for j in range(m.end(), i):
            if masked[j] == "(":
                depth += 1
            elif masked[j] == ")":
                depth -= 1
            elif masked[j] in "?$" and depth == 0:
                top.add(j)
        brace = masked.find("{", i)
        found.append((m.end(), i, top, star, brace))
    return found


def _modifier_regions(masked: str):
    """The spans of GROUP BY and ORDER BY clauses, where a constant must be bracketed."""
    regions = []
    end_kw = re.compile(r"[{}]|" + "|".join(_keyword(w) for w in
                                             ("HAVING", "LIMIT", "OFFSET", "VALUES", "ORDER", "GROUP")), re.I)
    for m in re.finditer(_keyword(r"(?:GROUP|ORDER)\s+BY"), masked, re.I):
        stop = end_kw.search(masked, m.end())
        regions.append((m.end(), stop.start() if stop else len(masked)))
    return regions


def inline_bindings(text: str, bindings: Mapping) -> str:
    """``text`` with each bound variable replaced by its value, written as a SPARQL term.

    This is what rdflib's ``initBindings`` does, as query text, for engines
    that have no such thing (Oxigraph's own substitution only binds variables
    of the SELECT list; SPARQL servers have none): the variable is replaced
    everywhere in the query (subqueries, FILTERs, HAVING included); where it is
    selected, ``?v`` becomes ``(value AS ?v)`` (with ``SELECT *``, a
    ``BIND(value AS ?v)`` opens the WHERE clause) so the rows still show it;
    in GROUP BY and ORDER BY it is bracketed; ``BOUND(?v)`` becomes ``true``.
    Values are written only by :func:`sparql_term` (escaped), never pasted.

    Raises
    ------
    QueryError
        A bound variable is assigned by the query (``AS ?v``, ``VALUES ?v``),
        or a value cannot be written as a term (a blank node).

    Examples
    --------
    >>> from rdflib import URIRef
    >>> role = URIRef("https://w3id.org/careergraph/role/qa-engineer")
    >>> print(inline_bindings("SELECT ?role ?c WHERE { ?c cg:staffedBy ?role }", {"role": role}))
    SELECT (<https://w3id.org/careergraph/role/qa-engineer> AS ?role) ?c WHERE { ?c cg:staffedBy <https://w3id.org/careergraph/role/qa-engineer> }
    """
    if not bindings:
        return text
    terms = {str(name): sparql_term(value) for name, value in bindings.items()}
    masked = _mask_strings_and_iris(text)
    pattern = "|".join(re.escape(n) for n in sorted(terms, key=len, reverse=True))
    variable = re.compile(rf"(?<![\w\\])[?$]({pattern}){_NAME_END}")
    projections = _projections(masked)
    projected = set().union(*(top for _, _, top, _, _ in projections))
    modifiers = _modifier_regions(masked)
    # a variable the outermost SELECT and a sub-select both select: the sub-select's
    # (value AS ?v) puts ?v in scope, so the outer one keeps ?v, bound by a BIND opening its WHERE
    outer = [p for p in projections if _depth(masked, p[0]) == 0]
    outer_top = outer[0][2] if len(outer) == 1 and outer[0][4] >= 0 else set()
    inner_names = {m.group(1) for p in projections if p not in outer for j in p[2]
                   for m in [variable.match(masked, j)] if m}
    rebound = []
    edits = []
    for m in variable.finditer(masked):
        name, term = m.group(1), terms[m.group(1)]
        before = masked[max(0, m.start() - 400):m.start()]
        if re.search(_keyword("AS") + r"\s*\Z", before, re.I):
            raise QueryError(f"?{name} is a parameter of the query, so the query cannot assign it (AS ?{name})")
        if re.search(_keyword("VALUES") + r"\s*(\(\s*([?$][^\s()]+\s*)*)?\Z", before, re.I):
            raise QueryError(f"?{name} is a parameter of the query, so the query cannot list values "
                             f"for it (VALUES ?{name})")
        bound = re.search(_keyword("BOUND") + r"\s*\(\s*\Z", before, re.I)
        after = re.match(r"\s*\)", masked[m.end():])
        if bound and after:
            edits.append((m.start() - (len(before) - bound.start()), m.end() + after.end(), "true"))
        elif m.start() in outer_top and name in inner_names:
            rebound.append(name)
        elif m.start() in projected:
            edits.append((m.start(), m.end(), f"({term} AS ?{name})"))
        elif any(a <= m.start() < b for a, b in modifiers):
            edits.append((m.start(), m.end(), f"({term})"))
        else:
            edits.append((m.start(), m.end(), term))
    if rebound:
        brace = outer[0][4]
        edits.append((brace + 1, brace + 1, "".join(f" BIND({terms[n]} AS ?{n})" for n in dict.fromkeys(rebound))))
    for _, _, _, star, brace in projections:
        if star and brace >= 0:
            inside = masked[brace:_closing(masked, brace, "{", "}")]
            used = dict.fromkeys(m.group(1) for m in variable.finditer(inside))
            binds = "".join(f" BIND({terms[n]} AS ?{n})" for n in used)
            if binds:
                edits.append((brace + 1, brace + 1, binds))
    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def with_prefixes(text: str) -> str:
    """``text`` with PREFIX lines for careergraph's prefixes it uses but does not declare.

    For engines that do not know careergraph's prefixes (SPARQL servers).

    Examples
    --------
    >>> print(with_prefixes("ASK { skill:dart a cg:Skill }"))
    PREFIX cg: <https://w3id.org/careergraph/ns#>
    PREFIX skill: <https://w3id.org/careergraph/skill/>
    ASK { skill:dart a cg:Skill }
    """
    masked = _mask_strings_and_iris(text)
    declared = {m.group(1) for m in re.finditer(_keyword("PREFIX") + r"\s*([\w.\-]*):", masked, re.I)}
    used = {m.group(1) for m in re.finditer(r"(?<![\w.\-:?$\\])([A-Za-z][\w.\-]*|):", masked)}
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p in used and p not in declared]
    return "\n".join([*lines, text]) if lines else text


def from_oxigraph(term):
    """A pyoxigraph term as the rdflib term rdflib's parsers would make (None stays None)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=URIRef(datatype))
    raise QueryError(f"cannot read {term!r}: RDF-star triple terms are not supported")


# -- ORDER BY in Python, for Oxigraph ---------------------------------------------------
# Oxigraph compares two IRIs or strings by reading both from the store, at every
# comparison of its sort: ordering 100k postings by IRI takes 20 s on the L
# workspace, where Python sorts the same rows in a tenth of a second. For
# careergraph's named queries whose final ORDER BY lists plain variables,
# Oxigraph evaluates the query without it and Python orders the rows as SPARQL
# does (unbound, blank nodes, IRIs by their text, then literals: numbers by
# value, strings by code point, booleans false first). Values outside that
# (language-tagged strings, dates, literals of several kinds in one key) are
# ordered by Oxigraph in an empty store, the key values written as VALUES; only
# where those hold blank nodes too is the query run again with its ORDER BY.

@dataclass(frozen=True)
class _Order:
    """How to run a query without its ORDER BY and order the rows in Python."""

    text: str  # the query without its final ORDER BY; hidden keys added to the projection
    keys: tuple  # ((variable, descending), ...)
    hidden: tuple  # key variables the query does not select (dropped after sorting)
    distinct: bool  # SELECT DISTINCT: rows equal once the hidden keys are dropped are merged


class _Unsortable(Exception):
    """A sort key holds values whose SPARQL order Python does not reproduce."""


_ORDER_ITEM = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*[?$](\w+)\s*\)|[?$](\w+)" + _NAME_END + ")", re.I)
_PLAIN_PROJECTION = re.compile(r"\s*(DISTINCT\s+|REDUCED\s+)?((?:[?$]\w+" + _NAME_END + r"\s*)+)\Z", re.I)


def _depth(masked: str, index: int) -> int:
    return masked.count("{", 0, index) - masked.count("}", 0, index)


@functools.lru_cache(maxsize=64)
def _order_plan(text: str) -> _Order | None:
    """The Python ordering of a query, or None when Oxigraph must sort it.

    Only a final, outermost ``ORDER BY`` of ``?v``, ``ASC(?v)`` and
    ``DESC(?v)`` items qualifies, with nothing after it (no LIMIT or OFFSET).
    A key the query does not select is added to a projection of plain
    variables (``SELECT [DISTINCT] ?a ?b``, no GROUP BY); after sorting it
    is dropped and, under DISTINCT, repeated rows merged keeping the first:
    the order SPARQL applies them in (ORDER BY, then projection, then DISTINCT).

    Examples
    --------
    >>> plan = _order_plan("SELECT DISTINCT ?p WHERE { ?p cg:x ?r } ORDER BY DESC(?r) ?p")
    >>> plan.text, plan.keys, plan.hidden
    ('SELECT DISTINCT ?p ?r WHERE { ?p cg:x ?r } ', (('r', True), ('p', False)), ('r',))
    >>> _order_plan("SELECT ?p WHERE { ?p cg:x ?r } ORDER BY STR(?p)") is None
    True
    """
    masked = _mask_strings_and_iris(text)
    found = [m for m in re.finditer(_keyword(r"ORDER\s+BY"), masked, re.I) if _depth(masked, m.start()) == 0]
    if not found:
        return None
    order = found[-1]
    keys, i = [], order.end()
    while True:
        m = _ORDER_ITEM.match(masked, i)
        if m is None:
            break
        keys.append((m.group(2) or m.group(3), (m.group(1) or "").upper() == "DESC"))
        i = m.end()
    if not keys or masked[i:].strip():
        return None
    outer = [p for p in _projections(masked) if _depth(masked, p[0]) == 0]
    if len(outer) != 1:
        return None
    start, end, top, star, _ = outer[0]
    projection = masked[start:end]
    selected = {re.match(r"[?$](\w+)", masked[j:]).group(1) for j in top}
    selected |= set(re.findall(r"(?i)\bAS\s*[?$](\w+)", projection))
    head = re.match(r"\s*(DISTINCT|REDUCED)?", projection, re.I).group(1) or ""
    hidden = tuple(dict.fromkeys(k for k, _ in keys if k not in selected)) if not star else ()
    body = text[:order.start()]
    if hidden:
        plain = _PLAIN_PROJECTION.match(projection)
        grouped = any(_depth(masked, m.start()) == 0 for m in re.finditer(_keyword(r"GROUP\s+BY"), masked, re.I))
        if plain is None or grouped or head.upper() == "REDUCED":
            return None
        cut = start + len(projection.rstrip())
        body = body[:cut] + "".join(f" ?{k}" for k in hidden) + body[cut:]
    return _Order(body, tuple(keys), hidden, head.upper() == "DISTINCT")


_NUMERIC = {str(XSD[t]) for t in ("integer", "decimal", "float", "double", "int", "long", "short", "byte",
                                  "nonNegativeInteger", "nonPositiveInteger", "negativeInteger",
                                  "positiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
                                  "unsignedByte")}


def _literal_key(term: Literal):
    """(kind, value) of a literal in SPARQL order: numbers by value, strings, booleans."""
    if term.language:
        raise _Unsortable("language-tagged string")
    datatype = term.datatype
    if datatype is None or datatype == XSD.string:
        return 1, str(term)
    if datatype == XSD.boolean:
        value = term.toPython()
        if isinstance(value, bool):
            return 2, value
    elif str(datatype) in _NUMERIC:
        value = term.toPython()
        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool) and value == value:
            return 0, value
    raise _Unsortable(f"literal of type {datatype}")


def _column_keys(values) -> list:
    """Sort keys of one column; raises :class:`_Unsortable` where SPARQL's order is not Python's.

    A column of one kind of term (all IRIs, all numbers...) gets the plain
    values as keys, which Python compares fastest; a mixed one ``(rank, value)``.
    """
    keys, groups, kinds, made = [], set(), set(), {}  # made: by id (rows share their terms; hashing
    for v in values:  # an rdflib Literal costs more than comparing it)
        key = made.get(id(v))
        if key is None:
            if v is None:
                key = (0, "")
            elif isinstance(v, URIRef):
                key = (2, str(v))
            elif isinstance(v, BNode):
                key = (1, str(v))
            elif isinstance(v, Literal):
                kind, value = _literal_key(v)
                kinds.add(kind)
                key = (3, value)
            else:
                raise _Unsortable(repr(v))
            made[id(v)] = key
            groups.add(key[0])
        keys.append(key)
    if len(kinds) > 1:  # numbers and strings in one key: engines order them differently
        raise _Unsortable("literals of several kinds")
    if len(groups) == 1:
        return [key[1] for key in keys]
    return keys


def _tie_key(row) -> tuple:
    """A total order of whole rows, for rows the ORDER BY keys leave tied."""
    return tuple(("",) if v is None else (type(v).__name__, str(v), str(getattr(v, "datatype", None) or ""),
                                           getattr(v, "language", None) or "") for v in row)


def _engine_order(rows: list, active: list) -> list[int]:
    """Row indices in Oxigraph's ORDER BY of the key values, ties by whole rows.

    For values whose order Python does not reproduce (language-tagged
    strings, dates, literals of several kinds): the key values alone are
    sorted by Oxigraph, in an empty in-memory store (no term is read from
    disk), so the rows come in the order Oxigraph's own ORDER BY gives them.
    Blank nodes cannot be written in a query: :class:`_Unsortable`.
    """
    import pyoxigraph as ox

    ranked = sorted(range(len(rows)), key=lambda i: _tie_key(rows[i]))
    rank = {index: r for r, index in enumerate(ranked)}
    try:
        lines = "\n".join("(" + " ".join("UNDEF" if row[p] is None else sparql_term(row[p]) for p, _ in active)
                          + f" {rank[i]})" for i, row in enumerate(rows))
    except QueryError as err:
        raise _Unsortable(str(err)) from err
    variables = " ".join(f"?k{j}" for j in range(len(active)))
    keys = " ".join(f"{'DESC' if desc else 'ASC'}(?k{j})" for j, (_, desc) in enumerate(active))
    text = f"SELECT ?r WHERE {{ VALUES ({variables} ?r) {{\n{lines}\n}} }} ORDER BY {keys} ?r"
    return [ranked[int(solution[0].value)] for solution in ox.Store().query(text)]


def _order_indices(columns: list, active: list, count: int) -> tuple[list[int], list]:
    """Row indices in the order of the key ``columns``, and each row's tuple of keys (ties stay in place)."""
    composite = list(zip(*columns)) if columns else [()] * count
    indices = list(range(count))
    # stable sorts, last key first: each compares plain values, twice as fast as one sort
    # comparing tuples (100k rows of a rank and an IRI: 0.16-0.21 s against 0.35-0.37 s)
    for keys, (_, desc) in reversed(list(zip(columns, active))):
        indices.sort(key=keys.__getitem__, reverse=desc)
    return indices, composite


def _tied_runs(indices: list, composite: list):
    """The runs of ``indices`` whose keys are equal, in order."""
    i, n = 0, len(indices)
    while i < n:
        j, key = i + 1, composite[indices[i]]
        while j < n and composite[indices[j]] == key:
            j += 1
        yield indices[i:j]
        i = j


def _dropper(names: list, order: _Order):
    """The names left once the hidden keys are dropped, and a function dropping them from a row."""
    if not order.hidden:
        return names, None
    keep = [i for i, n in enumerate(names) if n not in order.hidden]
    pick = operator.itemgetter(*keep)
    return [names[i] for i in keep], (pick if len(keep) > 1 else lambda row: (pick(row),))


def _sort_rows(names: list, rows: list, order: _Order) -> tuple[list, list]:
    """``rows`` in the order of ``order.keys`` (ties in a fixed order), hidden keys dropped."""
    position = {n: i for i, n in enumerate(names)}
    active = [(position[n], desc) for n, desc in order.keys if n in position]  # a key not in
    try:  # scope is unbound everywhere
        columns = [_column_keys([row[i] for row in rows]) for i, _ in active]
    except _Unsortable:
        columns = None
    if columns is None:
        indices = _engine_order(rows, active)
        composite = [tuple(rows[i][p] for p, _ in active) for i in range(len(rows))]  # ties: in place
    else:
        indices, composite = _order_indices(columns, active, len(rows))
    ordered = []
    for run in _tied_runs(indices, composite):  # rows the keys leave tied: in the order of their whole values
        ordered.extend(sorted((rows[k] for k in run), key=_tie_key) if len(run) > 1 else [rows[run[0]]])
    names, drop = _dropper(names, order)
    rows = ordered
    if drop is not None:
        rows = [drop(row) for row in rows]
        if order.distinct:
            rows = list(dict.fromkeys(rows))
    return names, rows


def _cell_keys(cells: list) -> list:
    """:func:`_column_keys` of the terms of one column of TSV cells, read from the text.

    An IRI's key is its text and a blank node's its label, as for the
    terms, without making them; literals are read as terms (few distinct
    values in a sort key). Raises :class:`_Unsortable` where
    :func:`_column_keys` does.
    """
    if cells and all(cell[:1] == "<" for cell in cells):  # IRIs alone (often all distinct): no cache
        return [cell[1:-1] for cell in cells]
    keys, groups, kinds, made = [], set(), set(), {}
    for cell in cells:
        key = made.get(cell)
        if key is None:
            if not cell:
                key = (0, "")
            elif cell[0] == "<":
                key = (2, cell[1:-1])
            elif cell[:2] == "_:":
                key = (1, cell[2:])
            else:
                kind, value = _literal_key(_tsv_cell(cell))
                kinds.add(kind)
                key = (3, value)
            made[cell] = key
            groups.add(key[0])
        keys.append(key)
    if len(kinds) > 1:
        raise _Unsortable("literals of several kinds")
    if len(groups) == 1:
        return [key[1] for key in keys]
    return keys


def _sort_tsv(names: list, data: bytes | str, order: _Order, limit: int | None) -> tuple[list, list, bool]:
    """Oxigraph's TSV rows ordered as :func:`_sort_rows` orders their terms; only the first ``limit`` made.

    The rows are sorted on keys read from the TSV text (:func:`_cell_keys`),
    and only the rows kept (the first ``limit``, after hidden keys are dropped
    and repeated rows merged) and the rows tied with them are made rdflib
    terms: on 100k rows of which 10k are shown, most terms are never made.
    Returns the names, the rows and whether rows were left out. Raises
    :class:`_Unsortable` where the keys need Oxigraph's order.
    """
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    lines = text.split("\n")[1:]  # the first line names the variables
    if lines and lines[-1] == "":
        lines.pop()
    cells = [line.split("\t") for line in lines]
    position = {n: i for i, n in enumerate(names)}
    active = [(position[n], desc) for n, desc in order.keys if n in position]
    columns = [_cell_keys([row[i] for row in cells]) for i, _ in active]
    indices, composite = _order_indices(columns, active, len(cells))
    terms: dict = {"": None}

    def made(row):
        out = []
        for cell in row:
            term = terms.get(cell, terms)
            if term is terms:
                term = terms[cell] = _tsv_cell(cell)
            out.append(term)
        return tuple(out)

    names, drop = _dropper(names, order)
    seen = set() if drop is not None and order.distinct else None
    stop = None if limit is None else limit + 1
    rows: list = []
    for run in _tied_runs(indices, composite):
        if stop is not None and len(rows) >= stop:
            break
        group = [made(cells[k]) for k in run]
        if len(group) > 1:
            group.sort(key=_tie_key)
        for row in group:
            if drop is not None:
                row = drop(row)
                if seen is not None:
                    if row in seen:
                        continue
                    seen.add(row)
            rows.append(row)
    truncated = limit is not None and len(rows) > limit
    return names, rows[:limit] if truncated else rows, truncated


# -- evaluation ------------------------------------------------------------------------

def _evaluate(graph, query: Query, bindings: Mapping, limit: int | None):
    """Run ``query`` and return a plain, picklable answer (the child sends it back)."""
    result = graph.query(query, initBindings=dict(bindings))
    stop = None if limit is None else limit + 1
    if result.type == "SELECT":
        names = [str(v) for v in result.vars]
        rows = [tuple(row) for row in islice(iter(result), stop)]
        truncated = limit is not None and len(rows) > limit
        return ("SELECT", names, rows[:limit] if truncated else rows, truncated)
    if result.type == "ASK":
        return ("ASK", bool(result.askAnswer))
    triples = list(islice(iter(result.graph), stop))
    truncated = limit is not None and len(triples) > limit
    return (result.type, triples[:limit] if truncated else triples, truncated)


def _evaluate_oxigraph(store, text: str, kind: str, limit: int | None):
    """Run ``text`` (values already inlined) in pyoxigraph; the same answer as :func:`_evaluate`.

    Without a row limit, SELECT rows come back as the TSV bytes Oxigraph
    writes (``("TSV", names, data)``, read by :func:`_build`): serialising in
    Rust and splitting in Python is several times faster than a Python object
    per solution and per term, and bytes cross the pipe from a child process
    without pickling a term each. With a limit the solutions are read one by
    one, so the evaluation stops after ``limit + 1`` rows.
    """
    import pyoxigraph as ox

    prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    try:
        result = store.query(text, prefixes=prefixes, use_default_graph_as_union=True)
        stop = None if limit is None else limit + 1
        if isinstance(result, ox.QueryBoolean):
            return ("ASK", bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            if limit is None and names:
                return ("TSV", names, result.serialize(format=ox.QueryResultsFormat.TSV))
            rows = [tuple(from_oxigraph(solution[i]) for i in range(len(names)))
                    for solution in islice(result, stop)]
            truncated = limit is not None and len(rows) > limit
            return ("SELECT", names, rows[:limit] if truncated else rows, truncated)
        triples = [(from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
                   for t in islice(result, stop)]
    except SyntaxError as err:
        raise QueryError(f"Oxigraph cannot read the query: {' '.join(str(err).split())}") from err
    except (OSError, RuntimeError, ValueError) as err:
        raise QueryError(f"query failed: {type(err).__name__}: {' '.join(str(err).split())}") from err
    truncated = limit is not None and len(triples) > limit
    return (kind, triples[:limit] if truncated else triples, truncated)


@contextlib.contextmanager
def _no_gc():
    """The cyclic garbage collector paused (building 100k rows makes it run dozens of times)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _build(answer, order: "_Order | None" = None, limit: int | None = None) -> QueryResult:
    """The result of an answer; ``order`` sorts TSV rows in Python (see :func:`_sort_rows`)."""
    kind = answer[0]
    if kind == "TSV":
        with _no_gc():  # only new, acyclic objects: the collector would walk them again and again
            names = answer[1]
            if order is not None:
                try:
                    names, rows, truncated = _sort_tsv(names, answer[2], order, limit)
                    return QueryResult.select(names, rows, truncated=truncated)
                except _Unsortable:  # keys Python does not order: terms first, then the engine's order
                    _, rows = from_tsv(answer[2])
                    names, rows = _sort_rows(names, rows, order)
            else:
                _, rows = from_tsv(answer[2])
            truncated = limit is not None and len(rows) > limit
            return QueryResult.select(names, rows[:limit] if truncated else rows, truncated=truncated)
    if kind == "SELECT":
        return QueryResult.select(answer[1], answer[2], truncated=answer[3])
    if kind == "ASK":
        return QueryResult("ASK", boolean=answer[1])
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    for triple in answer[1]:
        graph.add(triple)
    return QueryResult(kind, graph=graph, truncated=answer[2])


def _lock_down() -> None:
    """In the child: no sockets and no loading of FROM graphs, whatever slipped through."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("careergraph: network access is disabled while a query runs")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    sparql_plugin = sys.modules.get("rdflib.plugins.sparql")  # loaded if rdflib evaluates
    if sparql_plugin is not None:
        sparql_plugin.SPARQL_LOAD_GRAPHS = False


def _reply(conn, work) -> None:
    try:
        _lock_down()
        conn.send(("ok", work()))
    except BaseException as err:  # report everything; the parent decides
        try:
            conn.send(("error", type(err).__name__, " ".join(str(err).split())[:500]))
        except Exception:
            pass
    finally:
        conn.close()


def _child_fork(conn, graph, query, bindings, limit):
    _reply(conn, lambda: _evaluate(graph, query, bindings, limit))


def _child_spawn(conn, nquads, text, bindings, limit):
    def work():
        graph = Dataset(default_union=True)
        graph.parse(data=nquads, format="nquads")
        return _evaluate(graph, prepare(text), bindings, limit)

    _reply(conn, work)


def _child_work(conn, work):
    _reply(conn, work)


#: What the fresh process of :func:`_run_oxigraph_apart` runs: the store's folder is its argument;
#: the query comes pickled on stdin and the answer (or error) goes pickled to stdout.
_OXIGRAPH_CHILD = """
import pickle, sys
text, kind, limit, prefixes = pickle.load(sys.stdin.buffer)
try:
    import pyoxigraph as ox
    store = ox.Store.read_only(sys.argv[1])
    if limit is None and kind in ("SELECT", "ASK"):  # the common case, with pyoxigraph alone (fast to start)
        try:
            result = store.query(text, prefixes=prefixes, use_default_graph_as_union=True)
        except SyntaxError as err:
            raise RuntimeError("QueryError", "Oxigraph cannot read the query: " + " ".join(str(err).split()))
        if isinstance(result, ox.QueryBoolean):
            answer = ("ok", ("ASK", bool(result)))
        elif isinstance(result, ox.QuerySolutions) and result.variables:
            answer = ("ok", ("TSV", [v.value for v in result.variables],
                             result.serialize(format=ox.QueryResultsFormat.TSV)))
        else:
            answer = None
    else:
        answer = None
    if answer is None:
        from careergraph.graph.sparql import _evaluate_oxigraph
        answer = ("ok", _evaluate_oxigraph(store, text, kind, limit))
except RuntimeError as err:
    if err.args and err.args[0] == "QueryError":
        answer = ("error", "QueryError", err.args[1])
    else:
        answer = ("error", "RuntimeError", " ".join(str(err).split())[:500])
except BaseException as err:
    answer = ("error", type(err).__name__, " ".join(str(err).split())[:500])
pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
"""


def _run_oxigraph_apart(path: str, text: str, kind: str, limit, timeout: float):
    """:func:`_evaluate_oxigraph` in a fresh Python process that opens the store read-only,
    killed after ``timeout`` seconds. Not multiprocessing's spawn, which runs the caller's
    ``__main__`` again (a script without a main guard would fail)."""
    import pickle
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", _OXIGRAPH_CHILD, path], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        out, err = child.communicate(pickle.dumps((text, kind, limit, prefixes)), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise QueryTimeoutError(f"query stopped after {timeout:g} s: it ran longer than the time limit") from None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    try:
        message = pickle.loads(out)
    except Exception:  # noqa: BLE001 - the process died: say how
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {child.returncode}"]
        raise QueryError(f"the query process ended without an answer ({detail[0]}); "
                         "it may have run out of memory") from None
    if message[0] == "error":
        if message[1] == "QueryError":  # already worded for the user
            raise QueryError(message[2])
        raise QueryError(f"query failed: {message[1]}: {message[2]}")
    return message[1]


def _run_in_child(kg, text, query, bindings, limit, timeout, method):
    if method == "fork":
        return _run_process(_child_fork, (kg.graph, query, bindings, limit), timeout, method)
    return _run_process(_child_spawn, (kg.graph.serialize(format="nquads"), text, bindings, limit),
                        timeout, method)


def _run_process(target, args, timeout, method):
    """Run ``target(conn, *args)`` in a child process; its answer, or the error it reported."""
    import multiprocessing

    ctx = multiprocessing.get_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    args = (sender, *args)
    process = ctx.Process(target=target, args=args, daemon=True, name="careergraph-query")
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise QueryTimeoutError(f"query stopped after {timeout:g} s: it ran longer than the time limit")
        message = receiver.recv()
    except EOFError:
        process.join(1)
        raise QueryError(f"the query process ended without an answer (exit code {process.exitcode}); "
                         "it may have run out of memory") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if message[0] == "error":
        if message[1] == "QueryError":  # already worded for the user
            raise QueryError(message[2])
        raise QueryError(f"query failed: {message[1]}: {message[2]}")
    return message[1]


def _run_oxigraph(store, text, kind, timeout, limit):
    """Oxigraph's answer, in a forked child when there is a time limit and fork exists.

    The child inherits the open store and only reads it, so a timeout can kill
    it at any moment without harm to the store. A store this process opened
    for writing is opened read-only in a fresh child process instead: a fork
    can inherit locks that RocksDB's background threads held at that moment,
    and the child then waits on them forever (seen in 1 of 15 queries right
    after an add). Without fork (Windows), the query runs in this process
    and the time limit is not enforced.
    """
    work = functools.partial(_evaluate_oxigraph, store, text, kind, limit)
    if timeout is None:
        return work()
    path = getattr(store, "spawn_path", None)  # a store this process writes: see _StoreHandle.spawn_path
    if path is not None:
        return _run_oxigraph_apart(path, text, kind, limit, timeout)
    if START_METHOD != "fork":
        return work()
    return _run_process(_child_work, (work,), timeout, "fork")


def _check_limits(timeout, limit) -> None:
    if timeout is not None and not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"limit must be a positive whole number, not {limit!r}")


def run_sparql(kg, text: str, *, bindings: Mapping | None = None,
               timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None) -> QueryResult:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) on the knowledge graph.

    Parameters
    ----------
    kg : KnowledgeGraph
    text : str
        The query. careergraph's prefixes are pre-declared.
    bindings : mapping, optional
        Variable name to rdflib term, bound with ``initBindings``.
    timeout : float or None
        Seconds before the query is stopped (default 30). The query runs
        in a child process (rdflib, Oxigraph; for Oxigraph only where fork
        exists); ``None`` runs it in this process with no limit (only for
        queries you trust to finish). On an endpoint it is the HTTP timeout
        of the request.
    limit : int, optional
        Return at most this many rows (or triples); ``result.truncated``
        tells whether there were more.

    Returns
    -------
    QueryResult

    Raises
    ------
    QueryError
        The query is malformed or refused (see :func:`prepare`), or failed.
    QueryTimeoutError
        It ran longer than ``timeout``.
    UsageError
        ``timeout`` or ``limit`` is not positive.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> kg = load()
    >>> result = run_sparql(kg, "SELECT ?p WHERE { ?p cg:requiresSkill skill:dart }")
    >>> sorted(kg.curie(row.p) for row in result)
    ['posting:a3f-flutter-developer-middle', 'posting:red-flutter-developer']
    """
    _check_limits(timeout, limit)
    query = prepare(text)
    return _run(kg, text, query, query_type(query), bindings, timeout, limit)


def _run(kg, text, query, kind, bindings, timeout, limit, *, trusted: bool = False) -> QueryResult:
    """Evaluate a checked query (``query`` may be None for a trusted text on Oxigraph or an endpoint).

    ``trusted`` (careergraph's named queries): on Oxigraph a final
    ``ORDER BY`` of plain variables is done in Python (see :func:`_order_plan`).
    """
    bindings = dict(bindings or {})
    backend = getattr(kg, "backend", "rdflib")
    if backend == "endpoint":
        return _build(kg.endpoint.evaluate(text, bindings, kind=kind, timeout=timeout, limit=limit))
    if backend == "oxigraph":
        plan = _order_plan(text) if trusted and kind == "SELECT" else None
        if plan is not None:
            start = time.monotonic()
            answer = _run_oxigraph(kg.oxigraph, inline_bindings(plan.text, bindings), kind, timeout, None)
            try:
                return _build(answer, plan, limit)
            except _Unsortable:  # values the Python order does not cover: Oxigraph sorts them
                if timeout is not None:
                    timeout = max(timeout - (time.monotonic() - start), 0.001)
        return _build(_run_oxigraph(kg.oxigraph, inline_bindings(text, bindings), kind, timeout, limit),
                      limit=limit)
    if query is None:
        query = prepare(text)
    if timeout is None:
        try:
            answer = _evaluate(kg.graph, query, bindings, limit)
        except Exception as err:
            raise QueryError(f"query failed: {type(err).__name__}: {err}") from err
    else:
        answer = _run_in_child(kg, text, query, bindings, limit, timeout, START_METHOD)
    return _build(answer)


def run_named(kg, name: str, /, *, timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None,
              **params) -> QueryResult:
    """Run one of careergraph's named queries (``queries/<name>.rq``).

    Parameters
    ----------
    kg : KnowledgeGraph
    name : str
        The query's name, e.g. ``"roles-of-component"`` (see
        :func:`careergraph.queries.names`).
    timeout, limit
        As for :func:`run_sparql`.
    **params
        The query's parameters: strings (IRIs, CURIEs, labels, numbers) or
        rdflib terms.

    Raises
    ------
    UsageError
        Unknown query, or an unknown, missing or malformed parameter.
    UnknownEntityError, AmbiguousEntityError
        An entity parameter names nothing, or several things.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> kg = load()
    >>> rows = run_named(kg, "roles-of-component", component="Auth & Session Service")
    >>> [kg.label(r.role) for r in rows]
    ['Backend engineer', 'DevOps engineer', 'QA engineer', 'Security engineer']
    """
    from careergraph import queries

    named = queries.get(name)
    bindings = bind_parameters(kg, named, params)
    backend = getattr(kg, "backend", "rdflib")
    if backend == "rdflib":
        return run_sparql(kg, named.text, bindings=bindings, timeout=timeout, limit=limit)
    # Oxigraph and SPARQL servers read the text themselves: a bundled query needs neither
    # rdflib's parser nor the safety check (it is careergraph's own text), only its form.
    _check_limits(timeout, limit)
    text = named.text
    if backend == "oxigraph":
        answer = _index_answer(kg, name, bindings, limit)
        if answer is not None:
            return answer
        text = OXIGRAPH_TEXTS.get(name, text)
    return _run(kg, text, None, text_type(text), bindings, timeout, limit, trusted=True)


# -- faster ways to the same rows on Oxigraph ------------------------------------------
# Oxigraph 0.5 joins the patterns of a basic graph pattern by looking each row of one up in
# the next (about 15 us a look-up), and joins sub-selects by hashing: on the L workspace,
# 100k postings joined with their levels take 1.6 s as two patterns, 0.4 s as two
# sub-selects. rdflib does the opposite: it joins a sub-select beside a plain pattern row by
# row, but two sub-selects side by side by comparing every pair of rows (42 s on 2,000
# postings, see tests/data/queries_before/README.md). So the named queries keep the shape
# rdflib runs well, and a query listed here runs on Oxigraph in this text instead: the same
# parameters, projection and ORDER BY, each pattern in a sub-select of its own.
# tests/test_query_oxigraph_shapes.py runs both texts on data where they could differ.

#: Named queries' texts for Oxigraph: the same rows as ``queries/<name>.rq``, joined by hashing.
OXIGRAPH_TEXTS = {
    # Oxigraph time on the L workspace (100k postings), medians of 3 runs side by side:
    # 2.4 s of CPU where the named query's text took 6.8 s.
    "postings-by-seniority": """\
SELECT DISTINCT ?level ?posting ?title ?organization
WHERE {
  { SELECT ?posting WHERE { ?posting a cg:JobPosting } }
  { SELECT ?posting ?level WHERE { ?posting cg:seniority ?level } }
  { SELECT ?posting ?title WHERE { ?posting schema:title ?title } }
  { SELECT ?posting ?organization WHERE { ?posting schema:hiringOrganization ?organization } }
  OPTIONAL { SELECT ?level ?rank WHERE { ?level cg:levelRank ?rank } }
}
ORDER BY ?rank ?posting
""",
}


def _several_postings(kg, bindings: Mapping, limit: int | None) -> QueryResult | None:
    """``skills-in-several-postings`` counted on the compiled index (:func:`~careergraph.graph.demand.asked_counts`).

    The counts are those of the query's GROUP BY; HAVING keeps the skills
    with at least ``min`` postings (and at least one: a skill no posting asks
    for has no group) and the rows are ordered as its ORDER BY orders them
    (most postings first, then by IRI, the order :func:`_sort_tsv` gives).
    None when the index cannot answer exactly: then the query runs.
    """
    from .demand import asked_counts

    narrower, least = bindings.get("narrower"), bindings.get("min")
    if not (isinstance(narrower, Literal) and isinstance(narrower.toPython(), bool)
            and isinstance(least, Literal) and isinstance(least.toPython(), int)):
        return None
    found = asked_counts(kg, narrower=narrower.toPython())
    if found is None:
        return None
    skills, counts = found
    import numpy as np

    kept = np.flatnonzero(counts >= max(int(least.toPython()), 1))
    ordered = sorted(kept.tolist(), key=lambda i: (-counts[i], skills[i]))
    stop = len(ordered) if limit is None else limit
    integer, made = URIRef(XSD.integer), {}  # one literal per count (rdflib makes one in 30 us)
    rows = [(URIRef(skills[i]), made.get(c) or made.setdefault(c, Literal(str(c), datatype=integer)))
            for i in ordered[:stop] for c in (int(counts[i]),)]
    return QueryResult.select(["skill", "postings"], rows, truncated=len(ordered) > stop)


#: Named queries answered from the compiled index where it is saved and exact for the data
#: (else their text runs): ``name -> function(kg, bindings, limit) -> QueryResult or None``.
_INDEX_ANSWERS = {"skills-in-several-postings": _several_postings}


def _index_answer(kg, name: str, bindings: Mapping, limit: int | None) -> QueryResult | None:
    answer = _INDEX_ANSWERS.get(name)
    return None if answer is None else answer(kg, bindings, limit)


# -- the bundled dataset in Oxigraph, for named queries -------------------------------

def query_graph():
    """The bundled dataset as a knowledge graph whose queries Oxigraph evaluates in memory.

    The same triples in the same named graphs as :func:`careergraph.graph.load`
    (without user files), parsed by pyoxigraph (milliseconds where rdflib's
    Turtle parser takes a third of a second) into an in-memory ``Store``; an
    rdflib ``Dataset`` with the same triples answers ``kg.resolve`` and
    ``kg.label``. ``kg.backend`` is ``"oxigraph"``, so :func:`run_named`
    evaluates there and never loads rdflib's SPARQL parser. Meant for running
    queries (``careergraph query run``); the bundled data is checked for
    cycles by the test suite, not here.

    Oxigraph stores decimals in canonical form (``20.0`` as ``20``), in its
    store and so in the rdflib copy; no named query returns a stored decimal,
    and the tests check that every named query gives the same rows, lexical
    forms included, as on :func:`~careergraph.graph.load`. The time limit of
    :func:`run_named` holds where fork exists (see :func:`run_sparql`).

    Examples
    --------
    >>> kg = query_graph()
    >>> kg.backend
    'oxigraph'
    >>> [kg.label(r.role) for r in run_named(kg, "roles-of-component", component="Auth & Session Service")]
    ['Backend engineer', 'DevOps engineer', 'QA engineer', 'Security engineer']
    """
    import pyoxigraph as ox

    from rdflib import RDF

    from careergraph.ontology import CG, ID_PREFIXES

    from .store import ONTOLOGY_GRAPH, KnowledgeGraph, SourceInfo, core_path, data_paths

    store = ox.Store()
    named = []
    for path in [core_path(), *data_paths()]:
        iri = ONTOLOGY_GRAPH if path == core_path() else ID_PREFIXES["source"][path.stem]
        try:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(iri)))
        except (SyntaxError, OSError) as err:
            raise QueryError(f"cannot read {path.name}: {' '.join(str(err).split())}") from err
        named.append((path, iri))

    def dataset():  # the rdflib copy, made only if a command needs more than lookups
        ds = Dataset(default_union=True)
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns, override=True, replace=True)
        terms = {}  # pyoxigraph term -> rdflib term, each converted once
        for _, iri in named:
            graph = ds.graph(iri)
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(str(iri))):
                graph.add(tuple(terms[t] if t in terms else terms.setdefault(t, from_oxigraph(t))
                                for t in (quad.subject, quad.predicate, quad.object)))
        return ds

    def first(s, p, o, g):
        return next(iter(store.quads_for_pattern(s, p, o, g)), None)

    sources = []
    for path, iri in named:
        name = ox.NamedNode(str(iri))
        if path == core_path():
            label, kind = "careergraph core ontology", "ontology"
        else:
            found = first(name, ox.NamedNode(str(RDFS.label)), None, name)
            label = found.object.value if found is not None else path.stem
            kind = next((k for k, cls in (("seed", CG.SeedSection), ("curated", CG.CuratedEstimate))
                         if first(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls)), name)), "user")
        count = sum(1 for _ in store.quads_for_pattern(None, None, None, name))
        sources.append(SourceInfo(iri, label, kind, path.name, count))
    kg = KnowledgeGraph(dataset, sources, oxigraph=store)
    kg.generation = lambda: "bundled"  # the bundled files do not change while it lives
    return kg
