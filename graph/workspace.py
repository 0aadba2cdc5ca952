"""A persistent workspace: an on-disk Oxigraph store whose catalog says what is in it.

A workspace is a folder made by :func:`init_workspace`::

    DIR/careergraph-workspace.json   marker: format version, the store's generation and folder
    DIR/oxigraph/                    the pyoxigraph (RocksDB) store (``oxigraph-<random>/`` after a rebuild)
    DIR/.careergraph.lock            held (``flock``) while open: by one writer, or shared by readers

It holds the same named graphs as an in-memory load (the ontology, one graph
per bundled source) plus one graph per file the user adds and a ``progress``
graph for :meth:`Workspace.learned`. Source descriptions of user graphs live in
a catalog graph, and **the catalog entry is the commit point of every add**.

How a file goes in (:meth:`Workspace.add`):

1. It is streamed into a fresh graph ``source:import-<random>``: files of
   1 MiB or more with ``Store.bulk_load`` (writes index files directly; about
   5x faster than a transaction on large files, and memory stays flat), smaller
   ones with ``Store.load`` (one transaction; ``bulk_load`` costs 25-100 ms even
   for three triples). Named graphs inside TriG, N-Quads, JSON-LD or N3 files
   are merged into that one graph (``bulk_extend`` / ``extend``).
2. It is checked against the store (no prerequisite or ``skos:broader`` cycle),
   reading only those two properties' quads.
3. One SPARQL update (Oxigraph runs a whole update request as one transaction)
   writes its catalog entry and, for ``--replace``, deletes the old version's
   entry. Only then are the old version's triples deleted.

Ctrl-C and crashes. ``bulk_load`` is one call into Oxigraph that Python
cannot interrupt, so a big N-Triples, Turtle or RDF/XML file is bulk loaded by
a child process (:meth:`Workspace._bulk_load_apart`): this process lets go of
its store, the child opens it and loads, and Ctrl-C kills the child at once
(the workspace's ``flock`` stays here; the child ignores Ctrl-C and, on Linux,
dies with its parent). Oxigraph's bulk loader writes index files
(``bulk-*.sst``) for every batch of a million quads and hands them all to
RocksDB in one atomic ingestion at the end: a loader killed after writing all
16 files of the 1.9M-triple L file had added nothing to the store. Before a big
add the store is checkpointed (``Store.backup``: hard links to its immutable
files, about 20 ms at L) and the marker names the checkpoint under ``undo``.
Until the commit, any failure (Ctrl-C after the load, a cycle, bad syntax)
switches back to the checkpoint and its generations instead of deleting what
was loaded, so caches of the store stay current; after a crash (SIGKILL) the
next :func:`open_workspace` does the same, or, if the add had committed, only
deletes the checkpoint. Measured side by side on a busy 2-core machine: Ctrl-C
10-25 s into adding the L file to a copy of the L workspace exited in
0.6-1.8 s (three runs) with the workspace as before (155 s before this design: the load ran
to its end, then its triples were dropped again); adding L to a new workspace
took a median 39 s this way and 49 s in-process (6 runs each, alternating:
no slower). A small add (``Store.load``) starts no process and makes no
checkpoint.

A ``remove`` of a source of :data:`_DELETE_CHUNK` triples or more, and a
``--replace`` until its old version is deleted, keep such a checkpoint too
(``op`` ``"remove"`` / ``"replace"``: done only once the marker drops
``undo``), so Ctrl-C or a crash mid-deletion switches back rather than leaving
a deletion for the next command: Ctrl-C 6 s into removing a 600k-triple
source from a copy of the L workspace (deleted in place) exited in 0.7 s with
nothing left to do, where before it exited between chunks (2.6 s) and the next
command spent 30 s finishing the deletion.

Other graphs without a catalog entry: a smaller removed source, or an old
version, whose deletion was cut short after the commit where no checkpoint
was taken (no ``flock``), and the part a crashed in-process load left (where
the child cannot be used: no ``flock``, or something else in this process
still holds the store). :func:`open_workspace`
finds every import graph without a catalog entry, deletes it (and the
temporary index files a killed ``bulk_load`` leaves in the store folder) before
anything reads the store, and reports each repair in :attr:`Workspace.repairs`
and as a ``logging`` warning. So every reader sees each source either whole or
not at all, as before the change or after it.

Deleting is slow in Oxigraph, several times slower than bulk loading (measured
on a busy 2-core machine: 11-20 s for the 300k triples of the M benchmark file,
87-112 s for 1M triples, whether with ``remove_graph``, one ``DELETE`` or
chunks), and about as slow per triple as copying quads into a new store. So
graphs that hold at least as many triples as the rest of the store (removing
the one big source, undoing a big add in-process) are dropped by copying the
rest into a new store folder and switching the marker to it
(:meth:`Workspace._rebuild_without`): removing the 1.9M-triple L source took
1.5 s and 86 MB that way, against 291 s and 1.2 GB deleting in place, side by
side on a busy machine. Smaller graphs are deleted in place, in chunks of
50,000 triples (the fastest measured, and memory stays bounded: one
``remove_graph`` of 1.7M triples grew past 1.5 GB). Replacing a big source
still deletes its old version in place: the copy would be as big. (Copying
looks cheaper than that now: the 1.9M quads of the L workspace were copied
into a new store in 58 s on the busy machine, where the old figure for
deleting them in place is 291 s; not measured side by side, so the rule is
unchanged.)

Removing a source of targets only (job postings: ``_index_change`` says
``"targets"``) shrinks the saved compiled index instead of leaving it to be
rebuilt (:func:`~careergraph.graph.index.shrink_saved_index`), and deletes the
source's rows from the label table where no other source describes the same
entities (:meth:`Workspace._labels_without`). Removing a file of 1,000
postings from a copy of the L workspace, then ``rank postings`` for a person
named by label: 4.3 s plus 0.9-1.4 s, against 1.5-1.9 s plus 31 s building
the index and the label table again (side by side, two runs each).

:attr:`Workspace.generation` is an opaque string stored in the marker file and
replaced before every change to the store's content made through this module
(add, remove, learned, forget, repairs), so a cache built from the store can
tell whether it is still current. Reopening takes milliseconds: nothing is
re-parsed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from careergraph.ontology import CG, ID_PREFIXES, PREFIXES

from .errors import CareerGraphError, InvalidDataError, UsageError
from .models import SourceInfo

__all__ = ["Workspace", "init_workspace", "open_workspace", "WorkspaceError", "WorkspaceLocationError", "WorkspaceBusyError", "MARKER",
           "BULK_THRESHOLD"]

MARKER = "careergraph-workspace.json"
FORMAT_VERSION = 1
CATALOG = ID_PREFIXES["source"]["catalog"]
PROGRESS = ID_PREFIXES["source"]["progress"]
_IMPORT = ID_PREFIXES["source"]  # user graphs: source:import-<uuid>
_IMPORT_PREFIX = str(_IMPORT["import-"])

#: Seconds an open waits for Oxigraph's lock held by the loader child of a killed careergraph.
_LOADER_EXIT = 5.0
#: Files of at least this many bytes are bulk loaded; smaller ones go in one transaction.
BULK_THRESHOLD = 1 << 20
_DELETE_CHUNK = 50_000
#: Graphs of at least this many triples, holding at least as many as the rest of the store,
#: are dropped by copying the rest into a new store (see :meth:`Workspace._drop`).
REBUILD_THRESHOLD = 200_000
#: The store's folder in a workspace the marker names no other in (a rebuild writes ``oxigraph-<random>``).
_STORE = "oxigraph"

_OX_FORMATS = {
    "turtle": "TURTLE", "nt": "N_TRIPLES", "n3": "N3", "json-ld": "JSON_LD",
    "xml": "RDF_XML", "trig": "TRIG", "nquads": "N_QUADS",
}
_TRIPLE_FORMATS = {"turtle", "nt", "xml"}  # bulk_load(to_graph=...) puts all of these in one graph

log = logging.getLogger(__name__)

#: What the compiled index, the skill model and demand's counts are read from. A file
#: with none of these facts (a person's profile, labels in another language) keeps them:
#: adding it to a big workspace does not rebuild the index. The skill model's facts:
_MODEL_PREDICATES = (CG.prerequisite, CG.effortHours, SKOS.broader)
#: The targets' facts: a file with these and none of the model's (a file of job postings)
#: extends the saved index with its targets' rows instead of rebuilding it.
_TARGET_PREDICATES = (CG.requiresSkill, CG.prefersSkill, CG.needsSkill)
_INDEXED_CLASSES = (CG.JobPosting, CG.Role)


def _index_change(store, graph) -> str | None:
    """What graph ``graph`` of ``store`` changes of the compiled index.

    ``"model"`` when it states a prerequisite, hours or a broader skill (the
    index is built again), ``"targets"`` when it states only targets and their
    requirements (:func:`~careergraph.graph.index.extend_saved_index`), None when
    it holds no fact the index is made of.
    """
    import pyoxigraph as ox

    def has(patterns):
        return any(next(iter(store.quads_for_pattern(s, p, o, graph)), None) is not None for s, p, o in patterns)

    if has([(None, ox.NamedNode(str(p)), None) for p in _MODEL_PREDICATES]):
        return "model"
    targets = [(None, ox.NamedNode(str(p)), None) for p in _TARGET_PREDICATES]
    targets += [(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(c))) for c in _INDEXED_CLASSES]
    return "targets" if has(targets) else None


class WorkspaceError(CareerGraphError):
    """A workspace folder is missing, not a workspace, in use, or damaged."""


class WorkspaceLocationError(WorkspaceError, UsageError):
    """The folder given is the wrong place: not a workspace (``--store``), or not a new or empty folder (``init``).
    A usage error (exit code 2): nothing is wrong with any data."""


class WorkspaceBusyError(WorkspaceError):
    """Another process holds the workspace: it writes (an ``add``, a ``remove``), or it reads and this one writes."""

    exit_code = 5


def _busy(folder) -> WorkspaceBusyError:
    return WorkspaceBusyError(f"{folder}: the workspace is in use by another careergraph process; "
                              "try again when it is done, or wait for it (--wait SECONDS)")


#: What the child process of :meth:`Workspace._bulk_load_apart` runs: arguments are the parent's
#: pid, the store's folder, the file, its format's name, its base IRI and the graph. A failure is
#: one line of JSON on stdout.
_LOADER = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills this process
try:  # Linux: die with the parent, so a killed careergraph leaves no load running
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(3)
import json
import pyoxigraph as ox
folder, path, fmt, base, graph = sys.argv[2:7]
try:
    store = ox.Store(folder)
    store.bulk_load(path=path, format=getattr(ox.RdfFormat, fmt), base_iri=base, to_graph=ox.NamedNode(graph))
except SyntaxError as err:
    print(json.dumps({"syntax": str(err.msg), "line": err.lineno}))
    sys.exit(1)
except (OSError, ValueError) as err:
    print(json.dumps({"error": str(err), "lock": isinstance(err, OSError) and "lock" in str(err).lower()}))
    sys.exit(1)
"""


