"""A SPARQL 1.1 server as the knowledge graph: named queries run there, algorithms get a pulled subgraph.

careergraph speaks the SPARQL 1.1 Protocol (a query as an URL-encoded POST,
results as SPARQL JSON) to any server: Oxigraph server, Virtuoso, GraphDB,
QLever, Fuseki, Amazon Neptune. What runs where:

* Named queries and ad-hoc SPARQL (``kg.query``, ``kg.sparql``, ``careergraph
  query run``, ``careergraph sparql``) run on the server. The text is checked
  first (:func:`careergraph.graph.sparql.prepare`: no updates, SERVICE,
  FROM); parameter values enter it as escaped SPARQL terms
  (:func:`careergraph.graph.sparql.inline_bindings`), never as pasted text.
* One plan or gap (``learning_path``, ``gap``) asks only for what it needs:
  ``kg.objects`` and ``kg.entities`` are queries, the skill model is pulled
  on its own (:meth:`EndpointKnowledgeGraph.skill_model`), and ``kg.label``,
  ``kg.kind_of`` and ``kg.resolve`` of an IRI, a CURIE or an exact label ask
  about that one IRI or label.
* Other names (a local name, a looser spelling, an ambiguous or unknown name
  and its suggestions) are asked for too: the labels that can match, then
  a bounded number of candidates for the suggestions, which are ranked here
  as for local data (:meth:`EndpointKnowledgeGraph._resolve_remote`); no
  name pulls every label.
* The other algorithms (ranking, next, demand, viz, explain) work on ``kg.graph``:
  the first use pulls the triples they read (careergraph's properties, types
  of careergraph classes, labels, descriptions, ``skos:broader``,
  schema.org's posting properties) into memory with paged SELECTs, one
  predicate at a time (``LIMIT page OFFSET k``). That costs one transfer of that
  subgraph per process; everything else on the server stays there. The
  pulled triples keep no named graph: they form one source, the endpoint.
  Pages are fetched unordered and checked against the server's count
  (see :meth:`Endpoint._pairs`): sorting every page made pulling the M
  benchmark data from Oxigraph server take minutes.

The server's default graph must be the union of its named graphs (the
named queries read facts from every source): Virtuoso, GraphDB, QLever and
Neptune do this by default; start Oxigraph with ``--union-default-graph``
and configure Fuseki with ``unionDefaultGraph``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from careergraph.ontology import CG, PREFIXES, SCHEMA

from . import resolve as _resolve
from .errors import (AmbiguousEntityError, EndpointError, QueryError, QueryTimeoutError,
                     UnknownEntityError, UsageError)
from .models import Info, SourceInfo
from .store import KINDS, KnowledgeGraph

__all__ = ["Endpoint", "EndpointKnowledgeGraph", "connect", "pull", "mirror", "page_size_from_env",
           "PULLED_PREDICATES", "NAME_PREDICATES", "DEFAULT_PAGE_SIZE", "DEFAULT_TIMEOUT"]

#: Rows per request when pulling a subgraph (``CAREERGRAPH_ENDPOINT_PAGE_SIZE`` on the command line).
DEFAULT_PAGE_SIZE = 10000
#: Seconds an HTTP request may take, unless the caller says otherwise.
DEFAULT_TIMEOUT = 30.0

_JSON = "application/sparql-results+json"
_RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_RDF_TYPES = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
              "application/x-turtle": "turtle", "application/rdf+xml": "xml",
              "application/ld+json": "json-ld"}

#: The properties ``kg.resolve`` and ``kg.label`` read.
NAME_PREDICATES = (RDFS.label, SKOS.prefLabel, SCHEMA.title, SCHEMA.name, SKOS.altLabel, SKOS.hiddenLabel)

_LABEL_PROPERTIES = " ".join(f"<{p}>" for p in (*_resolve._PRIMARY, *_resolve._SECONDARY))
#: A SPARQL expression for :func:`careergraph.graph.resolve.loose` of a string expression (``{}``):
#: lower case, without what is neither a letter, a digit, ``+`` nor ``#`` (Python's ``\w`` less ``_``).
_LOOSE = 'REPLACE(LCASE({}), "[^\\\\p{{L}}\\\\p{{N}}+#]", "")'
#: An IRI's local name, as :class:`~careergraph.graph.resolve.LabelIndex` takes it: after the last
#: ``/`` or ``#``, once those that end the IRI are dropped.
_LOCAL_NAME = 'REPLACE(REPLACE(STR(?s), "[/#]+$", ""), "^.*[/#]", "")'


def _cg_terms(upper: bool) -> list[URIRef]:
    return [CG[name] for name in CG.__annotations__ if name[:1].isupper() == upper]


#: Every property pulled for the algorithms (``rdf:type`` is pulled only for careergraph's classes).
PULLED_PREDICATES = (
    *_cg_terms(upper=False),
    *NAME_PREDICATES,
    SKOS.broader, SKOS.definition, SKOS.scopeNote, RDFS.comment, SCHEMA.description, DCTERMS.description,
    SCHEMA.hiringOrganization, SCHEMA.url,
)


def _short(text: str, size: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[:size - 1] + "…"


_IRIS: dict = {}  # IRIs repeat on every row: make each URIRef once


def _term(value: dict):
    """A SPARQL JSON result term as an rdflib term (``xsd:string`` becomes a plain literal)."""
    kind = value.get("type")
    if kind == "uri":
        text = value["value"]
        iri = _IRIS.get(text)
        if iri is None:
            if len(_IRIS) > 1_000_000:
                _IRIS.clear()
            iri = _IRIS[text] = URIRef(text)
        return iri
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        datatype = value.get("datatype")
        if lang:
            return Literal(value["value"], lang=lang)
        if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise ValueError(f"unknown term type {kind!r}")


class Endpoint:
    """A SPARQL 1.1 query endpoint, by its URL.

    Parameters
    ----------
    url : str
        The query URL, e.g. ``http://localhost:7878/query``.
    timeout : float
        Seconds an HTTP request may wait for the server (connecting, and
        each read).

    Raises
    ------
    UsageError
        ``url`` is not an http(s) URL.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT):
        parts = urllib.parse.urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"endpoint {url!r} is not an http:// or https:// URL")
        self.url = str(url)
        self.timeout = timeout
        self.requests = 0
        self._counting = threading.Lock()  # requests may be sent side by side (see resolve)

    def __repr__(self) -> str:
        return f"<Endpoint {self.url}>"

    # -- HTTP ------------------------------------------------------------------
    def _post(self, text: str, accept: str, timeout: float | None) -> tuple[str, bytes]:
        """POST the query; the response's content type and body."""
        timeout = self.timeout if timeout is None else timeout
        body = urllib.parse.urlencode({"query": text}).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Accept": accept, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "User-Agent": "careergraph"})
        with self._counting:
            self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                kind = response.headers.get_content_type()
                return kind, response.read()
        except urllib.error.HTTPError as err:
            detail = _short(err.read().decode("utf-8", "replace") or err.reason)
            if err.code == 400:
                raise QueryError(f"{self.url} refused the query (HTTP 400): {detail}") from err
            raise EndpointError(f"{self.url}: HTTP {err.code} {err.reason}: {detail}") from err
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise EndpointError(f"{self.url}: no answer within {timeout:g} s while connecting") from err
            raise EndpointError(f"{self.url}: cannot reach the SPARQL endpoint: "
                                f"{getattr(reason, 'strerror', None) or reason}") from err
        except (socket.timeout, TimeoutError) as err:
            raise QueryTimeoutError(f"query stopped after {timeout:g} s: {self.url} did not answer "
                                    "within the time limit") from err
        except (OSError, ValueError) as err:  # connection reset, bad status line...
            raise EndpointError(f"{self.url}: {type(err).__name__}: {_short(err)}") from err

    def _json(self, text: str, timeout: float | None) -> dict:
        return self._decoded(*self._post(text, f"{_JSON}, application/json;q=0.9", timeout))

    def _decoded(self, kind: str, body: bytes) -> dict:
        """An answer as SPARQL JSON results, or a one-line error naming the URL."""
        try:
            if "json" not in kind:
                raise ValueError(kind)
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict) or ("results" not in data and "boolean" not in data):
                raise ValueError(kind)
        except (ValueError, UnicodeDecodeError) as err:
            raise EndpointError(f"{self.url}: the answer is not SPARQL JSON results ({kind}, "
                                f"{_short(body.decode('utf-8', 'replace'), 60)!r}); is this the query URL "
                                "of a SPARQL endpoint?") from err
        return data

    # -- queries ------------------------------------------------------------------
    def select(self, text: str, *, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """Run a SELECT query: the variable names and the rows (tuples of rdflib terms, None if unbound)."""
        return self._rows(self._json(text, timeout))

    def _rows(self, data: dict) -> tuple[list[str], list[tuple]]:
        """The variable names and rows of SPARQL JSON SELECT results."""
        try:
            names = list(data["head"]["vars"])
            rows = [tuple(_term(b[n]) if n in b else None for n in names) for b in data["results"]["bindings"]]
        except (KeyError, TypeError, ValueError) as err:
            raise EndpointError(f"{self.url}: malformed SPARQL JSON results: {_short(err)}") from err
        return names, rows

    def ask(self, text: str, *, timeout: float | None = None) -> bool:
        """Run an ASK query."""
        data = self._json(text, timeout)
        if not isinstance(data.get("boolean"), bool):
            raise EndpointError(f"{self.url}: the answer to an ASK query has no boolean")
        return data["boolean"]

    def triples(self, text: str, *, timeout: float | None = None) -> list[tuple]:
        """Run a CONSTRUCT or DESCRIBE query: its triples."""
        kind, body = self._post(text, _RDF_ACCEPT, timeout)
        fmt = _RDF_TYPES.get(kind)
        if fmt is None:
            raise EndpointError(f"{self.url}: the answer to a {text.split()[0]} query is not RDF ({kind})")
        graph = Graph()
        try:
            graph.parse(data=body.decode("utf-8"), format=fmt)
        except Exception as err:  # rdflib's parsers raise many types
            raise EndpointError(f"{self.url}: cannot read the RDF it sent ({kind}): {_short(err)}") from err
        return [(s, p, _plain(o)) for s, p, o in graph]

    def evaluate(self, text: str, bindings=None, *, kind: str, timeout: float | None = None,
                 limit: int | None = None):
        """Run a checked query with its values inlined; the answer :mod:`~careergraph.graph.sparql` builds on.

        Call :func:`careergraph.graph.sparql.run_sparql` instead: it checks
        the query first.
        """
        from .sparql import inline_bindings, with_prefixes

        full = with_prefixes(inline_bindings(text, bindings or {}))
        if kind == "ASK":
            return ("ASK", self.ask(full, timeout=timeout))
        if kind == "SELECT":
            names, rows = self.select(full, timeout=timeout)
            truncated = limit is not None and len(rows) > limit
            return ("SELECT", names, rows[:limit] if truncated else rows, truncated)
        triples = self.triples(full, timeout=timeout)
        truncated = limit is not None and len(triples) > limit
        return (kind, triples[:limit] if truncated else triples, truncated)

    def _pairs(self, where: str, page_size: int, timeout: float | None) -> list[tuple]:
        """The distinct ``(?s, ?o)`` rows of ``where``, fetched ``page_size`` rows per request.

        Pages without ORDER BY cost the server a scan; with it, a sort of
        every row per page (measured on Oxigraph: 1.3 s per page for 14k
        labels). So the pages are fetched unordered, and the set they add up
        to is checked against the server's count of distinct rows; only if
        it falls short (the server changed its row order between pages) are
        they fetched again with ``ORDER BY ?s ?o``, which SPARQL guarantees
        to be stable.
        """
        from .sparql import with_prefixes

        def page(offset: int, order: str = "") -> list[tuple]:
            text = f"SELECT ?s ?o WHERE {{ {where} }}{order} LIMIT {page_size + (offset < 0)}"
            if offset > 0:
                text += f" OFFSET {offset}"
            return self.select(with_prefixes(text), timeout=timeout)[1]

        first = page(-1)  # one more row than a page: is there a second page at all?
        if len(first) <= page_size:
            return first
        count_text = f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ {where} }} }}"
        _, counted = self.select(with_prefixes(count_text), timeout=timeout)
        expected = int(counted[0][0]) if counted and counted[0][0] is not None else -1
        for order in ("", " ORDER BY ?s ?o"):
            found, offset = set(), 0
            while True:
                rows = first[:page_size] if offset == 0 and not order else page(offset, order)
                before = len(found)
                found.update(rows)
                if len(rows) < page_size:
                    break
                if not order and len(found) == before:
                    break  # a full page of rows already seen: the order moved between pages
                offset += page_size
            if len(found) == expected:
                break
        return list(found)


