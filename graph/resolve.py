"""Turn the names people type (IRIs, CURIEs, labels) into IRIs, and IRIs back into names."""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache, partial, wraps
from pathlib import Path
import unicodedata
from typing import Iterable

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import PREFIXES, SCHEMA

from .errors import AmbiguousEntityError, UnknownEntityError

__all__ = ["resolve", "label", "curie", "normalize", "LabelIndex"]

# Name properties, in tiers: a match in an earlier tier wins over a later one.
_PRIMARY = (RDFS.label, SKOS.prefLabel, SCHEMA.title, SCHEMA.name)
_SECONDARY = (SKOS.altLabel, SKOS.hiddenLabel)

_CURIE = re.compile(r"^([A-Za-z][\w.-]*):([^\s/][^\s]*)?$")


def normalize(text: str) -> str:
    """A matching key: case-folded, accents kept, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def loose(text: str) -> str:
    """A looser key that also ignores punctuation and spacing ("BLoC / Cubit" == "bloc-cubit").

    ``+`` and ``#`` are kept: they tell C, C++ and C# apart.

    Examples
    --------
    >>> loose("BLoC / Cubit") == loose("bloc-cubit")
    True
    >>> loose("C#") == loose("C++")
    False
    """
    return _PUNCTUATION.sub("", normalize(text))


_PUNCTUATION = re.compile(r"[^\w+#]+|_")


def curie(iri) -> str:
    """``iri`` as a CURIE with careergraph's prefixes, or the IRI itself."""
    return _curie(str(iri))


@lru_cache(maxsize=1 << 17)  # the prefixes are fixed: a ranking of 100k rows names the same skills often
def _curie(text: str) -> str:
    best = None
    for prefix, ns in PREFIXES.items():
        base = str(ns)
        if text.startswith(base) and len(text) > len(base):
            rest = text[len(base):]
            if re.fullmatch(r"[\w.\-]+", rest) and (best is None or len(base) > best[0]):
                best = (len(base), f"{prefix}:{rest}")
    return best[1] if best else text


def _mentioned(kg, iri, native: bool) -> bool:
    """Whether ``iri`` is the subject of some triple."""
    if native:
        import pyoxigraph as ox

        return next(iter(kg._oxigraph.quads_for_pattern(ox.NamedNode(str(iri)), None, None, None)), None) \
            is not None
    return (iri, None, None) in kg.graph


def _expand(name: str, graph) -> URIRef | None:
    text = name.strip()
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) or text.startswith("urn:"):
        return URIRef(text)
    m = _CURIE.match(text)
    if m:
        prefix, local = m.group(1), m.group(2) or ""
        ns = PREFIXES.get(prefix)
        if ns is None and graph is not None:
            for p, n in graph.namespaces():
                if p == prefix:
                    ns = n
                    break
        if ns is not None:
            return URIRef(str(ns) + local)
    return None


def _labels_within(store, graphs) -> tuple[list, dict]:
    """``(types, {property: labels})`` stated in the named graphs ``graphs`` of a pyoxigraph store,
    and of the graphs themselves (named in a catalog), as :class:`LabelIndex` reads them (strings)."""
    from .native import select_iris
    from .neighbourhood import values as iri_values

    values = iri_values(graphs)
    props = (*_PRIMARY, *_SECONDARY)
    wanted = " ".join(f"<{p}>" for p in (RDF.type, *props))
    types, labels = [], {prop: [] for prop in props}
    by_name = {str(p): labels[p] for p in props}
    query = (f"SELECT ?s ?p (STR(?o) AS ?text) WHERE {{ VALUES ?p {{ {wanted} }} "
             f"{{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} UNION {{ VALUES ?s {{ {values} }} ?s ?p ?o }} "
             f"FILTER(isIRI(?s) && (?p != <{RDF.type}> || isIRI(?o))) }}")
    for s, p, text in select_iris(store, query):
        if s is None or text is None:
            continue
        if p == str(RDF.type):
            types.append((s, text))
        else:
            by_name[p].append((s, text))
    return types, labels