def _block_sigint():
    """Hold back SIGINT in this thread (where it can be: POSIX, the main thread); returns what to restore."""
    import signal

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _unblock_sigint(previous) -> None:
    import signal

    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def _ox_format(fmt: str):
    import pyoxigraph

    return getattr(pyoxigraph.RdfFormat, _OX_FORMATS[fmt])


def _open_store(folder: Path, name: str = _STORE, *, read_only: bool = False, patience: float = 0.0):
    """Open the store folder ``name``. ``patience``: seconds to try again while Oxigraph's own lock
    is held (by a bulk loader child of a careergraph process that was just killed, which dies with it)."""
    import pyoxigraph

    deadline = time.monotonic() + patience
    while True:
        try:
            if read_only:  # no write lock of Oxigraph's own (the workspace's flock covers it); opens faster
                return pyoxigraph.Store.read_only(str(folder / name))
            return pyoxigraph.Store(str(folder / name))
        except OSError as err:
            if "lock" not in str(err).lower():
                raise WorkspaceError(f"{folder}: cannot open the workspace store: {err}") from err
            if time.monotonic() >= deadline:
                raise _busy(folder) from err
        time.sleep(0.02)


def _write_marker(folder: Path, meta: dict) -> None:
    """Replace the marker file atomically (write a temporary file, fsync, rename)."""
    tmp = folder / f".{MARKER}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(meta, indent=2) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / MARKER)


def init_workspace(path, *, bundled: bool = True) -> "Workspace":
    """Create a workspace in the new or empty folder ``path`` and return it open.

    The store is built in a temporary folder beside ``path`` and renamed into
    place, so an interrupted ``init`` leaves no half-made workspace.
    ``bundled=False`` starts with an empty store.

    Raises
    ------
    WorkspaceError
        ``path`` is a file, a non-empty folder, or already a workspace.
    """
    folder = Path(path)
    if folder.exists():
        if (folder / MARKER).exists():
            raise WorkspaceLocationError(f"{folder}: already a careergraph workspace")
        if not folder.is_dir():
            raise WorkspaceLocationError(f"{folder}: exists and is not a folder")
        if any(folder.iterdir()):
            raise WorkspaceLocationError(f"{folder}: folder is not empty; choose a new or empty folder")
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
                "bundled": bundled, "generation": uuid.uuid4().hex}
        _write_marker(staging, meta)
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return open_workspace(folder)


