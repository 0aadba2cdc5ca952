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
"""

from __future__ import annotations

import functools
import multiprocessing
import re
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Mapping

from pyparsing import ParseException, ParseResults
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query

from careergraph.ontology import PREFIXES

from .errors import QueryError, QueryTimeoutError, UsageError
from .results import QueryResult

__all__ = [
    "DEFAULT_TIMEOUT",
    "START_METHOD",
    "prepare",
    "query_type",
    "bind_parameters",
    "run_sparql",
    "run_named",
]

#: Seconds a query may run before it is stopped, unless the caller says otherwise.
DEFAULT_TIMEOUT = 30.0

#: How the evaluation process starts: ``fork`` (fast, shares the loaded graph)
#: where available, else ``spawn`` (the graph is sent to the child as N-Quads).
START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

_QUERY_TYPES = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
                "DescribeQuery": "DESCRIBE"}
_UPDATE_NAMES = {"InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
                 "Modify": "DELETE/INSERT", "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP",
                 "Create": "CREATE", "Add": "ADD", "Move": "MOVE", "Copy": "COPY"}
_UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


# -- parsing and the safety check --------------------------------------------------

def _nodes(node):
    """Every CompValue in a parse tree, depth first."""
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


def _syntax_error(err: ParseException) -> QueryError:
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


def _build(answer) -> QueryResult:
    kind = answer[0]
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

    import rdflib.plugins.sparql as sparql_plugin

    def refuse(*args, **kwargs):
        raise OSError("careergraph: network access is disabled while a query runs")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
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


def _run_in_child(kg, text, query, bindings, limit, timeout, method):
    ctx = multiprocessing.get_context(method)
    receiver, sender = ctx.Pipe(duplex=False)
    if method == "fork":
        args = (sender, kg.graph, query, bindings, limit)
        target = _child_fork
    else:
        args = (sender, kg.graph.serialize(format="nquads"), text, bindings, limit)
        target = _child_spawn
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
        raise QueryError(f"query failed: {message[1]}: {message[2]}")
    return message[1]


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
        in a child process; ``None`` runs it in this process with no limit
        (only for queries you trust to finish).
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
    if timeout is not None and not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"limit must be a positive whole number, not {limit!r}")
    query = prepare(text)
    bindings = dict(bindings or {})
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
    return run_sparql(kg, named.text, bindings=bindings, timeout=timeout, limit=limit)