def _store_labels(store):
    """The types, then each name property's labels, of a whole pyoxigraph store, as they arrive.

    Yields ``(None, [(iri, class)])`` and then ``(property, [(iri, text)])``
    per name property, IRIs and texts as plain strings. One SELECT for the
    types and one per property, without a FILTER: Oxigraph would look up the
    text of every subject to test it (a blank node's cell is skipped here
    instead, and a blank node has no ``STR``). A second thread asks them one
    after another while the caller works on the answers already in
    (Oxigraph releases the GIL while it answers).
    """
    from concurrent.futures import ThreadPoolExecutor

    from .native import select_tsv, tsv_rows

    props = (*_PRIMARY, *_SECONDARY)
    queries = ["SELECT ?s ?o WHERE { ?s a ?o }"]
    queries += [f"SELECT ?s (STR(?o) AS ?text) WHERE {{ ?s <{prop}> ?o }}" for prop in props]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="careergraph-labels") as pool:
        answers = [pool.submit(select_tsv, store, q) for q in queries]
        try:
            yield None, [(s, o) for s, o in tsv_rows(answers[0].result(), literals=False)
                         if s is not None and o is not None]
            for prop, answer in zip(props, answers[1:]):
                # a subject is an IRI or a blank node (None); a text is None where STR has no value
                yield prop, [(s, text) for s, text in tsv_rows(answer.result())
                             if s is not None and text is not None]
        finally:
            for answer in answers:
                answer.cancel()


def _once_per_classes(method):
    """``names(classes)`` made once per set of classes and object: an import meets many unknown
    names, and each read of every name took about 2 s at L."""
    @wraps(method)
    def names(self, classes):
        memo = self.__dict__.setdefault("_names", {})
        key = None if classes is None else frozenset(classes)
        if key not in memo:
            memo[key] = method(self, classes)
        return memo[key]

    return names