def _read_marker(folder: Path) -> dict:
    marker = folder / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise WorkspaceError(f"{marker}: unreadable workspace marker: {err}") from err


def open_workspace(path, *, read_only: bool = False, wait: float = 0.0, on_wait=None) -> "Workspace":
    """Open the workspace in ``path``, first finishing or undoing any change a crash cut short.

    Import graphs without a catalog entry (part of a file whose load was
    killed, or an old version whose deletion was) are deleted before the
    workspace is returned; each repair is described in
    :attr:`Workspace.repairs` and logged as a warning.

    ``read_only`` opens the store for reading only (about 30 ms instead of
    about 90 ms on the L benchmark workspace, side by side), and several
    processes may then read at once; one that writes waits for none of them
    but is told the workspace is in use. Caches beside the store (the
    compiled index, the label table) are still written. A workspace that
    needs a repair is opened for writing instead, to make it.

    While another process holds the workspace (see :func:`_lock`), the open
    is tried again for up to ``wait`` seconds; ``on_wait()`` is called once
    when it starts waiting (the command line says so).

    Raises
    ------
    WorkspaceBusyError
        Another process still holds it after ``wait`` seconds (exit code 5).
    WorkspaceError
        No workspace there (run ``careergraph init DIR``) or a newer format.
    """
    folder = Path(path)
    if not (folder / MARKER).is_file():
        raise WorkspaceLocationError(f"{folder}: not a careergraph workspace (create one with `careergraph init {folder}`)")
    meta = _read_marker(folder)
    if meta.get("format") != FORMAT_VERSION:
        raise WorkspaceError(f"{folder}: workspace format {meta.get('format')!r} is not supported "
                             f"(this careergraph reads format {FORMAT_VERSION})")
    lock = _lock(folder, shared=read_only, wait=wait, on_wait=on_wait)
    if lock is None:  # no flock (Windows): Oxigraph's own lock, which only a writer takes, must hold it
        read_only = False
    try:
        meta = _read_marker(folder)  # re-read: now we hold the lock
        # holding the flock, only a dying loader of a killed careergraph (see Workspace._bulk_load_apart)
        # can still hold Oxigraph's lock: wait the moment it takes to go
        store = _open_store(folder, _store_name(folder, meta), read_only=read_only,
                            patience=_LOADER_EXIT if lock is not None else 0.0)
        ws = Workspace(folder, store, meta, read_only=read_only)
    except BaseException:
        _unlock(lock)
        raise
    ws._lock = lock
    if read_only:
        if "generation" in ws._meta and not ws._needs_repair():
            return ws
        ws.close()  # a repair writes: open for writing
        return open_workspace(folder, wait=wait, on_wait=on_wait)
    if "generation" not in ws._meta:  # made by an earlier careergraph
        ws._bump()
    ws._repair()
    return ws


