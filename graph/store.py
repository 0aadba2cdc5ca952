"""Load the bundled dataset and user files into a knowledge graph with provenance."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterable

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from careergraph.ontology import CG, PREFIXES, core_path, data_paths
from careergraph.ontology.namespace import ID_PREFIXES

from .errors import CycleError, InvalidDataError
from .models import Info, SourceInfo
from . import resolve as _resolve

__all__ = ["KnowledgeGraph", "load", "FORMATS", "guess_format", "KINDS"]

#: File extensions careergraph reads, and the rdflib parser for each.
FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".trig": "trig",
    ".nq": "nquads",
}
_QUAD_FORMATS = {"trig", "nquads"}

#: Entity kinds users name on the command line, and their classes.
KINDS = {
    "component": CG.Component,
    "role": CG.Role,
    "skill": CG.Skill,
    "category": CG.SkillCategory,
    "posting": CG.JobPosting,
    "organization": CG.Organization,
    "person": CG.Person,
    "level": CG.SeniorityLevel,
    "source": CG.Source,
}

ONTOLOGY_GRAPH = URIRef("https://w3id.org/careergraph/ns")


def guess_format(path: Path) -> str:
    """The rdflib format name for ``path``'s extension.

    Raises
    ------
    InvalidDataError
        If the extension is not one careergraph reads.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        hint = ""
        if path.suffix.lower() in (".yaml", ".yml", ".csv"):
            hint = ("; a profile or job postings in YAML or CSV become RDF with "
                    "`careergraph import profile FILE` or `careergraph import postings FILE`")
        raise InvalidDataError(
            f"unknown file extension {path.suffix or '(none)'!r}: careergraph reads RDF as {known}{hint}",
            path=path,
        )
    return fmt