class LabelIndex:
    """Label lookups over one graph, built once.

    With ``store`` (pyoxigraph), read from the store in bulk; with ``graphs`` too,
    only from what those named graphs state, and what the store states of the
    graphs themselves (what a :class:`LabelTable` takes in after an add).
    With ``plain``, IRIs from a store are kept as ``str`` (what a table stores),
    not made ``URIRef``. ``sink``, if given, is called with each batch of new
    rows as they are found: ``sink("types", [(iri, class)])`` and
    ``sink("labels", [(tier, key, iri)])``, IRIs as strings (a
    :class:`LabelTable` writes them while the store is still answering).
    """

    def __init__(self, graph=None, *, store=None, graphs=None, plain: bool = False, sink=None):
        self.tiers: list[dict[str, set]] = [{}, {}, {}, {}]
        self.types: dict[URIRef, set] = {}
        if store is not None:
            # IRIs read from the store are valid already: URIRef made without checking them again
            iri = str if plain else partial(str.__new__, URIRef)
            if graphs is not None:  # what some graphs state: one query
                types, labels = _labels_within(store, graphs)
                parts = [(None, types), *labels.items()]
            else:  # a pyoxigraph store, read in bulk (:mod:`.native`): seconds, not minutes
                parts = _store_labels(store)
        else:
            iri = None
            parts = [(None, [(s, o) for s, o in graph.subject_objects(RDF.type) if isinstance(s, URIRef)])]
            parts += [(prop, [(s, o) for s, o in graph.subject_objects(prop) if isinstance(s, URIRef)])
                      for prop in (*_PRIMARY, *_SECONDARY)]
        tier_of = {**{p: 0 for p in _PRIMARY}, **{p: 1 for p in _SECONDARY}}
        keys: dict = {}  # text -> (normalized, loose): postings repeat the same titles
        for prop, rows in parts:
            if iri is not None:
                rows = [(iri(s), o if prop is not None else iri(o)) for s, o in rows]
            if prop is None:
                self._types(rows, sink)
                continue
            tier = tier_of[prop]
            added: list = []
            for s, o in rows:
                text = o if type(o) is str else str(o)
                found = keys.get(text)
                if found is None:
                    key = normalize(text)
                    found = keys[text] = (key, _PUNCTUATION.sub("", key))  # loose(text)
                self._add(tier, found[0], s, added)
                self._add(3, found[1], s, added)
            if sink is not None and added:
                sink("labels", added)

    def _add(self, tier: int, key: str, iri, added: list) -> None:
        """``iri`` under ``key`` in ``tier``; the row noted in ``added`` if it is new."""
        found = self.tiers[tier].get(key)
        if found is None:
            found = self.tiers[tier][key] = set()
        if iri not in found:
            found.add(iri)
            added.append((tier, key, str(iri)))

    def _types(self, rows, sink) -> None:
        """Take in ``(iri, class)`` pairs, and each typed IRI's local name (tiers 2 and 3)."""
        new_types, added = [], []
        for s, o in rows:
            classes = self.types.get(s)
            if classes is None:
                classes = self.types[s] = set()
                text = str(s).rstrip("/#")
                local = text[max(text.rfind("/"), text.rfind("#")) + 1:]  # after the last / or #
                if local:
                    key = normalize(local)
                    self._add(2, key, s, added)
                    self._add(3, _PUNCTUATION.sub("", key), s, added)
            if o not in classes:
                classes.add(o)
                new_types.append((str(s), str(o)))
        if sink is not None:
            if new_types:
                sink("types", new_types)
            if added:
                sink("labels", added)

    def lookup(self, name: str, classes: set | None) -> list[URIRef]:
        keys = (normalize(name), normalize(name), normalize(name), loose(name))
        for tier, key in zip(self.tiers, keys):
            hits = tier.get(key, set())
            if classes is not None:
                hits = {h for h in hits if self.types.get(h, set()) & classes}
            if hits:
                return sorted(hits)
        return []

    @_once_per_classes
    def names(self, classes: set | None) -> dict[str, URIRef]:
        """``{label key: IRI}`` of the entities of ``classes`` (all when None), for suggestions after
        a miss."""
        out = {}
        for tier in self.tiers[:2]:
            for key, iris in tier.items():
                for iri in sorted(iris):  # a label several entities share suggests the first IRI (not set order)
                    if classes is None or self.types.get(iri, set()) & classes:
                        out.setdefault(key, iri)
        return out