def _lock(folder: Path, *, shared: bool = False, wait: float = 0.0, on_wait=None):
    """Hold the workspace until it closes: a ``flock`` (where there is one), exclusive for a
    writer and ``shared`` among readers.

    Oxigraph locks its own folder for a writer; this lock also keeps readers
    (which Oxigraph does not lock out) and writers apart, including while a
    rebuild switches the store's folder. While another process holds it, try
    again for up to ``wait`` seconds (``on_wait()`` is called once, first).
    Returns the open lock file, or None.
    """
    try:
        import fcntl
    except ImportError:  # Windows: Oxigraph's lock alone, and no rebuilds (see Workspace._drop)
        return None
    f = open(folder / ".careergraph.lock", "a+b")  # noqa: SIM115 - held open until close()
    deadline = time.monotonic() + max(wait, 0.0)
    waited = False
    while True:
        try:
            fcntl.flock(f.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return f
        except OSError as err:
            if time.monotonic() >= deadline:
                f.close()
                raise _busy(folder) from err
        if not waited and on_wait is not None:
            on_wait()
        waited = True
        time.sleep(0.1)


def _unlock(lock) -> None:
    if lock is not None:
        lock.close()  # closing the file releases the flock


def _store_name(folder: Path, meta: dict) -> str:
    """The folder of the store the marker names (``oxigraph`` unless a rebuild replaced it)."""
    name = meta.get("store", _STORE)
    if not (isinstance(name, str) and name.startswith(_STORE) and "/" not in name and "\\" not in name
            and (folder / name).is_dir()):
        raise WorkspaceError(f"{folder / MARKER}: names no store folder of this workspace ({name!r})")
    return name


class _StoreHandle:
    """Forwards to the pyoxigraph store until the workspace closes.

    pyoxigraph has no close(): its lock goes with the last reference to the
    store. Knowledge graphs get this handle, so closing the workspace drops the
    store even while a knowledge graph (or a traceback) is still alive.
    """

    def __init__(self, store, workspace=None):
        self._target = store
        self._workspace = workspace

    @property
    def spawn_path(self) -> str | None:
        """The store's folder, for a query to open read-only in a fresh process, when this one
        writes to it: a forked child would inherit RocksDB's background threads' locks (a flush or
        compaction running at the fork) and can wait on them forever. None for a read-only store."""
        ws = self._workspace
        if ws is None or ws.read_only or self.__dict__.get("_target") is None:
            return None
        return str(ws.folder / ws._store_name)

    def __getattr__(self, name):
        target = self.__dict__.get("_target")
        if target is None:
            raise WorkspaceError("the workspace is closed")
        return getattr(target, name)


def _count(store, name) -> int:
    # COUNT(?s), not COUNT(*): same number, measured 2.6x faster on 1.9M triples
    (row,) = store.query(f"SELECT (COUNT(?s) AS ?n) WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}")
    return int(row["n"].value)


class Workspace:
    """An open workspace. Use :func:`init_workspace` or :func:`open_workspace` to get one.

    Close it (or use it as a context manager) to release the store's lock.

    Attributes
    ----------
    folder : Path
        The workspace folder.
    store : pyoxigraph.Store
        The open store (None once closed). Write to it only through the
        methods here, or :attr:`generation` will not change.
    repairs : list of str
        What :func:`open_workspace` cleaned up after an interrupted change.
    """

    def __init__(self, folder: Path, store, meta: dict | None = None, *, read_only: bool = False):
        self.folder = folder
        self.store = store
        self.read_only = read_only
        self._meta = dict(meta or {})
        self._store_name = self._meta.get("store", _STORE)
        self._handles: list[_StoreHandle] = []
        self._lock = None
        self.repairs: list[str] = []

    def __repr__(self):
        return f"<Workspace {self.folder}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Flush and release the store (other processes can open it afterwards)."""
        if self.store is not None:
            if not self.read_only:
                self.store.flush()
            for handle in self._handles:
                handle._target = None
            self._handles = []
            self.store = None
        _unlock(self._lock)
        self._lock = None

    @property
    def generation(self) -> str:
        """An opaque token that changes whenever the store's content changes.

        It is persisted in the marker file and replaced *before* each change
        (add, remove, learned, forget, and the repairs of :func:`open_workspace`),
        so a crash part-way through a change also leaves a new value. Compare
        it for equality only: a cache (such as a compiled index) built while it
        had some value is current exactly while it still has that value. A
        failed add may change it without changing the content.
        """
        return self._meta["generation"]

    @property
    def data_generation(self) -> str:
        """Like :attr:`generation`, but kept by :meth:`learned`, :meth:`forget`, and :meth:`add`
        of a file that holds no fact the compiled index is made of (a person's profile, say).

        Those do not change what the compiled index and the skill model hold:
        caches of them are keyed on this, so recording a learned skill or adding
        a profile does not rebuild the index of a big workspace.
        """
        return self._meta.get("data_generation", self._meta["generation"])

    @property
    def light_sources(self) -> tuple:
        """The sources added since :attr:`data_generation` last changed (they hold no indexed fact).

        A cache of names (the label table) keyed on the data generation takes
        in these sources' names when it is next read, instead of being rebuilt.
        """
        return tuple(self._meta.get("light_sources", ()))

    def _bump(self, *, data: bool = True) -> None:
        if self.read_only:  # every change of the content starts here
            raise WorkspaceError(f"{self.folder}: the workspace was opened read-only")
        if "generation" in self._meta:  # until now one token stood for both
            self._meta.setdefault("data_generation", self._meta["generation"])
        self._meta["generation"] = uuid.uuid4().hex
        if data or "data_generation" not in self._meta:
            self._meta["data_generation"] = self._meta["generation"]
            self._meta.pop("light_sources", None)
        _write_marker(self.folder, self._meta)

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
        from .store import KnowledgeGraph

        handle = _StoreHandle(self.store, self)
        self._handles.append(handle)

        def dataset():  # made when first needed: most lookups go to Oxigraph directly
            from oxrdflib import OxigraphStore

            ds = Dataset(store=OxigraphStore(store=handle), default_union=True)
            for prefix, ns in PREFIXES.items():
                ds.bind(prefix, ns, override=True, replace=True)
            return ds

        kg = KnowledgeGraph(dataset, self.sources(), oxigraph=handle)
        # caches of derived data follow the generation; the compiled index is kept in the workspace
        kg.generation = lambda: self.generation
        kg.data_generation = lambda: self.data_generation
        kg.light_sources = lambda: self.light_sources
        kg.index_folder = self.folder / "index"
        return kg

    # -- writing ----------------------------------------------------------------
    def add(self, path, *, fmt: str | None = None, replace: bool = False, label: str | None = None,
            key: str | None = None, origin=None) -> SourceInfo:
        """Add an RDF file as a new source; readers see all of it or none of it.

        The file is streamed into a new graph with Oxigraph's parser (bulk
        loaded from :data:`BULK_THRESHOLD` bytes up), checked (no prerequisite
        or hierarchy cycle with what the store already holds), and then
        committed by writing its catalog entry; on any error, Ctrl-C included,
        the new graph is deleted again (a big file: the store switches back to
        a checkpoint taken before), and a crash part-way is undone by the next
        :func:`open_workspace` (see the module docstring). Named graphs inside
        TriG or N-Quads files are merged into the one source. Adding a file
        whose path is already a source is refused unless ``replace``, which
        swaps the catalog entries in one transaction and then deletes the old
        version; entities the new version still uses but no longer declares
        keep their facts. ``label`` and ``key`` (default: the file's name and
        absolute path) name the source, and ``origin`` is the file whose
        SHA-256 is recorded (default: the file itself), for RDF made from
        another file (``careergraph import ... --store``).

        Raises
        ------
        InvalidDataError
            The file is missing, malformed (with file:line), or would create a cycle.
        UsageError
            The file was added before and ``replace`` is False.
        """
        from concurrent.futures import ThreadPoolExecutor

        import pyoxigraph as ox

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
        origin = Path(origin) if origin is not None and Path(origin).is_file() else file

        iri = _IMPORT[f"import-{uuid.uuid4().hex[:12]}"]
        name = ox.NamedNode(str(iri))
        old_graphs = [ox.NamedNode(str(prev.iri)) for prev in previous]
        kept = {k: self._meta[k] for k in ("generation", "data_generation", "light_sources") if k in self._meta}
        self._bump(data=False)  # and the data generation too, below, unless the file leaves the index as it is
        # a big file: undone by switching back to a checkpoint of the store, not by deleting it again
        # a replace is undone until its old version is deleted too (in place: minutes for a big one)
        big = file.stat().st_size >= BULK_THRESHOLD or sum(p.triples for p in previous) >= _DELETE_CHUNK
        undo = self._checkpoint(iri, kept, "replace" if previous else "add") if big and self._lock else None
        stop = threading.Event()
        try:
            with ThreadPoolExecutor(max_workers=1) as hasher:  # hashes while the file loads
                digest = hasher.submit(_sha256, origin, stop)
                try:
                    self._load(file, fmt, name)
                except BaseException:
                    stop.set()  # or leaving this block waits for the hash of the whole file
                    raise
            digest = digest.result()
            if old_graphs:
                self._carry_over(name, old_graphs)
            self._check_cycles(file, name, set(old_graphs))
            # before the commit, so a crash after it cannot leave caches that miss the file
            change = "model" if old_graphs else _index_change(self.store, name)
            before = self._index_key(), list(self.light_sources)
            if change:
                self._bump()
            else:  # caches of the index stay; the label table takes in this source's names (light_sources)
                self._meta.setdefault("light_sources", []).append(str(iri))
                _write_marker(self.folder, self._meta)
            count = _count(self.store, name)
            catalog = [
                (iri, RDF.type, CG.UserData),
                (iri, RDFS.label, Literal(label)),
                (iri, CG.sourceFile, Literal(key)),
                (iri, CG.tripleCount, Literal(count, datatype=XSD.integer)),
                (iri, CG.sha256, Literal(digest)),
                (iri, CG.addedAt, Literal(datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                          datatype=XSD.dateTime)),
            ]
            # The commit: one transaction swaps the catalog entries.
            self.store.update(_catalog_update(old_graphs, _quads_of(CATALOG, catalog)))
        except BaseException:
            try:
                if undo is not None:
                    self._restore(undo)
                else:
                    self._drop([name])
            except Exception:  # noqa: S110 - the next open_workspace undoes it
                pass
            raise
        if undo is not None and not old_graphs:
            self._discard(undo)
        try:
            self._drop(old_graphs)  # only after the new version is committed
        except BaseException:
            if undo is not None:  # Ctrl-C: the old version, whole again, instead of a deletion to finish
                self._restore(undo)
            raise
        if undo is not None and old_graphs:
            self._discard(undo)
        self.store.flush()
        if change and not old_graphs:
            self._carry_caches(before, name.value, targets_only=change == "targets")
        return SourceInfo(iri, label, "user", key, count)

    def add_written(self, write, *, label: str, key: str, origin=None, replace: bool = False) -> SourceInfo:
        """:meth:`add` the N-Triples that ``write(path)`` writes, through a temporary file in the
        workspace folder that is deleted afterwards: for RDF made from another file (an import)
        or fetched (a mirror of a SPARQL endpoint)."""
        handle, tmp = tempfile.mkstemp(prefix=".import-", suffix=".nt", dir=self.folder)
        os.close(handle)
        try:
            write(tmp)
            return self.add(tmp, replace=replace, label=label, key=key, origin=origin)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _index_key(self) -> str:
        """The key of caches of the compiled index now (as ``KnowledgeGraph.index_key`` gives it)."""
        return f"data:{self.data_generation}"

    def _carry_caches(self, before: tuple, graph: str, *, targets_only: bool) -> None:
        """After adding ``graph``, bring the caches current for ``before`` up to date instead of
        leaving them to be rebuilt: the label table takes in the file's names, and for a file of
        targets only the saved index gets their rows. Each is a cache: if this fails or is cut
        short, it is rebuilt when next needed."""
        from .index import extend_saved_index
        from .resolve import LabelTable

        folder = self.folder / "index"
        old_key, old_light = before
        try:
            if targets_only:
                extend_saved_index(folder, self.store, graph, old_key=old_key, key=self._index_key())
            LabelTable.advance(self.knowledge_graph(), folder, old_key, old_light, [graph])
        except Exception as err:  # noqa: BLE001 - a cache left stale is rebuilt, the add stands
            log.warning("%s: caches not updated after the add, rebuilt when next needed: %s", self.folder, err)

    def _removed_targets(self, name) -> list | None:
        """The targets graph ``name`` types or gives requirements (before it is removed), or None
        when they cannot be read (the index is then built again when next needed)."""
        from .index import graph_targets

        try:
            return graph_targets(self.store, name.value)
        except Exception as err:  # noqa: BLE001 - a cache left stale is rebuilt, the remove stands
            log.warning("%s: the index is rebuilt when next needed: %s", self.folder, err)
            return None

    def _label_rows(self, name):
        """The label table's rows that what graph ``name`` states (and the catalog says of it) make,
        as a :class:`~careergraph.graph.resolve.LabelIndex`; None when they cannot be read."""
        from .resolve import LabelIndex

        try:
            return LabelIndex(store=self.store, graphs=[name.value], plain=True)
        except Exception as err:  # noqa: BLE001 - a cache left stale is rebuilt, the remove stands
            log.warning("%s: the label table is rebuilt when next needed: %s", self.folder, err)
            return None

    def _shrink_caches(self, before: tuple, targets: list, rows) -> None:
        """After removing a source of targets only, bring the caches current for ``before`` up to
        date instead of leaving them to be rebuilt: the index without the removed rows
        (:func:`~careergraph.graph.index.shrink_saved_index`), the label table without the rows
        ``rows`` (:meth:`_labels_without`). Each is a cache: if this fails or is cut short, it is
        rebuilt when next needed."""
        from .index import shrink_saved_index

        old_key, old_light = before
        try:
            shrink_saved_index(self.folder / "index", self.store, targets, old_key=old_key, key=self._index_key())
            if rows is not None:
                self._labels_without(rows, old_key, old_light)
        except Exception as err:  # noqa: BLE001 - a cache left stale is rebuilt, the remove stands
            log.warning("%s: caches not updated after the remove, rebuilt when next needed: %s", self.folder, err)

    def _labels_without(self, rows, old_key: str, old_light: list) -> bool:
        """Delete ``rows`` (a :class:`~careergraph.graph.resolve.LabelIndex` of a removed source) from
        the label table made for ``old_key`` and ``old_light``, and key it as the workspace is now.

        A row comes from one fact about its IRI (a label, or a type and the local
        name), so when no fact about an IRI of ``rows`` is left in the store, its
        rows are exactly the ones a rebuild would no longer make. Where one is left
        (an entity another source also describes), or the table was made for
        another state, nothing is done: the table is rebuilt when next read.
        One transaction (a crash leaves the table as it was). The counterpart,
        for removes, of :meth:`LabelTable.advance <careergraph.graph.resolve.LabelTable.advance>`,
        on the same tables (``meta``, ``labels``, ``types``).
        """
        import sqlite3

        from .neighbourhood import values
        from .resolve import LabelTable

        iris = sorted({*rows.types, *(iri for tier in rows.tiers for found in tier.values() for iri in found)})
        if iris and self.store.query(f"ASK {{ VALUES ?s {{ {values(iris)} }} ?s ?p ?o }}",
                                     use_default_graph_as_union=True):
            return False
        path = self.folder / "index" / LabelTable.FILE
        if not path.is_file():
            return False
        db = sqlite3.connect(path)
        try:
            with db:  # one transaction
                saved = dict(db.execute("SELECT name, value FROM meta WHERE name IN ('key', 'light')"))
                if saved.get("key") != old_key or json.loads(saved.get("light", "[]")) != old_light:
                    return False
                # one statement per key and up to 500 IRIs: the table is indexed on (tier, key) only, and
                # many postings share a title (row by row, 1,000 postings took 11 s at L)
                for tier, keys in enumerate(rows.tiers):
                    for k, found in keys.items():
                        found = sorted(str(iri) for iri in found)
                        for start in range(0, len(found), 500):
                            part = found[start:start + 500]
                            db.execute(f"DELETE FROM labels WHERE tier = ? AND key = ? AND iri IN "
                                       f"({', '.join('?' * len(part))})", (tier, k, *part))
                db.executemany("DELETE FROM types WHERE iri = ? AND class = ?",
                               [(str(iri), str(c)) for iri, classes in rows.types.items() for c in classes])
                db.execute("INSERT OR REPLACE INTO meta VALUES ('light', ?)", (json.dumps(list(self.light_sources)),))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (self._index_key(),))
        finally:
            db.close()
        return True

    def _load(self, file: Path, fmt: str, name) -> None:
        """Stream ``file`` into graph ``name`` (not committed: no catalog entry yet)."""
        import pyoxigraph as ox

        options = {"format": _ox_format(fmt), "base_iri": file.resolve().as_uri()}
        big = file.stat().st_size >= BULK_THRESHOLD
        if big and fmt in _TRIPLE_FORMATS and self._bulk_load_apart(file, fmt, options["base_iri"], name):
            return
        try:
            if fmt in _TRIPLE_FORMATS:
                (self.store.bulk_load if big else self.store.load)(path=str(file), to_graph=name, **options)
            else:  # may hold named graphs: merge them into ours
                quads = (ox.Quad(q.subject, q.predicate, q.object, name)
                         for q in ox.parse(path=str(file), **options))
                (self.store.bulk_extend if big else self.store.extend)(quads)
        except SyntaxError as err:
            message = " ".join(str(err.msg).split())
            raise InvalidDataError(f"bad {fmt} syntax: {message}", path=file, line=err.lineno) from err
        except (OSError, ValueError) as err:
            raise InvalidDataError(f"cannot read: {err}", path=file) from err

    def _bulk_load_apart(self, file: Path, fmt: str, base: str, name) -> bool:
        """``Store.bulk_load`` of ``file`` into graph ``name`` in a child process, which Ctrl-C stops at once.

        ``bulk_load`` is one call into Oxigraph that Python cannot interrupt: Ctrl-C
        (``KeyboardInterrupt``) would wait for the whole load. So this process
        closes its store, a child opens it and loads the file, and this one
        waits; on ``KeyboardInterrupt`` (or any other exception) it kills the
        child with SIGKILL, opens the store again and re-raises. Oxigraph's bulk
        loader writes index files (``bulk-*.sst``) for every batch and hands
        them all to RocksDB in one atomic ingestion at the end, so a killed
        child has added nothing (:meth:`_repair` deletes its files). The
        workspace's ``flock`` stays with this process; the child dies with it
        (Linux) and ignores Ctrl-C, which is this process's to handle.

        Returns False, having done nothing, where this process cannot let go
        of its store (something else holds a reference to it) or has no
        ``flock``: the caller then loads in-process.
        """
        import subprocess
        import sys

        store = self.store
        # self.store, `store`, getrefcount's argument and the knowledge graphs' handles
        held = 3 + sum(1 for handle in self._handles if handle.__dict__.get("_target") is store)
        if self._lock is None or sys.getrefcount(store) != held:
            return False
        self._attach(None)  # the last reference: RocksDB closes and unlocks its folder
        del store
        argv = [sys.executable, "-c", _LOADER, str(os.getpid()), str(self.folder / self._store_name),
                str(file), _OX_FORMATS[fmt], base, name.value]
        try:
            blocked = _block_sigint()  # until the child is ours to kill
            try:
                child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, process_group=0)
            except OSError:  # no interpreter to start (an embedded Python): load in this process
                child = None
            finally:
                _unblock_sigint(blocked)  # a Ctrl-C that came meanwhile is raised here
            if child is None:
                return False
            try:
                while True:  # short waits: on Ctrl-C, wait() itself would give the child 0.25 s more
                    try:
                        child.wait(timeout=0.05)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                out, err = child.stdout.read(), child.stderr.read()  # a line of JSON, or a traceback
            except BaseException:
                child.kill()
                child.wait()
                raise
            finally:
                child.stdout.close()
                child.stderr.close()
        finally:
            self._attach(_open_store(self.folder, self._store_name))
        if child.returncode == 0:
            return True
        try:
            failure = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
        except (IndexError, ValueError):
            failure = {}
        if "syntax" in failure:
            message = " ".join(str(failure["syntax"]).split())
            raise InvalidDataError(f"bad {fmt} syntax: {message}", path=file, line=failure.get("line"))
        if failure.get("lock"):  # the store was still open somewhere in this process
            return False
        if "error" in failure:
            raise InvalidDataError(f"cannot read: {failure['error']}", path=file)
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        raise WorkspaceError(f"{self.folder}: the bulk load of {file} failed: {detail[0]}")

    def _attach(self, store) -> None:
        """Make ``store`` the open store (None: let go of it), for this workspace and its knowledge graphs."""
        self.store = store
        for handle in self._handles:
            handle._target = store

    def _checkpoint(self, graph: URIRef, kept: dict, op: str = "add") -> dict:
        """Before a big add into ``graph``: a checkpoint of the store that undoes it at once (see :meth:`_restore`).

        ``Store.backup`` makes a RocksDB checkpoint: a new store folder of hard
        links to the store's immutable files (about 20 ms at L). The marker
        names it under ``undo``, with ``kept``, the generations before the add:
        until the add commits, a failure, Ctrl-C, or the repair after a crash
        switches back to it instead of deleting what the add loaded (minutes
        for a million triples). A crash before the marker names it leaves a
        folder the next open deletes. ``op`` says what the repair after a crash
        does: an ``"add"`` that committed (its catalog entry is there) is kept;
        a ``"replace"`` or ``"remove"`` is done only once the marker drops
        ``undo`` (:meth:`_discard`), and is undone until then.
        """
        name = f"{_STORE}-{uuid.uuid4().hex[:12]}"
        self.store.backup(str(self.folder / name))
        undo = {"store": name, "graph": str(graph), "meta": kept, "op": op}
        self._meta["undo"] = undo
        _write_marker(self.folder, self._meta)
        return undo

    def _restore(self, undo: dict) -> None:
        """Switch to the checkpoint ``undo`` (the store as it was before the add), and its generations:
        the content is what it was when they were current, so caches of it stay valid."""
        meta = {k: v for k, v in self._meta.items() if k not in ("undo", "generation", "data_generation",
                                                                 "light_sources")}
        meta.update(undo["meta"], store=undo["store"])
        self._switch(meta)

    def _discard(self, undo: dict) -> None:
        """The add committed: forget the checkpoint ``undo`` and delete its folder."""
        if self._meta.get("undo") == undo:
            del self._meta["undo"]
            _write_marker(self.folder, self._meta)
        shutil.rmtree(self.folder / undo["store"], ignore_errors=True)  # or by the next open's repair

    def _switch(self, meta: dict) -> None:
        """Write ``meta`` (which names another store folder) as the marker, open that store, delete the old one.

        Rewriting the marker (atomically) is the switch: a crash before it
        leaves the old store in use, after it the new one; :meth:`_repair`
        deletes the other folder. Knowledge graphs already made read the new store.
        """
        _write_marker(self.folder, meta)
        old = self._store_name
        self._meta, self._store_name = meta, meta["store"]
        self._attach(None)
        self._attach(_open_store(self.folder, self._store_name))
        shutil.rmtree(self.folder / old, ignore_errors=True)  # or by the next open's repair

    def _check_cycles(self, file: Path, name, replaced: set) -> None:
        """Refuse a prerequisite or hierarchy cycle through graph ``name`` and the rest of
        the store (less the ``replaced`` graphs). The store had none before, so only a
        property that ``name`` uses can have one now."""
        from .checks import find_cycle

        skip = f"FILTER(?g NOT IN ({', '.join(str(g) for g in replaced)}))" if replaced else ""
        for prop, relation in ((CG.prerequisite, "cg:prerequisite"), (SKOS.broader, "skos:broader")):
            if not self.store.query(f"ASK {{ GRAPH {name} {{ ?s <{prop}> ?o }} }}"):
                continue
            edges: dict = {}
            # SPARQL rows decode two terms per edge; quads_for_pattern decodes four (measured 1.6x slower)
            for s, o in self.store.query(f"SELECT ?s ?o WHERE {{ {{ GRAPH ?g {{ ?s <{prop}> ?o }} {skip} }} "
                                         f"UNION {{ ?s <{prop}> ?o }} }}"):
                edges.setdefault(s.value, set()).add(o.value)
            cycle = find_cycle(edges)
            if cycle:
                from .resolve import curie

                chain = " -> ".join(curie(n) for n in cycle)
                raise InvalidDataError(f"adding it would make a {relation} cycle: {chain}", path=file)

    def _carry_over(self, name, old_graphs) -> None:
        """Copy into ``name`` the facts of the version being replaced about entities the
        new version still uses but that nothing else declares (an organisation or skill
        the old import created, which the new import resolved instead of creating again)."""
        import pyoxigraph as ox

        olds = " ".join(str(g) for g in old_graphs)
        query = f"""SELECT DISTINCT ?e ?old WHERE {{
          VALUES ?old {{ {olds} }}
          GRAPH ?old {{ ?e a ?type }}
          FILTER(isIRI(?e))
          FILTER NOT EXISTS {{ GRAPH {name} {{ ?e a ?declared }} }}
          FILTER EXISTS {{ GRAPH {name} {{ {{ ?e ?p ?o }} UNION {{ ?s ?p2 ?e }} }} }}
          FILTER NOT EXISTS {{ GRAPH ?other {{ ?e a ?t2 }} FILTER(?other NOT IN ({olds.replace(" ", ", ")})) }}
          FILTER NOT EXISTS {{ ?e a ?t3 }}
        }}"""
        carried = [ox.Quad(q.subject, q.predicate, q.object, name)
                   for row in self.store.query(query)
                   for q in self.store.quads_for_pattern(row["e"], None, None, row["old"])]
        if carried:
            self.store.extend(carried)

    def _drop(self, graphs) -> None:
        """Delete whole graphs that no catalog entry lists (any more).

        Deleting is slow in Oxigraph (see the module docstring), about as slow
        per triple as copying. So graphs of at least :data:`REBUILD_THRESHOLD`
        triples that hold at least as many triples as the rest of the store
        (removing the one big source, undoing a big add) are dropped by
        copying the rest into a new store folder and switching the marker to it
        (:meth:`_rebuild_without`); others are deleted in place, in chunks.
        """
        if not graphs:
            return
        names = {g.value for g in graphs}
        sizes = {str(s.iri): s.triples for s in self.sources()}
        dropped = sum(sizes[g.value] if g.value in sizes else _count(self.store, g) for g in graphs)
        rest = sum(n for iri, n in sizes.items() if iri not in names)
        if dropped >= max(REBUILD_THRESHOLD, rest) and self._lock is not None:
            self._rebuild_without(names)
        else:
            for graph in graphs:
                self._delete_graph(graph)

    def _rebuild_without(self, names: set) -> None:
        """Copy every graph but ``names`` into a new store folder and make it the workspace's.

        The marker file names the store's folder, and rewriting it (atomically)
        is the switch: a crash before it leaves the old store in use, after it
        the new one; :meth:`_repair` deletes the other folder. Knowledge graphs
        already made read the new store.
        """
        import pyoxigraph as ox

        name = f"{_STORE}-{uuid.uuid4().hex[:12]}"
        copy = ox.Store(str(self.folder / name))
        kept = [g for g in self.store.named_graphs() if g.value not in names]
        try:
            copy.bulk_extend(q for graph in (ox.DefaultGraph(), *kept)
                             for q in self.store.quads_for_pattern(None, None, None, graph))
            copy.flush()
        except BaseException:  # Ctrl-C stops the copy (the quads come through Python): no folder left
            copy = None  # noqa: F841 - the last reference: RocksDB closes the folder before it goes
            shutil.rmtree(self.folder / name, ignore_errors=True)
            raise
        self._meta["store"] = name
        _write_marker(self.folder, self._meta)  # the switch
        old, self._store_name, self.store = self._store_name, name, copy
        for handle in self._handles:
            handle._target = copy
        shutil.rmtree(self.folder / old, ignore_errors=True)  # or by the next open's repair

    def _delete_graph(self, name) -> None:
        """Delete a graph in chunks (bounded memory; a killed deletion is finished on the next open)."""
        chunk = (f"DELETE {{ GRAPH {name} {{ ?s ?p ?o }} }} WHERE {{ SELECT ?s ?p ?o WHERE "
                 f"{{ GRAPH {name} {{ ?s ?p ?o }} }} LIMIT {_DELETE_CHUNK} }}")
        while self.store.query(f"ASK {{ GRAPH {name} {{ ?s ?p ?o }} }}"):
            self.store.update(chunk)
        self.store.remove_graph(name)

    def _repair(self) -> None:
        """Delete import graphs that no catalog entry lists, and the temporary files of a
        killed bulk load (see the module docstring)."""
        undo = self._meta.get("undo")
        if undo is not None:  # a big add was cut short: undone by its checkpoint unless it committed
            self._finish_undo(undo)
        # Store folders the marker does not name: an old store a rebuild replaced, or a copy it
        # never finished (see _rebuild_without).
        for other in sorted(self.folder.glob(f"{_STORE}*")):
            if other.name != self._store_name and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
                self._report(f"{self.folder}: deleted {other.name}, a copy of the store that an interrupted "
                             f"rebuild left behind")
        # Index files a killed bulk_load wrote but never handed to RocksDB (Oxigraph names them so).
        leftovers = sorted((self.folder / self._store_name).glob("bulk-*.sst"))
        if leftovers:
            size = sum(f.stat().st_size for f in leftovers)
            for f in leftovers:
                f.unlink(missing_ok=True)
            self._report(f"{self.folder}: deleted {len(leftovers)} temporary files ({size / 1e6:.1f} MB) "
                         f"that an interrupted bulk load left behind")
        orphans = self._orphans()
        if not orphans:
            return
        self._bump()
        for graph in orphans:
            n = _count(self.store, graph)
            message = (f"{self.folder}: removed {n} triples of {graph.value.rsplit('/', 1)[-1]}, a change "
                       f"that an interrupted careergraph process left unfinished (not in the catalog)")
            self._report(message)
        self._drop(orphans)
        self.store.flush()

    def _finish_undo(self, undo: dict) -> None:
        """At open: keep a big add that committed (delete its checkpoint), switch back to the
        checkpoint of one that did not."""
        import pyoxigraph as ox

        graph = ox.NamedNode(str(undo.get("graph")))
        rdf_type, user, cat = (ox.NamedNode(str(t)) for t in (RDF.type, CG.UserData, CATALOG))
        committed = any(True for _ in self.store.quads_for_pattern(graph, rdf_type, user, cat))
        store = undo.get("store")
        usable = (isinstance(store, str) and store.startswith(f"{_STORE}-") and "/" not in store
                  and "\\" not in store and (self.folder / store / "CURRENT").is_file())
        if undo.get("op", "add") != "add":  # a replace or remove is done only once the marker drops undo
            committed = False
        if committed or not usable:
            self._meta.pop("undo", None)
            _write_marker(self.folder, self._meta)  # without it, the repairs below clean up
            return
        n = _count(self.store, graph)
        self._restore(undo)
        what = undo.get("op", "add")
        if what == "add":
            self._report(f"{self.folder}: removed {n} triples of {graph.value.rsplit('/', 1)[-1]}, an add that an "
                         f"interrupted careergraph process left unfinished (not in the catalog), by switching back "
                         f"to the store as it was before")
        else:
            self._report(f"{self.folder}: undid the {what} of {graph.value.rsplit('/', 1)[-1]} that an interrupted "
                         f"careergraph process left unfinished, by switching back to the store as it was before")

    def _orphans(self) -> list:
        """Import graphs that no catalog entry lists."""
        import pyoxigraph as ox

        rdf_type, user, cat = (ox.NamedNode(str(t)) for t in (RDF.type, CG.UserData, CATALOG))
        return [g for g in self.store.named_graphs()
                if isinstance(g, ox.NamedNode) and g.value.startswith(_IMPORT_PREFIX)
                and not any(True for _ in self.store.quads_for_pattern(g, rdf_type, user, cat))]

    def _needs_repair(self) -> bool:
        """Whether :meth:`_repair` has anything to do (it writes; this only looks)."""
        if "undo" in self._meta:
            return True
        if any(other.name != self._store_name and other.is_dir() for other in self.folder.glob(f"{_STORE}*")):
            return True
        if any((self.folder / self._store_name).glob("bulk-*.sst")):
            return True
        return bool(self._orphans())

    def _report(self, message: str) -> None:
        log.warning("%s", message)
        self.repairs.append(message)

    def remove(self, source: URIRef) -> None:
        """Remove a user source: its catalog entry, then its triples.

        The catalog entry is the commit, except for a source of
        :data:`_DELETE_CHUNK` triples or more: a checkpoint of the store is taken
        first, and Ctrl-C or a crash before the deletion ends switches back to
        it (see :meth:`_checkpoint`), so the remove happens whole or not at all
        without a deletion left for the next command to finish.
        """
        import pyoxigraph as ox

        if not any(s.iri == source and s.kind == "user" for s in self.sources()):
            raise UsageError(f"{source}: not a user source of this workspace")
        name = ox.NamedNode(str(source))
        targets = None
        size = next(s.triples for s in self.sources() if s.iri == source)
        kept = {k: self._meta[k] for k in ("generation", "data_generation", "light_sources") if k in self._meta}
        change = _index_change(self.store, name)
        if change is None:
            # no fact the compiled index is made of (a profile, labels): the index and its caches
            # stay; the label table, which holds the source's names, is made again when next read
            self._bump(data=False)
            self._meta["light_sources"] = [s for s in self.light_sources if s != str(source)]
            _write_marker(self.folder, self._meta)
            from .resolve import LabelTable

            (self.folder / "index" / LabelTable.FILE).unlink(missing_ok=True)
            change = None
        else:
            before = self._index_key(), list(self.light_sources)
            # a source of targets only: the saved index loses (or remakes) the rows of these targets,
            # the label table the rows of what the source names
            targets = self._removed_targets(name) if change == "targets" else None
            rows = self._label_rows(name) if targets is not None else None
            self._bump()
        # a deletion of several chunks: Ctrl-C (or a crash) switches back to the store as it was
        undo = self._checkpoint(source, kept, "remove") if size >= _DELETE_CHUNK and self._lock else None
        try:
            self.store.update(_catalog_update([name], []))
            self._drop([name])
            self.store.flush()
        except BaseException:
            if undo is not None:
                self._restore(undo)
            raise
        if undo is not None:
            self._discard(undo)  # the commit
        if targets is not None:
            self._shrink_caches(before, targets, rows)

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
        self._bump(data=False)  # progress only: the compiled index stays valid
        self.store.extend([quad, *extra])
        self.store.flush()
        return True

    def forget(self, person: URIRef, skill: URIRef) -> bool:
        """Undo :meth:`learned`. False when there was nothing to undo."""
        (quad,) = _quads_of(PROGRESS, [(person, CG.hasSkill, skill)])
        if quad not in self.store:
            return False
        self._bump(data=False)
        self.store.remove(quad)
        self.store.flush()
        return True


def _sha256(path: Path, stop=None) -> str:
    """The file's SHA-256 (hex); given up (None) once ``stop`` (a ``threading.Event``) is set."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                return None
            digest.update(block)
    return digest.hexdigest()


def _catalog_update(old_graphs, new_entry) -> str:
    """One SPARQL update (one transaction) deleting the catalog entries of ``old_graphs``
    and inserting the quads ``new_entry``. Terms are written by pyoxigraph's own
    N-Triples serialisation (``str(term)``), which escapes every literal."""
    cat = f"<{CATALOG}>"
    ops = [f"DELETE WHERE {{ GRAPH {cat} {{ {g} ?p ?o }} }}" for g in old_graphs]
    if new_entry:
        triples = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in new_entry)
        ops.append(f"INSERT DATA {{ GRAPH {cat} {{ {triples} }} }}")
    return " ;\n".join(ops)