class KnowledgeGraph:
    """The loaded graph: an rdflib ``Dataset`` whose named graphs are sources.

    Queries and lookups see the union of all named graphs; ``GRAPH ?source``
    tells where a fact comes from. Build one with :func:`load`.
    """

    def __init__(self, dataset, sources: list[SourceInfo], *, oxigraph=None):
        # a callable: the Dataset is made on first use (oxrdflib's import costs a tenth of a second,
        # and the commands that run on the compiled index and lookups never need it)
        self._dataset = None if callable(dataset) else dataset
        self._make_dataset = dataset if callable(dataset) else None
        self._oxigraph = oxigraph
        self.sources = sources
        self._index = None

    @property
    def dataset(self) -> Dataset:
        """The rdflib ``Dataset`` of every source (named graphs; queries see their union)."""
        if self._dataset is None:
            self._dataset = self._make_dataset()
        return self._dataset

    # -- the union view ----------------------------------------------------
    @property
    def graph(self) -> Dataset:
        """The union of every source, usable as an rdflib graph (read-only by convention)."""
        return self.dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self)} triples from {len(self.sources)} sources>"

    # -- the storage behind it ------------------------------------------------
    #: The pyoxigraph store read directly by lookups (a workspace's), or None.
    _oxigraph = None
    #: Where a compiled index of this graph is cached (a workspace sets it), or None.
    index_folder = None
    #: A callable giving the store's generation (a workspace sets it), or None.
    generation = None
    #: A callable giving the generation of everything but people's recorded progress, or None.
    data_generation = None
    #: A callable giving the sources added since the data generation last changed, or None.
    light_sources = None

    def content_key(self) -> str:
        """A string that changes whenever the content changes: the store's generation, else the size.

        Caches of derived data (the skill model, the compiled index) are keyed
        on it. Counting triples is cheap in memory but a full scan in Oxigraph,
        so a workspace's graph answers with its generation instead.

        Examples
        --------
        >>> load().content_key().startswith("triples:")
        True
        """
        if self.generation is not None:
            return f"generation:{self.generation()}"
        return f"triples:{len(self)}"

    def index_key(self) -> str:
        """What the compiled index and the skill model are cached under: :meth:`content_key`,
        except that a workspace's recorded progress (``learned``, ``forget``) leaves it unchanged.

        Examples
        --------
        >>> kg = load()
        >>> kg.index_key() == kg.content_key()
        True
        """
        if self.data_generation is not None:
            return f"data:{self.data_generation()}"
        return self.content_key()

    @property
    def backend(self) -> str:
        """Where the triples live and queries run.

        ``"rdflib"``: rdflib's in-memory store (:func:`load`); ``"oxigraph"``:
        a pyoxigraph store, such as a workspace's (``--store``), queried by
        Oxigraph itself; ``"endpoint"``: a SPARQL server (``--endpoint``, see
        :mod:`careergraph.graph.endpoint`).

        Examples
        --------
        >>> load().backend
        'rdflib'
        """
        return "oxigraph" if self.oxigraph is not None else "rdflib"

    @property
    def oxigraph(self):
        """The pyoxigraph ``Store`` holding the triples, or None when they are not in Oxigraph.

        For a workspace this is the workspace's handle on its store: it
        forwards every ``Store`` method and refuses use once the workspace is
        closed.
        """
        if self._oxigraph is not None:
            return self._oxigraph
        store_class = getattr(sys.modules.get("oxrdflib"), "OxigraphStore", None)
        store = getattr(self.dataset, "store", None)
        if store_class is not None and isinstance(store, store_class):
            return store._inner
        return None

    # -- names ---------------------------------------------------------------
    def resolve(self, name: str, kind: str | Iterable[str] | None = None) -> URIRef:
        """The IRI that ``name`` denotes: an IRI, a CURIE such as ``skill:dart``, or a label.

        Labels match ``rdfs:label``, ``skos:prefLabel``, ``schema:title``
        and then ``skos:altLabel``, ignoring case; ``kind`` (``"skill"``,
        ``("posting", "role")``...) restricts the candidates.

        Raises
        ------
        UnknownEntityError
            Nothing matches; the error lists the closest labels.
        AmbiguousEntityError
            Several entities match; the error lists them.

        Examples
        --------
        >>> kg = load()
        >>> kg.curie(kg.resolve("bloc/cubit"))
        'skill:bloc'
        """
        return _resolve.resolve(self, name, kind)

    def label(self, iri) -> str:
        """The display name of ``iri``: its label, title or CURIE."""
        return _resolve.label(self, iri)

    def curie(self, iri) -> str:
        """``iri`` shortened with careergraph's prefixes, or the IRI itself."""
        return _resolve.curie(iri)

    def entities(self, kind: str) -> list[URIRef]:
        """Every entity of one kind, sorted by IRI."""
        if self._oxigraph is not None:
            return sorted({s for s, _ in self._native_pairs(None, RDF.type, KINDS[kind])})
        return sorted(set(self.dataset.subjects(RDF.type, KINDS[kind])))

    def objects(self, subject, predicate) -> list:
        """The objects of ``(subject, predicate, ?)`` in any source, as rdflib terms (repeats possible)."""
        if self._oxigraph is not None:
            return [o for _, o in self._native_pairs(subject, predicate, None)]
        return list(self.dataset.objects(subject, predicate))

    def _native_pairs(self, subject, predicate, obj) -> list:
        """``(subject, object)`` of the matching quads, read from Oxigraph and made rdflib terms.

        The same terms oxrdflib would give (``oxrdflib._converter.from_ox``),
        without making an rdflib ``Dataset`` first.
        """
        import pyoxigraph as ox
        from rdflib import BNode

        def to_ox(term):
            if term is None:
                return None
            return ox.BlankNode(str(term)) if isinstance(term, BNode) else ox.NamedNode(str(term))

        if isinstance(obj, Literal):
            raise TypeError("literal objects are not looked up natively")
        return [(_from_ox(q.subject), _from_ox(q.object))
                for q in self._oxigraph.quads_for_pattern(to_ox(subject), to_ox(predicate), to_ox(obj), None)]

    def kind_of(self, iri) -> str | None:
        """The kind (``"skill"``, ``"role"``...) of ``iri``, or None."""
        if self._oxigraph is not None:
            types = set(self.objects(iri, RDF.type))
            return next((kind for kind, cls in KINDS.items() if cls in types), None)
        for kind, cls in KINDS.items():
            if (iri, RDF.type, cls) in self.dataset:
                return kind
        return None

    # -- provenance ------------------------------------------------------------
    def sources_of(self, s, p, o) -> list[SourceInfo]:
        """The sources that state the triple ``(s, p, o)``."""
        by_iri = {src.iri: src for src in self.sources}
        names = {_graph_name(ctx) for *_, ctx in self.dataset.quads((s, p, o, None))}
        return sorted((by_iri[n] for n in names if n in by_iri), key=lambda src: str(src.iri))

    # -- questions ----------------------------------------------------------------
    def query(self, name: str, /, **params):
        """Run the named query ``name`` (``queries/NAME.rq``) with typed parameters.

        See :func:`careergraph.graph.sparql.run_named`.

        Examples
        --------
        >>> kg = load()
        >>> sorted(kg.label(r.role) for r in kg.query("roles-of-component", component="Auth & Session Service"))
        ['Backend engineer', 'DevOps engineer', 'QA engineer', 'Security engineer']
        """
        from . import sparql

        return sparql.run_named(self, name, **params)

    def sparql(self, text: str, **options):
        """Run a SPARQL query safely: read-only, no SERVICE/LOAD/FROM, 30 s timeout by default.

        See :func:`careergraph.graph.sparql.run_sparql`.
        """
        from . import sparql

        return sparql.run_sparql(self, text, **options)

    # -- summary ------------------------------------------------------------------
    def info(self) -> Info:
        """Counts of each kind of entity, triples, and the sources loaded.

        ``counts`` are distinct subjects typed with each kind's class and
        ``triples`` the distinct triples of the union of every source (a
        triple two sources state counts once), as ``entities()`` and
        ``len()`` count them. In Oxigraph (a workspace) Oxigraph counts them
        itself: one grouped SPARQL count for the kinds, and for the triples
        the size of the largest graph plus what the other graphs add (see
        :func:`_oxigraph_triples`), so no triple is read into Python.

        Examples
        --------
        >>> kg = load()
        >>> kg.info().counts["posting"], kg.info().triples == len(kg)
        (5, True)
        """
        store = self.oxigraph
        if store is None:
            counts = {kind: len(self.entities(kind)) for kind in KINDS if kind != "source"}
            return Info(counts=counts, triples=len(self), sources=list(self.sources))
        return Info(counts=_oxigraph_counts(store), triples=_oxigraph_triples(self, store),
                    sources=list(self.sources))