class LabelTable:
    """A :class:`LabelIndex` saved as an SQLite table beside a workspace's compiled index.

    Building the label index of a big workspace reads every label (a few
    seconds for 350k labels); the table answers a name with two indexed
    lookups per tier, so a label on the command line costs milliseconds
    after the first time. It is keyed like the index (``kg.index_key()``)
    and rebuilt, into a new file renamed over the old, when that changes;
    sources added since that hold no indexed fact (a person's profile:
    ``kg.light_sources()``) are taken into it instead, in one transaction.
    """

    FILE = "labels.sqlite"

    def __init__(self, path: Path):
        import sqlite3

        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def _saved(self) -> tuple[str, list]:
        """The key and light sources the table was made for."""
        (saved,) = self._db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        found = self._db.execute("SELECT value FROM meta WHERE name = 'light'").fetchone()
        return saved, json.loads(found[0]) if found else []

    @classmethod
    def of(cls, kg, folder) -> "LabelTable":
        """The table of ``kg`` in ``folder``, built (from :class:`LabelIndex`) when missing or stale."""
        import sqlite3

        from .locks import build_lock

        folder = Path(folder)
        path = folder / cls.FILE
        key = kg.index_key()
        light = list(kg.light_sources()) if getattr(kg, "light_sources", None) is not None else []

        def current(take_in: bool):
            try:
                table = cls(path)
                saved, saved_light = table._saved()
                if saved == key and light == saved_light:
                    return table
                table._db.close()
                if take_in and saved == key and light[:len(saved_light)] == saved_light:
                    cls._take_in(path, kg, light[len(saved_light):], light)
                    return cls(path)
            except (sqlite3.Error, TypeError, ValueError):
                pass
            return None

        found = current(take_in=False)
        if found is not None:
            return found
        with build_lock(folder, "labels"):  # one builder; the others wait, then read what it built
            return current(take_in=True) or cls._build(kg, folder, path, key, light)

    @classmethod
    def _build(cls, kg, folder: Path, path: Path, key: str, light: list) -> "LabelTable":
        """Build the table into a new file renamed over ``path`` (the caller holds the build lock)."""
        import sqlite3

        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{cls.FILE}.tmp"
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        try:
            # a new file, renamed over the old one once complete: no journal, no waiting for the disk
            # (a crash leaves a .tmp file that the next build deletes)
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            db.executescript("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
                             "CREATE TABLE labels (tier INTEGER, key TEXT, iri TEXT);"
                             "CREATE TABLE types (iri TEXT, class TEXT);")
            inserts = {"labels": "INSERT INTO labels VALUES (?, ?, ?)", "types": "INSERT INTO types VALUES (?, ?)"}

            def sink(table, rows):  # rows written as they are found, while Oxigraph answers the next query
                db.executemany(inserts[table], rows)

            if getattr(kg, "_oxigraph", None) is not None:
                LabelIndex(store=kg._oxigraph, plain=True, sink=sink)
            else:
                LabelIndex(kg.graph, sink=sink)
            db.executescript("CREATE INDEX labels_key ON labels (tier, key); CREATE INDEX types_iri ON types (iri);")
            db.execute("INSERT INTO meta VALUES ('key', ?)", (key,))
            db.execute("INSERT INTO meta VALUES ('light', ?)", (json.dumps(light),))
            db.commit()
        finally:
            db.close()
        tmp.replace(path)
        return cls(path)

    @classmethod
    def advance(cls, kg, folder, key: str, light: list, sources: list) -> bool:
        """Take ``sources`` into the table made for ``key`` and ``light``, and key it as ``kg`` is now.

        For a workspace's add that only adds facts (no ``--replace``), whatever it
        changes of the index: an entity's labels and types are its own facts, so
        taking in every entity the new sources mention gives the rows a rebuild
        would. Returns False, doing nothing, when the table is missing or was made
        for another state (it is then rebuilt when next read).
        """
        import sqlite3

        path = Path(folder) / cls.FILE
        try:
            table = cls(path)
            try:
                saved, saved_light = table._saved()
            finally:
                table._db.close()
        except (sqlite3.Error, TypeError, ValueError):
            return False
        if saved != key or light[:len(saved_light)] != saved_light:
            return False
        cls._take_in(path, kg, [*light[len(saved_light):], *sources], list(kg.light_sources()),
                     key=kg.index_key())
        return True

    @staticmethod
    def _take_in(path: Path, kg, sources: list, light: list, *, key: str | None = None) -> None:
        """Add to the table the rows of what ``sources`` state (sources that only add facts).

        A row comes from one fact (a label, or a type and the IRI's local name), so
        the rows of the new facts, less those the table has, are the rows a rebuild
        would add. One transaction (a crash leaves the table as it was). ``light``
        (and ``key``, if given) are recorded as what the table is now current for.
        """
        import sqlite3

        part = LabelIndex(store=kg._oxigraph, graphs=sources, plain=True) if sources else None
        db = sqlite3.connect(path)
        try:
            with db:  # one transaction
                if part is not None:
                    _insert(db, part)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('light', ?)", (json.dumps(light),))
                if key is not None:
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))
        finally:
            db.close()

    def lookup(self, name: str, classes: set | None) -> list[URIRef]:
        """As :meth:`LabelIndex.lookup`."""
        keys = (normalize(name), normalize(name), normalize(name), loose(name))
        for tier, key in enumerate(keys):
            hits = {row[0] for row in self._db.execute(
                "SELECT iri FROM labels WHERE tier = ? AND key = ?", (tier, key))}
            if classes is not None:
                wanted = {str(c) for c in classes}
                hits = {h for h in hits if {row[0] for row in self._db.execute(
                    "SELECT class FROM types WHERE iri = ?", (h,))} & wanted}
            if hits:
                return sorted(URIRef(h) for h in hits)
        return []

    @_once_per_classes
    def names(self, classes: set | None) -> dict[str, str]:
        """As :meth:`LabelIndex.names`, IRIs as strings (reads every label: only for suggestions after
        a miss). The classes are checked in SQLite, through its index of types by IRI."""
        if classes is None:
            rows = self._db.execute("SELECT key, iri FROM labels WHERE tier < 2 ORDER BY tier, rowid")
        else:
            wanted = sorted(str(c) for c in classes)
            rows = self._db.execute(
                "SELECT key, iri FROM labels l WHERE tier < 2 AND EXISTS (SELECT 1 FROM types t WHERE "
                f"t.iri = l.iri AND t.class IN ({', '.join('?' * len(wanted))})) ORDER BY tier, rowid", wanted)
        out: dict = {}
        for key, iri in rows:
            out.setdefault(key, iri)
        return out