def _iri(term) -> str:
    """``term`` as a SPARQL IRI reference, refused if it is not an IRI that can be written as one."""
    from .neighbourhood import iri_ref

    return iri_ref(term)


def _queryable(term) -> bool:
    """Whether ``term`` is an IRI that can be put into a query (:func:`_iri`)."""
    from .errors import InvalidDataError

    if not isinstance(term, URIRef):
        return False
    try:
        _iri(term)
    except InvalidDataError:
        return False
    return True


def _plain(term):
    """``xsd:string`` literals as plain literals, as rdflib's parsers make them."""
    if isinstance(term, Literal) and term.datatype == URIRef("http://www.w3.org/2001/XMLSchema#string"):
        return Literal(str(term))
    return term


def pull(endpoint: Endpoint, predicates=PULLED_PREDICATES, *, types: bool = True,
         page_size: int = DEFAULT_PAGE_SIZE, timeout: float | None = None) -> list[tuple]:
    """The triples of ``predicates`` (and, with ``types``, the ``rdf:type`` of careergraph's classes).

    One paged SELECT per predicate; see the module's description.

    Raises
    ------
    EndpointError, QueryTimeoutError
        The server cannot be reached, fails, or answers too slowly.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise UsageError(f"page size must be a positive whole number, not {page_size!r}")
    triples = []
    for predicate in predicates:
        rows = endpoint._pairs(f"?s <{predicate}> ?o", page_size, timeout)
        triples.extend((s, predicate, o) for s, o in rows if s is not None and o is not None)
    if types:
        classes = " ".join(f"<{c}>" for c in _cg_terms(upper=True))
        rows = endpoint._pairs(f"VALUES ?o {{ {classes} }} ?s a ?o", page_size, timeout)
        triples.extend((s, RDF.type, o) for s, o in rows if s is not None)
    return triples


def mirror(endpoint: Endpoint, path, *, page_size: int = DEFAULT_PAGE_SIZE, timeout: float | None = None) -> int:
    """Write what :func:`pull` reads to ``path`` as N-Triples (atomically); the number of triples.

    For a workspace that mirrors a server (``careergraph add --from-endpoint URL``):
    one transfer, after which every command answers locally. Each predicate
    is fetched with paged SELECTs, as in :meth:`Endpoint._pairs` (unordered
    pages, their union checked against the server's count of distinct rows,
    fetched again with ``ORDER BY`` only if it falls short), but as SPARQL TSV
    when the server offers it: its cells are Turtle terms, so each page is
    read by Oxigraph's Turtle parser rather than term by term in Python.
    Blank nodes are labelled by each answer, so one that appears in two
    answers becomes two blank nodes, as in :func:`pull`.

    Raises
    ------
    EndpointError, QueryError, QueryTimeoutError
        The server cannot be reached, refuses a query or answers with something else.
    UsageError
        ``page_size`` is not a positive whole number.
    """
    import pyoxigraph as ox

    from .sparql import with_prefixes

    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise UsageError(f"page size must be a positive whole number, not {page_size!r}")
    store = ox.Store()  # in memory: each pattern in a graph of its own, to count what arrived
    classes = " ".join(f"<{c}>" for c in _cg_terms(upper=True))
    patterns = [(f"?s <{p}> ?o", f"<{p}>") for p in PULLED_PREDICATES]
    patterns.append((f"VALUES ?o {{ {classes} }} ?s a ?o", f"<{RDF.type}>"))
    graphs = []
    for number, (where, predicate) in enumerate(patterns):
        graph = ox.NamedNode(f"urn:careergraph:mirror:{number}")
        graphs.append(graph)
        expected = None
        for order in ("", " ORDER BY ?s ?o"):
            store.clear_graph(graph)
            offset = 0
            seen: set = set()  # hashes of the rows so far, to notice pages that only repeat them
            while True:
                text = f"SELECT ?s ?o WHERE {{ {where} }}{order} LIMIT {page_size}"
                statements, rows = _tsv_page(endpoint, with_prefixes(text + (f" OFFSET {offset}" if offset else "")),
                                             predicate, timeout)
                try:
                    store.load("".join(statements), format=ox.RdfFormat.TURTLE, to_graph=graph)
                except SyntaxError as err:
                    raise EndpointError(f"{endpoint.url}: cannot read the rows it sent: {_short(err)}") from err
                if rows < page_size:
                    break
                if not order:
                    before = len(seen)
                    seen.update(map(hash, statements))
                    if len(seen) == before:
                        break  # a full page of rows already seen: the order moved between pages
                offset += page_size
            if offset == 0:
                break  # one page: nothing could move between pages
            if expected is None:
                _, counted = endpoint.select(with_prefixes(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ {where} }} }}"),
                    timeout=timeout)
                expected = int(counted[0][0]) if counted and counted[0][0] is not None else -1
            if sum(1 for _ in store.quads_for_pattern(None, None, None, graph)) >= expected:
                break
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:  # the patterns' predicates differ: no triple is in two graphs
            for graph in graphs:
                store.dump(output=out, format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(store)


def _tsv_page(endpoint: Endpoint, text: str, predicate: str, timeout) -> tuple[list[str], int]:
    """One page of ``SELECT ?s ?o``: Turtle statements ``?s predicate ?o .`` (rows with an unbound
    or literal subject left out) and the number of rows. SPARQL TSV cells are Turtle terms; an
    answer in SPARQL JSON (a server without TSV) is read term by term."""
    kind, body = endpoint._post(text, f"text/tab-separated-values, {_JSON};q=0.5", timeout)
    if kind == "text/tab-separated-values":
        lines = body.decode("utf-8").split("\n")[1:]  # the first line names the variables
        if lines and not lines[-1]:
            lines.pop()
        out = []
        for line in lines:
            subject, _, obj = line.rstrip("\r").partition("\t")
            if subject[:1] in ("<", "_") and obj:
                out.append(f"{subject} {predicate} {obj} .\n")
        return out, len(lines)
    _, rows = endpoint._rows(endpoint._decoded(kind, body))
    return [f"{s.n3()} {predicate} {o.n3()} .\n" for s, o in rows
            if s is not None and o is not None and not isinstance(s, Literal)], len(rows)


class EndpointKnowledgeGraph(KnowledgeGraph):
    """A knowledge graph whose facts live on a SPARQL server. Build one with :func:`connect`.

    ``kg.query``/``kg.sparql`` run on the server; ``kg.objects``,
    ``kg.entities`` and :meth:`skill_model` ask it for what they return;
    ``kg.resolve``, ``kg.label`` and ``kg.kind_of`` ask about one IRI or
    name (see :meth:`_resolve_remote`); ``kg.graph`` (what
    ranking, viz and explain read) is the subgraph :func:`pull` fetches, on
    first use. Once that is pulled, everything reads the pulled copy.
    ``kg.info()`` and ``len(kg)`` count on the server.
    """

    def __init__(self, endpoint: Endpoint, *, page_size: int = DEFAULT_PAGE_SIZE):
        self.endpoint = endpoint
        self.page_size = page_size
        self._dataset = None
        self._names = None
        self._index = None
        self._points = Graph()  # the names and types of single IRIs asked for (:meth:`_point`)
        self._asked: set = set()

    def __repr__(self) -> str:
        return f"<KnowledgeGraph on {self.endpoint.url}>"

    @property
    def backend(self) -> str:
        return "endpoint"

    def content_key(self) -> str:
        """The pulled copy does not change while this object lives: no count on the server."""
        return f"endpoint:{self.endpoint.url}:{id(self)}"

    @property
    def oxigraph(self):
        return None

    @property
    def source(self) -> SourceInfo:
        """The one source the pulled triples come from: the endpoint."""
        count = len(self._dataset) if self._dataset is not None else 0
        return SourceInfo(URIRef(self.endpoint.url), f"SPARQL endpoint {self.endpoint.url}", "endpoint",
                          self.endpoint.url, count)

    @property
    def sources(self) -> list[SourceInfo]:
        return [self.source]

    @property
    def dataset(self) -> Dataset:
        """The pulled subgraph, in memory (pulled on first use)."""
        if self._dataset is None:
            started = time.perf_counter()
            triples = pull(self.endpoint, page_size=self.page_size)
            ds = Dataset(default_union=True)
            for prefix, ns in PREFIXES.items():
                ds.bind(prefix, ns, override=True, replace=True)
            name = URIRef(self.endpoint.url)
            ds.addN((s, p, o, ds.graph(name)) for s, p, o in triples)
            self.pull_seconds = time.perf_counter() - started
            self._dataset = ds
            self._names = None
        return self._dataset

    def _names_view(self):
        if self._dataset is not None:
            return self
        if self._names is None:
            graph = Graph()
            for prefix, ns in PREFIXES.items():
                graph.bind(prefix, ns, override=True, replace=True)
            for triple in pull(self.endpoint, NAME_PREDICATES, page_size=self.page_size):
                graph.add(triple)
            self._names = SimpleNamespace(graph=graph, _index=None)
        return self._names

    def resolve(self, name, kind=None) -> URIRef:
        """As :meth:`KnowledgeGraph.resolve`, asking the server for the few labels that can match
        (see :meth:`_resolve_remote`); once the names or the subgraph are pulled, from those."""
        if self._dataset is None and self._names is None:
            return self._resolve_remote(name, kind)
        return _resolve.resolve(self._names_view(), name, kind)

    #: Labels asked for to suggest names for an unknown one (the best by shared pieces, see
    #: :meth:`_suggestions`); difflib then ranks them as for local data.
    SUGGESTION_CANDIDATES = 500

    def _resolve_remote(self, name, kind) -> URIRef:
        """:func:`careergraph.graph.resolve.resolve` on the server's data, without pulling every label.

        The answer and the errors are the in-memory resolver's, tier by tier
        (:class:`~careergraph.graph.resolve.LabelIndex`), from a few queries:

        1. an IRI or a CURIE: its names and types (and, if it has no type,
           whether it is the subject of anything);
        2. the labels whose loose key (lower case, letters, digits, ``+`` and
           ``#`` only) is the name's, with their types: every label that can
           match, exactly or loosely (tiers 0, 1 and 3); an exact one (tiers
           0 and 1) settles it (an entity, or
           :class:`~careergraph.graph.errors.AmbiguousEntityError`);
        3. else, side by side: the typed IRIs whose local name has that loose
           key (tiers 2 and 3, which then decide with the loose labels), and
           the :attr:`SUGGESTION_CANDIDATES` label texts that share most of
           the name's words and three-letter pieces (:meth:`_suggestions`),
           which difflib ranks for the
           :class:`~careergraph.graph.errors.UnknownEntityError`.

        Each query reads the labels once on the server (about a second on the
        L benchmark data served by Oxigraph) and sends back only what matches.
        """
        from concurrent.futures import ThreadPoolExecutor

        classes = _resolve._classes(kind)
        iri = _resolve._expand(name, None)
        if iri is not None and _queryable(iri):
            types = set(self._point(iri).objects(iri, RDF.type))
            if types and (classes is None or types & classes):
                return iri
            if not types and classes is None and self.endpoint.ask(f"ASK {{ {_iri(iri)} ?p ?o }}"):
                return iri
        if not name.strip():
            raise UnknownEntityError(name, [], kind=_resolve._kind_text(kind))
        key = _resolve.loose(name)
        graph = Graph()
        self._add_rows(graph, self.endpoint.select(
            f"SELECT ?s ?p ?o ?type WHERE {{ VALUES ?p {{ {_LABEL_PROPERTIES} }} ?s ?p ?o "
            f"FILTER(isLiteral(?o) && {_LOOSE.format('STR(?o)')} = {Literal(key).n3()}) "
            "OPTIONAL { ?s a ?type } }")[1])
        index = _resolve.LabelIndex(graph)
        exact = _resolve.normalize(name)
        hits = []
        for tier in index.tiers[:2]:  # an exact label, primary then secondary: settled here
            hits = sorted(h for h in tier.get(exact, ()) if classes is None or index.types.get(h, set()) & classes)
            if hits:
                break
        if not hits:  # no exact label: local names, loose matches, or suggestions
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="careergraph-suggest") as pool:
                candidates = pool.submit(self._suggestions, name, classes)
                try:
                    self._add_rows(graph, self.endpoint.select(
                        f"SELECT ?s ?type WHERE {{ ?s a ?type FILTER(isIRI(?s) && "
                        f"{_LOOSE.format(_LOCAL_NAME)} = {Literal(key).n3()}) }}")[1])
                    index = _resolve.LabelIndex(graph)
                    hits = index.lookup(name, classes)
                    if not hits:
                        names = candidates.result()
                finally:
                    candidates.cancel()
        if len(hits) == 1:
            return hits[0]
        if hits:
            self.prefetch_names(hits)
            raise AmbiguousEntityError(name, [(self.curie(h), self.label(h)) for h in hits])
        self.prefetch_names([URIRef(names[k]) for k in _resolve.suggested(name, names)])
        raise _resolve.unknown(name, names, kind=kind, name_of=self.label)

    @staticmethod
    def _add_rows(graph: Graph, rows) -> None:
        """Rows ``(?s ?p ?o ?type)`` or ``(?s ?type)`` of IRI subjects as label and type triples."""
        for row in rows:
            s, t = row[0], row[-1]
            if not isinstance(s, URIRef):
                continue
            if len(row) == 4 and row[1] is not None and row[2] is not None:
                graph.add((s, row[1], _plain(row[2])))
            if isinstance(t, URIRef):
                graph.add((s, RDF.type, t))

    def _suggestions(self, name: str, classes) -> dict:
        """``{label key: IRI}`` of the entities of ``classes`` among the :attr:`SUGGESTION_CANDIDATES`
        labels that best share the name's pieces, as :meth:`LabelIndex.names` gives them for all labels.

        The pieces are the name's words and their three-letter parts; the
        server scores each label by the share of its length and the name's
        that they cover (one regular expression, a rough difflib ratio) and
        keeps the best distinct texts (on L, 5,514 postings share one title),
        and for each text the first IRI of each type that has it; if fewer
        texts than that share a piece, a second query adds those that share
        only letters with the name, nearest in length first. The
        kinds are picked here, from those: joining every label with its
        types before the cut took 7-9 s on the L benchmark data, the labels
        alone 1.4-2.4 s.
        """
        wanted = _resolve.normalize(name)
        words = re.findall(r"\w+", wanted)
        pieces = set(words) | {w[i:i + 3] for w in words if len(w) > 3 for i in range(len(w) - 2)}
        if not pieces:
            return {}
        # \w only: no metacharacter to escape; the longest pieces first
        pattern = Literal("|".join(sorted(pieces, key=lambda piece: (-len(piece), piece)))).n3()
        letters = Literal(f"[{''.join(sorted(set(''.join(words))))}]").n3()
        score = f"STRLEN(STR(?o)) - STRLEN(REPLACE(LCASE(STR(?o)), {pattern}, \"\"))"

        def best(test: str, limit: int) -> list:
            # the texts first (5,514 postings of L share one title), then the first IRI of each per type
            return self.endpoint.select(
                f"SELECT ?p ?o ?type (MIN(STR(?s)) AS ?first) WHERE {{ "
                f"{{ SELECT DISTINCT ?p ?o WHERE {{ VALUES ?p {{ {_LABEL_PROPERTIES} }} ?s ?p ?o "
                f"BIND({score} AS ?score) FILTER({test}) }} "
                f"ORDER BY DESC(?score / (STRLEN(STR(?o)) + {len(wanted)})) ABS(STRLEN(STR(?o)) - {len(wanted)}) "
                f"LIMIT {limit} }} "
                f"?s ?p ?o FILTER(isIRI(?s)) OPTIONAL {{ ?s a ?type }} }} GROUP BY ?p ?o ?type")[1]

        rows = best("?score > 0", self.SUGGESTION_CANDIDATES)
        texts = len({(p, o) for p, o, _, _ in rows})
        if texts < self.SUGGESTION_CANDIDATES:
            # then labels sharing only letters, nearest in length first: difflib may still rank one
            # high enough ("Drift" for "dartt": 0.6); on small data every such label is a candidate
            rows += best(f"?score = 0 && REGEX(LCASE(STR(?o)), {letters})", self.SUGGESTION_CANDIDATES - texts)
        primary = set(_resolve._PRIMARY)
        names: dict = {}
        for tier in (True, False):  # as LabelIndex.names: the primary labels first, the first IRI of a key
            found: dict = {}
            for p, o, t, first in rows:
                if isinstance(o, Literal) and first is not None and (p in primary) == tier \
                        and (classes is None or t in classes):
                    key = _resolve.normalize(str(o))
                    found[key] = min(found.get(key, str(first)), str(first))
            for key, s in found.items():
                names.setdefault(key, URIRef(s))
        return names

    def _point(self, iri):
        """An rdflib graph holding the names and types of ``iri`` (asked once per IRI)."""
        if iri not in self._asked:
            self.prefetch_names([iri])
        return self._points

    #: IRIs per request when asking for names (:meth:`prefetch_names`).
    NAMES_PER_REQUEST = 200

    def prefetch_names(self, iris) -> None:
        """Ask for the names and types of ``iris`` not asked for yet, :attr:`NAMES_PER_REQUEST`
        to a request, for :meth:`label` and :meth:`kind_of` to answer from memory (what
        :func:`~careergraph.graph.resolve.prefetch_labels` calls). Nothing once the names are pulled."""
        if self._dataset is not None or self._names is not None:
            return
        todo = sorted({i for i in iris if i not in self._asked and _queryable(i)})
        # FILTER IN, not a second VALUES: Oxigraph server answered 200 postings' names in 0.03 s so,
        # and in 4.4-5.4 s with VALUES ?s and VALUES ?p (L benchmark data)
        wanted = ", ".join(f"<{p}>" for p in (RDF.type, *NAME_PREDICATES))
        for start in range(0, len(todo), self.NAMES_PER_REQUEST):
            chunk = todo[start:start + self.NAMES_PER_REQUEST]
            values = " ".join(_iri(i) for i in chunk)
            _, rows = self.endpoint.select(
                f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o FILTER(?p IN ({wanted})) }}")
            for s, p, o in rows:
                if s is not None and p is not None and o is not None:
                    self._points.add((s, p, _plain(o)))
            self._asked.update(chunk)

    def label(self, iri) -> str:
        if self._dataset is None and self._names is None and _queryable(iri):
            return _resolve.label(SimpleNamespace(graph=self._point(iri)), iri)
        return _resolve.label(self._names_view(), iri)

    # -- targeted reads: one plan or gap needs a few facts, not the whole subgraph --------
    def entities(self, kind: str) -> list[URIRef]:
        """Every entity of one kind, sorted by IRI: asked of the server unless already pulled."""
        if self._dataset is not None:
            return super().entities(kind)
        view = self._names.graph if self._names is not None else None
        if view is not None:  # the names pull holds the types
            return sorted({s for s in view.subjects(RDF.type, KINDS[kind]) if isinstance(s, URIRef)})
        rows = self.endpoint._pairs(f"VALUES ?o {{ {_iri(KINDS[kind])} }} ?s a ?o", self.page_size, None)
        return sorted({s for s, _ in rows if isinstance(s, URIRef)})

    def objects(self, subject, predicate) -> list:
        """The objects of ``(subject, predicate, ?)``: asked of the server unless already pulled."""
        if self._dataset is not None or not _queryable(subject):
            return super().objects(subject, predicate)
        rows = self.endpoint._pairs(f"VALUES ?s {{ {_iri(subject)} }} ?s {_iri(predicate)} ?o",
                                    self.page_size, None)
        return [_plain(o) for _, o in rows if o is not None]

    def kind_of(self, iri) -> str | None:
        if self._dataset is not None:
            return super().kind_of(iri)
        if self._names is None and _queryable(iri):
            types = set(self._point(iri).objects(iri, RDF.type))
        else:
            types = set(self._names_view().graph.objects(iri, RDF.type))
        return next((kind for kind, cls in KINDS.items() if cls in types), None)

    def skill_model(self):
        """The :class:`~careergraph.graph.convert.SkillModel` (hours, prerequisites, broader skills),
        pulled on its own: three paged SELECTs instead of the whole subgraph."""
        from .convert import SkillModel

        def pairs(prop):
            return [(s, o) for s, o in self.endpoint._pairs(f"?s {_iri(prop)} ?o", self.page_size, None)
                    if isinstance(s, URIRef) and o is not None]

        hours = {}
        for s, o in pairs(CG.effortHours):
            if isinstance(o, Literal):
                try:
                    hours[s] = float(o.toPython())
                except (TypeError, ValueError):
                    continue  # as skill_hours: validate reports it, the engine treats the skill as unpriced
        edges = {prop: sorted((s, o) for s, o in pairs(prop) if isinstance(o, URIRef))
                 for prop in (CG.prerequisite, SKOS.broader)}
        return SkillModel.from_edges(hours, prerequisites=edges[CG.prerequisite], broader=edges[SKOS.broader])

    def __len__(self) -> int:
        _, rows = self.endpoint.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def info(self) -> Info:
        """Entity counts and the number of triples, counted on the server."""
        from .sparql import with_prefixes

        values = " ".join(f"<{cls}>" for kind, cls in KINDS.items() if kind != "source")
        _, rows = self.endpoint.select(with_prefixes(
            f"SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?class {{ {values} }} ?s a ?class }} "
            "GROUP BY ?class"))
        found = {cls: int(n) for cls, n in rows if cls is not None}
        counts = {kind: found.get(cls, 0) for kind, cls in KINDS.items() if kind != "source"}
        triples = len(self)
        return Info(counts=counts, triples=triples,
                    sources=[SourceInfo(URIRef(self.endpoint.url), f"SPARQL endpoint {self.endpoint.url}",
                                        "endpoint", self.endpoint.url, triples)])


def connect(url: str, *, page_size: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> EndpointKnowledgeGraph:
    """A knowledge graph on the SPARQL 1.1 endpoint at ``url``; nothing is sent until it is used.

    Parameters
    ----------
    url : str
        The endpoint's query URL (``http://localhost:7878/query`` for
        Oxigraph server, ``http://host:8890/sparql`` for Virtuoso...).
    page_size : int, optional
        Rows per request when pulling the subgraph the algorithms need
        (default :data:`DEFAULT_PAGE_SIZE`, or ``$CAREERGRAPH_ENDPOINT_PAGE_SIZE``).
    timeout : float
        Seconds each HTTP request may wait (queries take their own ``timeout``).

    Raises
    ------
    UsageError
        ``url`` is not an http(s) URL, or the page size is not a positive number.
    """
    if page_size is None:
        page_size = page_size_from_env()
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise UsageError(f"page size must be a positive whole number, not {page_size!r}")
    return EndpointKnowledgeGraph(Endpoint(url, timeout=timeout), page_size=page_size)


def page_size_from_env(default: int = DEFAULT_PAGE_SIZE) -> int:
    """``$CAREERGRAPH_ENDPOINT_PAGE_SIZE``, or ``default`` when it is not set."""
    raw = os.environ.get("CAREERGRAPH_ENDPOINT_PAGE_SIZE", "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise UsageError(f"CAREERGRAPH_ENDPOINT_PAGE_SIZE must be a whole number, not {raw!r}") from None