def _oxigraph_counts(store) -> dict:
    """Distinct subjects of each kind's class in the union of all graphs, counted by Oxigraph."""
    classes = {str(cls): kind for kind, cls in KINDS.items() if kind != "source"}
    values = " ".join(f"<{cls}>" for cls in classes)
    query = (f"SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?class {{ {values} }} ?s a ?class }} "
             "GROUP BY ?class")
    found = {row["class"].value: int(row["n"].value)
             for row in store.query(query, use_default_graph_as_union=True)}
    return {kind: found.get(cls, 0) for cls, kind in classes.items()}


def _oxigraph_triples(kg, store) -> int:
    """Distinct triples over every graph of ``store`` (the default graph too), as ``len(kg)`` counts them.

    ``COUNT(DISTINCT ...)`` over the union hashes every triple (44 s for the
    1.9M triples of the L benchmark workspace). Instead the graphs are taken
    one at a time, largest first: each adds its size less the triples it
    shares with the graphs already counted, and only its own triples are
    looked up (by Oxigraph). A workspace's source graphs never change once
    added, so their count is saved (``index/triples.json``) with the graphs it
    covers: the next count looks up only the sources added since (the first
    ``info`` after adding 20,000 postings to the L workspace), and counts the
    small changing graphs (the catalog, recorded progress) each time.
    """
    import pyoxigraph as ox

    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    if not graphs:
        (row,) = store.query("SELECT (COUNT(DISTINCT TRIPLE(?s, ?p, ?o)) AS ?n) WHERE { ?s ?p ?o }")
        return int(row["n"].value)
    workspace = kg.generation is not None
    changing = {str(ID_PREFIXES["source"][name]) for name in ("catalog", "progress")} if workspace else set()
    fixed = [g for g in graphs if g.value not in changing]
    recorded = {str(s.iri): s.triples for s in kg.sources} if workspace else {}

    def size(graph) -> int:
        if graph.value not in recorded:
            (row,) = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
            recorded[graph.value] = int(row["n"].value)
        return recorded[graph.value]

    saved = _saved_triples(kg) if workspace else None
    names = {g.value for g in fixed}
    if saved is not None and set(saved[0]) <= names:
        counted, total = [ox.NamedNode(g) for g in saved[0]], saved[1]
    else:
        counted, total = [], 0
    done = {g.value for g in counted}
    for graph in sorted((g for g in fixed if g.value not in done), key=lambda g: (-size(g), g.value)):
        if counted:  # |graph & counted|, looking up the triples of the smaller side in the other
            if size(graph) <= sum(map(size, counted)):
                shared = _shared(store, f"GRAPH {graph} {{ ?s ?p ?o }}", counted)
            else:
                shared = _shared(store, _union(counted), [graph], distinct=True)
            total += size(graph) - shared
        else:
            total += size(graph)
        counted.append(graph)
    if workspace and (saved is None or len(counted) != len(saved[0])):
        _save_triples(kg, [g.value for g in counted], total)
    # the changing graphs and the default graph: their distinct triples that no counted graph holds
    pattern = _union([g for g in graphs if g.value in changing], default=True)
    count = "SELECT (COUNT(DISTINCT TRIPLE(?s, ?p, ?o)) AS ?n) WHERE "
    (row,) = store.query(f"{count} {{ {pattern} }}")
    return total + int(row["n"].value) - (_shared(store, pattern, counted, distinct=True) if counted else 0)