def _insert(db, index: LabelIndex) -> None:
    """Write the rows of a :class:`LabelIndex` that a :class:`LabelTable`'s tables do not have yet
    (found through its indexes)."""
    labels = [(tier, k, str(iri)) for tier, keys in enumerate(index.tiers) for k, iris in keys.items()
              for iri in iris]
    types = [(str(iri), str(c)) for iri, classes in index.types.items() for c in classes]
    db.executemany("INSERT INTO labels SELECT ?1, ?2, ?3 WHERE NOT EXISTS "
                   "(SELECT 1 FROM labels WHERE tier = ?1 AND key = ?2 AND iri = ?3)", labels)
    db.executemany("INSERT INTO types SELECT ?1, ?2 WHERE NOT EXISTS "
                   "(SELECT 1 FROM types WHERE iri = ?1 AND class = ?2)", types)


def _classes(kind) -> set | None:
    from .store import KINDS

    if kind is None:
        return None
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {KINDS[k] for k in kinds}


def _kind_text(kind) -> str | None:
    if kind is None:
        return None
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return " or ".join(kinds)


_BUCKETS = 64
_CHUNK = 65536


def bucket_counts(texts, lengths):
    """Characters of each text counted in 64 hash buckets: an (n, 64) array.

    Two texts share at most ``np.minimum(a, b).sum()`` characters, so
    ``2 * that / total length`` bounds difflib's ratio from above (used by
    :func:`close_matches` and by ``link esco``).
    """
    import numpy as np

    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32) % _BUCKETS
    owner = np.repeat(np.arange(len(texts)), lengths)
    return np.bincount(owner * _BUCKETS + codes, minlength=len(texts) * _BUCKETS).reshape(len(texts), _BUCKETS)


