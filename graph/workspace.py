"""A persistent workspace: an on-disk Oxigraph store where every change is one transaction.

A workspace is a folder made by :func:`init_workspace`::

    DIR/careergraph-workspace.json   marker and format version
    DIR/oxigraph/                    the pyoxigraph (RocksDB) store

It holds the same named graphs as an in-memory load (the ontology, one graph
per bundled source) plus one graph per file the user adds and a ``progress``
graph for :meth:`Workspace.learned`. Source descriptions of user graphs live in
a catalog graph. Every write (adding a file with its catalog entry, recording
progress) is a single Oxigraph transaction (``Store.load`` / ``Store.extend``
are all-or-nothing), so a failed or killed import leaves the store exactly as
it was. Reopening takes milliseconds: nothing is re-parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from careergraph.ontology import CG, ID_PREFIXES, PREFIXES, core_path, data_paths

from .errors import CareerGraphError, InvalidDataError, UsageError
from .models import SourceInfo

__all__ = ["Workspace", "init_workspace", "open_workspace", "WorkspaceError", "MARKER"]

MARKER = "careergraph-workspace.json"
FORMAT_VERSION = 1
CATALOG = ID_PREFIXES["source"]["catalog"]
PROGRESS = ID_PREFIXES["source"]["progress"]
_IMPORT = ID_PREFIXES["source"]  # user graphs: source:import-<uuid>


_OX_FORMATS = {
    "turtle": "TURTLE", "nt": "N_TRIPLES", "n3": "N3", "json-ld": "JSON_LD",
    "xml": "RDF_XML", "trig": "TRIG", "nquads": "N_QUADS",
}


class WorkspaceError(CareerGraphError):
    """A workspace folder is missing, not a workspace, in use, or damaged."""


def _to_ox(term):
    """An rdflib term as a pyoxigraph term."""
    import pyoxigraph as ox
    from rdflib import BNode

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _quads_of(graph_name: URIRef, triples) -> list:
    import pyoxigraph as ox

    name = _to_ox(graph_name)
    return [ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), name) for s, p, o in triples]


def _open_store(folder: Path):
    import pyoxigraph

    for key, value in list(_OX_FORMATS.items()):
        if isinstance(value, str):
            _OX_FORMATS[key] = getattr(pyoxigraph.RdfFormat, value)
    try:
        return pyoxigraph.Store(str(folder / "oxigraph"))
    except OSError as err:
        if "lock" in str(err).lower():
            raise WorkspaceError(f"{folder}: the workspace is in use by another careergraph process") from err
        raise WorkspaceError(f"{folder}: cannot open the workspace store: {err}") from err


def init_workspace(path, *, bundled: bool = True) -> "Workspace":
    """Create a workspace in the new or empty folder ``path`` and return it open.

    The store is built in a temporary folder beside ``path`` and renamed into
    place, so an interrupted ``init`` leaves no half-made workspace.

    Raises
    ------
    WorkspaceError
        ``path`` is a file, a non-empty folder, or already a workspace.
    """
    folder = Path(path)
    if folder.exists():
        if (folder / MARKER).exists():
            raise WorkspaceError(f"{folder}: already a careergraph workspace")
        if not folder.is_dir():
            raise WorkspaceError(f"{folder}: exists and is not a folder")
        if any(folder.iterdir()):
            raise WorkspaceError(f"{folder}: folder is not empty; choose a new or empty folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.init-", dir=folder.parent))
    try:
        store = _open_store(staging)
        if bundled:
            from .store import load

            kg = load()
            quads = []
            for src in kg.sources:
                quads.extend(_quads_of(src.iri, kg.dataset.graph(src.iri)))
            store.extend(quads)
        store.flush()
        del store
        meta = {"format": FORMAT_VERSION, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "bundled": bundled}
        (staging / MARKER).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return open_workspace(folder)


def open_workspace(path) -> "Workspace":
    """Open the workspace in ``path``.

    Raises
    ------
    WorkspaceError
        No workspace there (run ``careergraph init DIR``), a newer format, or in use.
    """
    folder = Path(path)
    marker = folder / MARKER
    if not marker.is_file():
        raise WorkspaceError(f"{folder}: not a careergraph workspace (create one with `careergraph init {folder}`)")
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise WorkspaceError(f"{marker}: unreadable workspace marker: {err}") from err
    if meta.get("format") != FORMAT_VERSION:
        raise WorkspaceError(f"{folder}: workspace format {meta.get('format')!r} is not supported "
                             f"(this careergraph reads format {FORMAT_VERSION})")
    return Workspace(folder, _open_store(folder))


class _StoreHandle:
    """Forwards to the pyoxigraph store until the workspace closes.

    pyoxigraph has no close(): its lock goes with the last reference to the
    store. Knowledge graphs get this handle, so closing the workspace drops the
    store even while a knowledge graph (or a traceback) is still alive.
    """

    def __init__(self, store):
        self._target = store

    def __getattr__(self, name):
        target = self.__dict__.get("_target")
        if target is None:
            raise WorkspaceError("the workspace is closed")
        return getattr(target, name)


class Workspace:
    """An open workspace. Use :func:`init_workspace` or :func:`open_workspace` to get one.

    Close it (or use it as a context manager) to release the store's lock.
    """

    def __init__(self, folder: Path, store):
        self.folder = folder
        self.store = store
        self._handles: list[_StoreHandle] = []

    def __repr__(self):
        return f"<Workspace {self.folder}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Flush and release the store (other processes can open it afterwards)."""
        if self.store is not None:
            self.store.flush()
            for handle in self._handles:
                handle._target = None
            self._handles = []
            self.store = None

    # -- reading --------------------------------------------------------------
    def sources(self) -> list[SourceInfo]:
        """Every source in the store: bundled ones describe themselves, user ones are in the catalog."""
        import pyoxigraph as ox

        q = """
        SELECT ?g ?label ?kind ?file ?n WHERE {
          { GRAPH ?g { ?g a ?cls } VALUES (?cls ?kind) { (cg:SeedSection "seed") (cg:CuratedEstimate "curated") } }
          UNION { GRAPH cg:catalog { ?g a cg:UserData ; rdfs:label ?ulabel ; cg:sourceFile ?file ;
                                     cg:tripleCount ?n } BIND("user" AS ?kind) }
          UNION { GRAPH ?g { ?g a owl:Ontology } BIND("ontology" AS ?kind) }
          OPTIONAL { GRAPH ?g { ?g rdfs:label ?l2 } }
          BIND(COALESCE(?ulabel, ?l2) AS ?label)
        }"""
        prefixes = {"cg": str(CG._NS), "rdfs": str(RDFS), "owl": "http://www.w3.org/2002/07/owl#"}
        q = q.replace("cg:catalog", f"<{CATALOG}>")
        out = {}
        for row in self.store.query(q, prefixes=prefixes):
            iri = URIRef(row["g"].value)
            kind = row["kind"].value
            label = row["label"].value if row["label"] is not None else iri.rsplit("/", 1)[-1]
            if iri == PROGRESS:
                file = row["file"].value
                count = sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(str(iri))))
            elif kind == "user":
                file, count = row["file"].value, int(row["n"].value)
            else:
                file = f"{iri.rsplit('/', 1)[-1]}.ttl" if kind != "ontology" else "core.ttl"
                count = sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(str(iri))))
            out.setdefault(iri, SourceInfo(iri, label, kind, file, count))
        return sorted(out.values(), key=lambda s: ({"ontology": 0, "seed": 1, "curated": 2}.get(s.kind, 3), s.file))

    def knowledge_graph(self):
        """The workspace as a :class:`~careergraph.graph.store.KnowledgeGraph` (rdflib API over Oxigraph)."""
        from oxrdflib import OxigraphStore

        from .store import KnowledgeGraph

        handle = _StoreHandle(self.store)
        self._handles.append(handle)
        ds = Dataset(store=OxigraphStore(store=handle), default_union=True)
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns, override=True, replace=True)
        return KnowledgeGraph(ds, self.sources())

    # -- writing ----------------------------------------------------------------
    def add(self, path, *, fmt: str | None = None, replace: bool = False, label: str | None = None,
            key: str | None = None, origin=None) -> SourceInfo:
        """Add an RDF file as a new source, in one transaction.

        The file is parsed (with Oxigraph's parser: about ten times faster
        than rdflib's) and checked (no prerequisite or hierarchy cycle with
        what the store already holds) before anything is written; then its
        triples and its catalog entry are written in a single transaction.
        Named graphs inside TriG or N-Quads files are merged into the one
        source. Adding a file whose path is already a source is refused unless
        ``replace``, which writes the new version and then drops the old one.
        ``label`` and ``key`` (default: the file's name and absolute path)
        name the source, and ``origin`` is the file whose SHA-256 is recorded
        (default: the file itself), for RDF made from another file
        (``careergraph import ... --store``).

        Raises
        ------
        InvalidDataError
            The file is missing, malformed, or would create a cycle.
        UsageError
            The file was added before and ``replace`` is False.
        """
        import pyoxigraph as ox

        from .checks import find_cycle
        from .store import _check_jsonld_context, guess_format

        file = Path(path)
        if not file.exists():
            raise InvalidDataError("no such file", path=file)
        if file.is_dir():
            raise InvalidDataError("is a directory, not a data file", path=file)
        fmt = fmt or guess_format(file)
        if fmt == "json-ld":
            _check_jsonld_context(file, file.read_text(encoding="utf-8"))
        key = key or str(file.resolve())
        label = label or file.name
        previous = [s for s in self.sources() if s.kind == "user" and s.file == key]
        if previous and not replace:
            raise UsageError(f"{key}: already in the workspace as {previous[0].iri}; use --replace to update it")

        iri = _IMPORT[f"import-{uuid.uuid4().hex[:12]}"]
        name = ox.NamedNode(str(iri))
        try:
            parsed = ox.parse(path=str(file), format=_OX_FORMATS[fmt], base_iri=file.resolve().as_uri())
            quads = [ox.Quad(q.subject, q.predicate, q.object, name) for q in parsed]
        except SyntaxError as err:
            message = " ".join(str(err.msg).split())
            raise InvalidDataError(f"bad {fmt} syntax: {message}", path=file, line=err.lineno) from err
        except (OSError, ValueError) as err:
            raise InvalidDataError(f"cannot read: {err}", path=file) from err

        # Cycles over the store's edges (less a version being replaced) plus the file's.
        replaced = {ox.NamedNode(str(prev.iri)) for prev in previous}
        for prop, relation in ((CG.prerequisite, "cg:prerequisite"), (SKOS.broader, "skos:broader")):
            pred = ox.NamedNode(str(prop))
            edges: dict = {}
            stored = (q for q in self.store.quads_for_pattern(None, pred, None) if q.graph_name not in replaced)
            for q in list(stored) + [q for q in quads if q.predicate == pred]:
                edges.setdefault(q.subject.value, set()).add(q.object.value)
            cycle = find_cycle(edges)
            if cycle:
                from .resolve import curie

                chain = " -> ".join(curie(n) for n in cycle)
                raise InvalidDataError(f"adding it would make a {relation} cycle: {chain}", path=file)

        if previous:
            quads += self._carried_over(quads, [ox.NamedNode(str(prev.iri)) for prev in previous], name)
        origin = Path(origin) if origin is not None and Path(origin).is_file() else file
        digest = hashlib.sha256(origin.read_bytes()).hexdigest()
        count = len(set(quads))
        catalog = [
            (iri, RDF.type, CG.UserData),
            (iri, RDFS.label, Literal(label)),
            (iri, CG.sourceFile, Literal(key)),
            (iri, CG.tripleCount, Literal(count, datatype=XSD.integer)),
            (iri, CG.sha256, Literal(digest)),
            (iri, CG.addedAt, Literal(datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                      datatype=XSD.dateTime)),
        ]
        self.store.extend(quads + _quads_of(CATALOG, catalog))  # one transaction
        for old in previous:  # only after the new version is safely in
            self._drop(old.iri)
        self.store.flush()
        return SourceInfo(iri, label, "user", key, count)

    def _carried_over(self, quads, old_graphs, name) -> list:
        """Facts of the version being replaced about entities the new version still uses
        but that nothing else declares (an organisation or skill the old import created,
        which the new import resolved instead of creating again)."""
        import pyoxigraph as ox

        rdf_type = ox.NamedNode(str(RDF.type))
        used = {t for q in quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
        declared_new = {q.subject for q in quads if q.predicate == rdf_type}
        carried = []
        for graph in old_graphs:
            for entity in sorted(used - declared_new, key=str):
                if not any(True for _ in self.store.quads_for_pattern(entity, rdf_type, None, graph)):
                    continue
                elsewhere = any(q.graph_name not in old_graphs
                                for q in self.store.quads_for_pattern(entity, rdf_type, None))
                if not elsewhere:
                    carried += [ox.Quad(q.subject, q.predicate, q.object, name)
                                for q in self.store.quads_for_pattern(entity, None, None, graph)]
        return carried

    def remove(self, source: URIRef) -> None:
        """Remove a user source (its graph and its catalog entry)."""
        if not any(s.iri == source and s.kind == "user" for s in self.sources()):
            raise UsageError(f"{source}: not a user source of this workspace")
        self._drop(source)
        self.store.flush()

    def _drop(self, iri: URIRef) -> None:
        import pyoxigraph as ox

        name = ox.NamedNode(str(iri))
        cat = ox.NamedNode(str(CATALOG))
        entries = list(self.store.quads_for_pattern(name, None, None, cat))
        # The catalog entry goes first: a crash after it leaves an orphan graph
        # that no source lists, never a listed source with missing facts.
        for quad in entries:
            self.store.remove(quad)
        self.store.remove_graph(name)

    def learned(self, person: URIRef, skill: URIRef) -> bool:
        """Record that ``person`` now holds ``skill`` (in the progress graph). False if already recorded."""
        import pyoxigraph as ox

        (quad,) = _quads_of(PROGRESS, [(person, CG.hasSkill, skill)])
        if quad in self.store:
            return False
        extra = []
        if not any(True for _ in self.store.quads_for_pattern(ox.NamedNode(str(PROGRESS)), None, None,
                                                              ox.NamedNode(str(CATALOG)))):
            extra = _quads_of(CATALOG, [
                (PROGRESS, RDF.type, CG.UserData), (PROGRESS, RDFS.label, Literal("progress")),
                (PROGRESS, CG.sourceFile, Literal("(careergraph learned)")),
                (PROGRESS, CG.tripleCount, Literal(0, datatype=XSD.integer))])
        self.store.extend([quad, *extra])
        self.store.flush()
        return True

    def forget(self, person: URIRef, skill: URIRef) -> bool:
        """Undo :meth:`learned`. False when there was nothing to undo."""
        (quad,) = _quads_of(PROGRESS, [(person, CG.hasSkill, skill)])
        if quad not in self.store:
            return False
        self.store.remove(quad)
        self.store.flush()
        return True