def _union(graphs, *, default: bool = False) -> str:
    """A pattern binding ?s ?p ?o to the triples of ``graphs`` (and of the default graph)."""
    return " UNION ".join([*(f"{{ GRAPH {g} {{ ?s ?p ?o }} }}" for g in graphs), *(["{ ?s ?p ?o }"] if default else [])])


def _shared(store, pattern: str, graphs, *, distinct: bool = False) -> int:
    """How many triples of ``pattern`` (binding ?s ?p ?o) one of ``graphs`` also holds.

    FILTER EXISTS: one index lookup per triple of the pattern, never a scan of ``graphs``.
    """
    within = ", ".join(str(g) for g in graphs)
    count = "COUNT(DISTINCT TRIPLE(?s, ?p, ?o))" if distinct else "COUNT(*)"
    (row,) = store.query(f"SELECT ({count} AS ?n) WHERE {{ {{ {pattern} }} "
                         f"FILTER EXISTS {{ GRAPH ?shared {{ ?s ?p ?o }} FILTER(?shared IN ({within})) }} }}")
    return int(row["n"].value)


_TRIPLES_FILE = "triples.json"


def _saved_triples(kg):
    """(graphs, distinct triples of their union) as a workspace saved them, or None."""
    try:
        data = json.loads((Path(kg.index_folder) / _TRIPLES_FILE).read_text(encoding="utf-8"))
        graphs, total = data["graphs"], data["triples"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(graphs, list) and all(isinstance(g, str) for g in graphs) and isinstance(total, int)):
        return None
    return graphs, total


def _save_triples(kg, graphs: list, total: int) -> None:
    """Save the count atomically; a cache, so a failure to write it only costs the next count."""
    from .importing import write_atomic

    folder = Path(kg.index_folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / _TRIPLES_FILE, json.dumps({"graphs": graphs, "triples": total}))
    except OSError:
        pass


def _from_ox(term):
    """A pyoxigraph term as the rdflib term oxrdflib makes of it."""
    from rdflib import BNode

    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if kind == "Literal":
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError(f"unexpected Oxigraph term: {term!r}")


def _graph_name(ctx):
    """The name of a quad's graph, whether rdflib gives a Graph or an identifier."""
    return getattr(ctx, "identifier", ctx)


def _check_jsonld_context(path: Path, text: str) -> None:
    """Refuse JSON-LD that would make rdflib fetch a context from a URL or a file."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidDataError(f"malformed JSON: {err.msg}", path=path, line=err.lineno) from err

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    check(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    def check(ctx):
        if isinstance(ctx, str):
            raise InvalidDataError(
                f"JSON-LD @context {ctx!r} is a reference to another document; careergraph never "
                "fetches remote or local contexts: inline the context object",
                path=path,
            )
        if isinstance(ctx, list):
            for item in ctx:
                check(item)
        elif isinstance(ctx, dict) and "@import" in ctx:
            raise InvalidDataError(
                "JSON-LD @import would fetch another document; inline the context", path=path
            )

    walk(doc)


def _syntax_error(path: Path, fmt: str, err: Exception) -> InvalidDataError:
    """An InvalidDataError naming the file and, where rdflib tells it, the line."""
    line = None
    message = str(err)
    lines = getattr(err, "lines", None)  # notation3 BadSyntax: 0-based line
    if isinstance(lines, int):
        line = lines + 1
        why = getattr(err, "_why", None)
        message = f"bad {fmt} syntax: {why}" if why else message
    elif hasattr(err, "getLineNumber"):  # xml.sax.SAXParseException
        line = err.getLineNumber()
        message = f"bad RDF/XML: {err.getMessage()}"
    elif isinstance(err, json.JSONDecodeError):
        line, message = err.lineno, f"malformed JSON: {err.msg}"
    message = " ".join(message.split())
    if len(message) > 300:
        message = message[:297] + "..."
    return InvalidDataError(message, path=path, line=line)


def _ntriples_line(path: Path, text: str, fmt: str) -> int | None:
    """Find the first line an N-Triples/N-Quads parser rejects (rdflib does not say)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            if fmt == "nt":
                Graph().parse(data=line, format="nt")
            else:
                Dataset().parse(data=line, format="nquads")
        except Exception:
            return number
    return None