def close_matches(word: str, candidates: list[str], n: int = 5, cutoff: float = 0.6) -> list[str]:
    """What ``difflib.get_close_matches(word, candidates, n, cutoff)`` returns, found faster.

    Each candidate's similarity is bounded first, for all of them at once with
    numpy: ``2 * shared / total`` length, sharing counted over characters hashed
    into 64 buckets (an over-count, so never below difflib's own ratio). Exact
    ratios are then computed in order of that bound, until the next bound is
    below the n-th best ratio found: the same answer, ties included (a miss on
    the L benchmark workspace: 1.9 s where difflib alone took 14.7 s).

    Examples
    --------
    >>> close_matches("dartt", ["dart", "flutter", "darts", "kotlin"])
    ['dart', 'darts']
    """
    import heapq

    import numpy as np

    if not candidates or n <= 0:
        return []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    want = bucket_counts([word], [len(word)])[0]
    bounds = []
    for start in range(0, len(candidates), _CHUNK):
        part = candidates[start:start + _CHUNK]
        lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
        shared = np.minimum(bucket_counts(part, lengths), want).sum(axis=1)
        total = lengths + len(word)
        with np.errstate(divide="ignore", invalid="ignore"):
            bounds.append(np.where(total > 0, 2.0 * shared / np.maximum(total, 1), 1.0))
    bound = np.concatenate(bounds)
    order = np.flatnonzero(bound >= cutoff)
    order = order[np.argsort(-bound[order], kind="stable")]
    best: list = []  # (ratio, name), at most n: difflib keeps the n largest pairs
    for i in order:
        if len(best) == n and bound[i] < best[0][0]:
            break
        x = candidates[i]
        matcher.set_seq1(x)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff and matcher.ratio() >= cutoff:
            item = (matcher.ratio(), x)
            if len(best) < n:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
    return [x for _, x in sorted(best, reverse=True)]


def resolve(kg, name: str, kind: str | Iterable[str] | None = None) -> URIRef:
    """Resolve ``name`` in ``kg``; see :meth:`KnowledgeGraph.resolve`."""
    classes = _classes(kind)
    native = getattr(kg, "_oxigraph", None) is not None
    iri = _expand(name, None if native else kg.graph)
    if iri is None and native and _CURIE.match(name.strip()):  # a prefix only the data's graph binds
        iri = _expand(name, kg.graph)
    if iri is not None:  # an IRI or CURIE: looked up directly, without the index of every label
        objects = kg.objects if native else kg.graph.objects
        known = {o for o in objects(iri, RDF.type)} or None
        if known is not None and (classes is None or known & classes):
            return iri
        if known is None and classes is None and _mentioned(kg, iri, native):
            return iri
    # a workspace's names follow its generation (a graph in memory keeps its index)
    key = kg.content_key() if native else None
    if kg._index is None or kg._index[0] != key:
        folder = getattr(kg, "index_folder", None)
        if native and folder is not None:  # a workspace: its saved table, built once per data change
            import sqlite3

            try:
                kg._index = (key, LabelTable.of(kg, folder))
            except (OSError, sqlite3.Error):  # a folder we cannot write: the index, in memory
                kg._index = (key, LabelIndex(store=kg._oxigraph))
        else:
            kg._index = (key, LabelIndex(kg.graph))
    index = kg._index[1]
    hits = index.lookup(name, classes)
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise AmbiguousEntityError(name, [(curie(h), label(kg, h)) for h in hits])
    if not name.strip():
        raise UnknownEntityError(name, [], kind=_kind_text(kind))
    raise unknown(name, index.names(classes), kind=kind, name_of=partial(label, kg))


#: How many names an unknown name's message suggests.
SUGGESTED = 5


def suggested(name: str, names) -> list:
    """The keys of ``names`` (normalised labels) to suggest for a ``name`` that matched nothing.

    difflib's closest keys (ratio 0.6 or more, at most :data:`SUGGESTED`),
    then keys holding the whole name as words ("Vera" for "Vera Tester"),
    the shortest first (then alphabetically: the same order whatever the
    order of ``names``, which differs between backends).
    """
    wanted = normalize(name)
    close = close_matches(wanted, list(names), n=SUGGESTED, cutoff=0.6)
    if len(close) < SUGGESTED and len(wanted) >= 3:  # a part of a longer name: "Vera" for "Vera Tester"
        longer = sorted((k for k in names if k not in close and f" {wanted} " in f" {k} "), key=lambda k: (len(k), k))
        close += longer[:SUGGESTED - len(close)]
    return close


def unknown(name: str, names: dict, *, kind=None, name_of) -> UnknownEntityError:
    """The error for a ``name`` that matched nothing, suggesting entries of ``names`` (``{label key:
    IRI}``) shown as ``label (CURIE)``, the label given by ``name_of(iri)``."""
    suggestions = []
    for key in suggested(name, names):
        iri = URIRef(names[key])
        shown = f"{name_of(iri)} ({curie(iri)})"
        if shown not in suggestions:
            suggestions.append(shown)
    return UnknownEntityError(name, suggestions, kind=_kind_text(kind))


def label(kg, iri) -> str:
    """The display name of ``iri``: prefLabel or label (English first), title, or CURIE."""
    if getattr(kg, "_oxigraph", None) is None:
        return _label(iri, (kg.graph if hasattr(kg, "graph") else kg).objects)
    # a workspace: read from Oxigraph (no rdflib Dataset needed), remembered while its content is unchanged
    cache = _label_cache(kg)
    found = cache.get(iri)
    if found is None:
        found = cache[iri] = _label(iri, kg.objects)
    return found


def _label_cache(kg) -> dict:
    key = kg.content_key()
    cache = getattr(kg, "_labels", None)
    if cache is None or cache[0] != key:
        cache = kg._labels = (key, {})
    return cache[1]


#: From this many IRIs on, :func:`prefetch_labels` reads labels in bulk...
PREFETCH_MIN = 1000
#: ...reading a label property whole while this many IRIs are still without a label (below it,
#: one lookup each: on L, 10,000-14,000 IRIs took 0.5-1.3 s that way against 1.4-2.8 s for
#: reading the 108,000 rdfs:labels whole, in-process CPU).
_SCAN_MIN = 20_000


def prefetch_labels(kg, iris) -> None:
    """Find the display names of many IRIs at once, for :func:`label` to return from memory.

    On a workspace, one label at a time costs a few lookups in Oxigraph
    (about 0.4 ms); for a thousand IRIs or more, each label property is read
    once instead, so listing 100,000 ranked postings takes seconds, not a
    minute. The names are the ones :func:`label` gives. On a SPARQL endpoint,
    the names and types of the IRIs are asked for a few hundred at a time.
    Elsewhere it does nothing.
    """
    ask = getattr(kg, "prefetch_names", None)
    if ask is not None:  # a SPARQL endpoint: a few hundred IRIs a request, instead of one each
        ask(iris)
        return
    store = getattr(kg, "_oxigraph", None)
    if store is None:
        return
    import pyoxigraph as ox

    cache = _label_cache(kg)
    wanted = {str(i) for i in iris} - {str(i) for i in cache}
    if len(wanted) < PREFETCH_MIN:
        return
    values: dict = {}  # iri -> the objects of the first label property it has
    left = set(wanted)
    for prop in _PRIMARY:
        p = ox.NamedNode(str(prop))
        first: dict = {}
        if len(left) >= _SCAN_MIN:  # read the property whole (Oxigraph: about 20 µs a quad)
            for q in store.quads_for_pattern(None, p, None, None):
                s = q.subject
                if type(s) is ox.NamedNode and s.value in left:
                    first.setdefault(s.value, []).append(q.object)
        else:  # few left: look each one up
            for iri in left:
                found = [q.object for q in store.quads_for_pattern(ox.NamedNode(iri), p, None, None)]
                if found:
                    first[iri] = found
        values.update(first)
        left.difference_update(first)
        if not left:
            break
    from .store import _from_ox

    for iri in wanted:
        key = str.__new__(URIRef, iri)  # the IRI came from the store: equal to URIRef(iri), unchecked
        found = values.get(iri)
        if found is None:
            cache[key] = curie(key)
        elif len(found) == 1 and type(found[0]) is ox.Literal:
            cache[key] = found[0].value
        else:
            cache[key] = _pick([_from_ox(o) for o in found])


def _label(iri, objects) -> str:
    for prop in _PRIMARY:
        values = list(objects(iri, prop))
        if values:
            return _pick(values)
    return curie(iri)


def _pick(values) -> str:
    """The name among one property's values: English (or untagged) first, then the least."""
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    return str(sorted(english or values)[0])