def _parse_file(path: Path, fmt: str | None) -> tuple[str, Graph | Dataset]:
    if not path.exists():
        raise InvalidDataError("no such file", path=path)
    if path.is_dir():
        raise InvalidDataError("is a directory, not a data file", path=path)
    fmt = fmt or guess_format(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InvalidDataError(f"not UTF-8 text ({err.reason} at byte {err.start})", path=path) from err
    except OSError as err:
        raise InvalidDataError(f"cannot read: {err.strerror}", path=path) from err
    if fmt == "json-ld":
        _check_jsonld_context(path, text)
    target = Dataset() if fmt in _QUAD_FORMATS else Graph()
    try:
        target.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as err:  # rdflib raises many unrelated types for bad input
        error = _syntax_error(path, fmt, err)
        if error.line is None and fmt in ("nt", "nquads"):
            error = InvalidDataError(f"bad {fmt} syntax: {' '.join(str(err).split())[:200]}",
                                     path=path, line=_ntriples_line(path, text, fmt))
        raise error from err
    return fmt, target


def _source_kind(graph: Graph) -> str:
    for kind, cls in (("seed", CG.SeedSection), ("curated", CG.CuratedEstimate), ("user", CG.UserData)):
        if any(graph.subjects(RDF.type, cls)):
            return kind
    return "user"


def load(*paths, bundled: bool = True, formats: dict | None = None, check: bool = True) -> KnowledgeGraph:
    """Load the bundled dataset and the user's RDF files into one knowledge graph.

    Each bundled file is one named graph named by its ``cg:Source``; each
    user file becomes a named graph named by the file's ``file:`` URI (TriG
    and N-Quads keep their own graph names). Files are parsed completely
    before anything is added, so an error leaves nothing half-loaded.

    Parameters
    ----------
    *paths : str or Path
        User data files; the format follows the extension (see ``FORMATS``).
    bundled : bool
        Include careergraph's ontology and bundled dataset (default True).
    formats : dict, optional
        Explicit rdflib format per path, overriding the extension.
    check : bool
        Reject cycles in ``cg:prerequisite`` and ``skos:broader`` (default True).

    Returns
    -------
    KnowledgeGraph

    Raises
    ------
    InvalidDataError
        A file is missing, unreadable, of an unknown type, or malformed
        (the message names the file and line); or a cycle was found.

    Examples
    --------
    >>> kg = load()
    >>> kg.info().counts["posting"]
    5
    """
    formats = {Path(k): v for k, v in (formats or {}).items()}
    parsed: list[tuple[URIRef, SourceInfo, Graph | Dataset]] = []

    if bundled:
        for path in [core_path(), *data_paths()]:
            _, g = _parse_file(path, "turtle")
            if path == core_path():
                iri, label, kind = ONTOLOGY_GRAPH, "careergraph core ontology", "ontology"
            else:
                iri = ID_PREFIXES["source"][path.stem]
                label = str(g.value(iri, RDFS.label) or path.stem)
                kind = _source_kind(g)
            parsed.append((iri, SourceInfo(iri, label, kind, path.name, len(g)), g))

    for raw in paths:
        path = Path(raw)
        fmt, g = _parse_file(path, formats.get(path))
        iri = URIRef(path.resolve().as_uri())
        parsed.append((iri, SourceInfo(iri, path.name, "user", str(path), len(g)), g))

    ds = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    sources = []
    for iri, info, g in parsed:
        if isinstance(g, Dataset):
            for sub in g.graphs():
                if len(sub) == 0:
                    continue
                name = iri if sub.identifier == DATASET_DEFAULT_GRAPH_ID else sub.identifier
                target = ds.graph(name)
                for triple in sub:
                    target.add(triple)
                if name != iri:
                    sources.append(SourceInfo(name, str(name), "user", info.file, len(sub)))
            if any(True for _ in ds.graph(iri).triples((None, None, None))):
                sources.append(info)
        else:
            target = ds.graph(iri)
            for triple in g:
                target.add(triple)
            sources.append(info)
    for info in sources:
        if info.kind == "user":  # describe user sources outside their own graphs
            ds.default_graph.add((info.iri, RDF.type, CG.UserData))
            ds.default_graph.add((info.iri, RDFS.label, Literal(info.label)))
            ds.default_graph.add((info.iri, CG.sourceFile, Literal(info.file)))

    kg = KnowledgeGraph(ds, sources)
    if check:
        from .checks import find_cycles

        for cycle, relation in find_cycles(kg):
            chain = " -> ".join(kg.curie(n) for n in cycle)
            raise CycleError(f"{relation} cycle: {chain}", cycle=cycle)
    return kg
