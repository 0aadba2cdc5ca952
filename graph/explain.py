"""The shortest chain of relations between two entities, read from the store a level at a time."""

from __future__ import annotations

import bisect
import os
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from careergraph.ontology import CG

from .convert import _NOT_RELATIONS, _VOCABULARIES, knowledge_graph
from .errors import NoPathError
from .neighbourhood import _relation_filter, _vocabulary_filter, iri_ref, is_store_backed, values
from .plans import Connection, Hop, Ref
from .resolve import curie

__all__ = ["explain"]


def explain(kg, source, target) -> Connection:
    """The shortest chain of relations linking two entities of the knowledge graph.

    ``networkx.shortest_path`` on the undirected view of
    :func:`~careergraph.graph.convert.knowledge_graph` (entities only; no
    literals, no ``rdf:type``, no vocabulary terms); each hop keeps the
    direction of its triple. Where two entities are linked by several
    relations, the first by CURIE is shown.

    On a workspace (an Oxigraph store) the same search runs without building
    the graph: the bidirectional breadth-first search asks the store for one
    level at a time (as a set), and the order networkx would visit
    neighbours in is worked out afterwards for the few nodes the chain goes
    through, so both give the same chain. Where the workspace has its
    compiled index saved, a hub skill's postings and roles come from the
    index (one COUNT proves the list complete), and what the search learns
    about which postings nothing points at is kept beside the index. On the
    L benchmark workspace (100,000 postings; whole commands side by side on a
    busy two-core host, medians of 4, where a point lookup took 0.5 s) a skill
    that 82,000 postings require and one that 55,000 require: 2.1 s where the
    search without the index took 4.3 s (3.0 s on the first run after a
    change, while it learns); that skill and a seniority level: 2.0 s instead
    of 3.4 s.

    Raises
    ------
    UnknownEntityError, AmbiguousEntityError
        A name does not denote one entity.
    NoPathError
        The two entities are not connected.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> c = explain(load(), "skill:bloc", "skill:flutter")
    >>> c.chain
    'BLoC --cg:prerequisite--> Flutter'
    """
    a = kg.resolve(str(source))
    b = kg.resolve(str(target))
    if is_store_backed(kg):
        return _explain_in_store(kg, a, b)
    import networkx as nx

    multi = knowledge_graph(kg)
    view = nx.Graph()
    view.add_nodes_from(multi.nodes)
    for s, o, rel in multi.edges(keys=True):
        if not view.has_edge(s, o):
            view.add_edge(s, o, triple=(s, rel, o))
    ra, rb = Ref.of(kg, a), Ref.of(kg, b)
    if a == b:
        return Connection(ra, rb, ())
    for node, ref in ((a, ra), (b, rb)):
        if node not in view:
            raise NoPathError(f"{ref.label} ({ref.curie}) has no relation to any other entity")
    try:
        nodes = nx.shortest_path(view, a, b)
    except nx.NetworkXNoPath as err:
        raise NoPathError(f"no chain of relations links {ra.label} ({ra.curie}) "
                          f"and {rb.label} ({rb.curie})") from err
    hops = []
    for x, y in zip(nodes, nodes[1:]):
        s, rel, o = view[x][y]["triple"]
        hops.append(Hop(Ref.of(kg, x), rel, Ref.of(kg, y), forward=(s == x)))
    return Connection(ra, rb, tuple(hops))


# -- the same search against Oxigraph -----------------------------------------------
#
# networkx's bidirectional search (``_bidirectional_pred_succ``) returns the
# first meeting point it finds, so which of several shortest chains it shows
# depends on the order of each node's neighbours in the view. That order
# comes from how ``knowledge_graph`` and ``explain`` build the view: the
# entity triples are sorted by (subject, relation CURIE, object) and a node
# enters the multigraph at its first appearance, so its position is the
# least of ``(s, CURIE, o, 0)`` over its own triples and ``(s, CURIE, itself,
# 1)`` over the triples pointing at it. Two positions with the same subject
# IRI are told apart without reading that subject's triples: a node's own
# triples come before any triple it points with at another node, so
# ``(iri, 0)`` for "enters as a subject" and ``(s, 1, CURIE, iri)`` for
# "enters as the object of s" sort the nodes in the same order (the
# "entry key"). The view adds the edge between x and y while walking the
# node that entered first, with that node's first relation to the other by
# CURIE; so x's neighbours come in the order of ``(entry key of the node
# that added the edge, CURIE, other end)``.
#
# Which side networkx expands at each step depends only on the sizes of the
# two fringes, and the fringes as sets do not depend on any order: so the
# levels are computed as sets (a level of thousands of nodes with one
# DISTINCT query), and the order is worked out afterwards, lazily, for the
# few nodes the chain goes through. Level ``i`` of a side lists, for each
# node ``u`` of level ``i - 1`` in order, the neighbours of ``u`` on level
# ``i`` not listed yet, in ``u``'s neighbour order (:meth:`_Search.nth`).
# The meeting is the first node ``v`` of the expanded level, in that order,
# with a neighbour on the other side, and the first such neighbour ``w`` of
# ``v``. The node before ``w`` on the other side is the first node of the
# level before ``w``'s that is next to ``w`` (:meth:`_Search.first_in`):
# the first ``u`` of the level before *that* with a neighbour among them
# names it, so no level is ever sorted whole. Entry keys need the least
# entity pointing at a node: they are read only for the nodes compared.
#
# Most of the time at a hub went to Oxigraph writing out IRIs: the tens of
# thousands of postings that require a hub skill, and the relation of every
# row. So a single node's links are read as a count per relation, then the
# other ends with the relation as a number (no text looked up), and a
# skill's requiring postings and roles are taken from the saved compiled
# index when the store's count of that relation equals the index's list
# minus the nodes read through the other requirement relation (which proves
# the list complete: see ``_keep_one``). Entry keys of a hub's neighbours
# need to know which of them something points at: one join over the store
# (a lookup per neighbour) the first time, then a table beside the index.

_NOT_RELATION_STRS = frozenset(str(p) for p in _NOT_RELATIONS)
#: The links of a node that has none on one side (read-only: shared by many nodes).
_NO_LINKS = MappingProxyType({})
#: The relations of an essential requirement, which the compiled index holds.
_REQUIREMENTS = (str(CG.requiresSkill), str(CG.needsSkill))
_VOCABULARY_PREFIXES = tuple(_VOCABULARIES)

#: A level of at most this many nodes has its links read in full (rows with the
#: relation); a bigger one is expanded with a DISTINCT query for its neighbours.
_FULL_READ = 256
#: Both fringes together up to this many nodes: first look for links between them.
_PAIR_PROBE = 64
#: Nodes of a big level tested, in order, for a link to the other side before it is expanded.
_PRECHECK = 16
#: At most this many nodes read in full per query while a level is walked in order.
_CHUNK = 4096
#: At most this many nodes in the VALUES block of one DISTINCT query for a level's neighbours.
_DISTINCT_CHUNK = 100_000
#: Above this many nodes pointing at one node, their own in-links are read with one join.
_JOIN_LEAST = 512


def select_tsv(store, query: str) -> bytes:
    """The answer of a SELECT as TSV bytes (see :mod:`.native`)."""
    from .native import select_tsv as tsv

    return tsv(store, query)


def _iri_rows(store, query: str) -> list[tuple]:
    """The rows of a SELECT as tuples of IRI strings; any other cell (literal, blank node) is None."""
    from .native import select_iris

    return select_iris(store, query, literals=False)


#: The file, in a workspace's index folder, that keeps what searches learned about which
#: postings and roles some entity points at (see :meth:`_Compiled.unpointed`).
POINTED_FILE = "explain-pointed.npz"


class _Requirers(NamedTuple):
    """The targets the compiled index says require a skill, and how to check them (see ``_keep_one``)."""

    predicate: str  #: the relation whose facts the index stands for (the most frequent one)
    others: list  #: the other requirement relations present: read from the store
    targets: list  #: the index's targets requiring the skill (IRIs)
    count: int  #: how many facts of ``predicate`` the store holds about the skill


class _Compiled:
    """A workspace's saved compiled index, answering two things the search would read from the store.

    * The postings and roles requiring a skill (:meth:`requirers`): a hub skill
      has tens of thousands, and writing their IRIs is most of reading its links.
      The index gives them without a query, and one COUNT proves them complete.
    * Which postings and roles no entity points at (:meth:`unpointed`), which a
      search needs to order a hub's neighbours as networkx does and otherwise
      asks of every one of them (one index lookup each in Oxigraph). What it
      learns is kept beside the index under the store's generation (any change,
      recorded progress included, starts it afresh).

    Only an index already saved for the store's data is used: explain never builds one.
    """

    def __init__(self, kg, index):
        self.kg, self.index = kg, index
        self._names = None
        self._row_of: dict[str, int] = {}  # target IRI -> row, for the targets looked at
        self._pointed = None  # per target: 0 unknown, 1 no entity points at it, 2 one does
        self._changed = False
        self._key = f"{index.key}|{kg.content_key()}|{len(index.targets)}"

    @classmethod
    def of(cls, kg) -> "_Compiled | None":
        folder = getattr(kg, "index_folder", None)
        if folder is None or not hasattr(kg, "index_key"):
            return None
        from .index import load_index

        index = load_index(folder, kg.index_key())
        return None if index is None else cls(kg, index)

    def names(self) -> list:
        if self._names is None:
            self._names = list(self.index.targets)
        return self._names

    def requirers(self, skill: str, counts: dict) -> _Requirers | None:
        """What the index says of the facts ``?y ?p <skill>`` (``counts``: per relation, as TSV cells)."""
        from .index import requiring

        wanted = [p for p in counts if p in _REQUIREMENTS]
        rows = requiring(self.index, skill) if wanted else ()
        if not len(rows):
            return None
        counts = {p: int(counts[p].split("^^")[0].strip('"')) for p in wanted}
        predicate = max(wanted, key=lambda p: (counts[p], p))
        names = self.names()
        found = [names[i] for i in rows.tolist()]
        self._row_of.update(zip(found, rows.tolist()))
        return _Requirers(predicate, [p for p in wanted if p != predicate], found, counts[predicate])

    # -- what points at postings and roles ----------------------------------------------
    def _table(self):
        if self._pointed is None:
            import numpy as np

            self._pointed = np.zeros(len(self.index.targets), dtype=np.uint8)
            try:
                with np.load(Path(self.kg.index_folder) / POINTED_FILE, allow_pickle=False) as data:
                    if str(data["key"]) == self._key and len(data["pointed"]) == len(self._pointed):
                        self._pointed = np.array(data["pointed"], dtype=np.uint8)
            except (OSError, ValueError, KeyError, EOFError):
                pass  # none kept yet, or for other data: learned afresh
        return self._pointed

    def _row(self, node: str) -> int | None:
        """The row of ``node`` among the index's targets, or None when it is none of them."""
        i = self._row_of.get(node)
        if i is None:
            names = self.names()  # sorted, as the index keeps them
            i = bisect.bisect_left(names, node)
            if i == len(names) or names[i] != node:
                return None
        return i

    def unpointed(self, nodes) -> list:
        """The nodes of ``nodes`` known to be postings or roles no entity points at."""
        table, row = self._table(), self._row
        return [n for n in nodes if (i := row(n)) is not None and table[i] == 1]

    def learn(self, pointed: dict) -> None:
        """Keep ``{node: whether an entity points at it}`` for the postings and roles among them."""
        table, row = self._table(), self._row
        for n, yes in pointed.items():
            i = row(n)
            if i is not None and table[i] != (2 if yes else 1):
                table[i] = 2 if yes else 1
                self._changed = True

    def save(self) -> None:
        """Keep what was learned beside the index (a cache: a failure to write is ignored)."""
        if not self._changed:
            return
        import numpy as np

        folder = Path(self.kg.index_folder)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{POINTED_FILE}.", suffix=".tmp", dir=folder)
            try:
                from .importing import ordinary_file

                ordinary_file(tmp)
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, key=np.array(self._key), pointed=self._pointed)
                os.replace(tmp, folder / POINTED_FILE)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError:
            pass
        self._changed = False


class _Links:
    """Entity relations around the nodes the search looks at, read from Oxigraph and kept.

    ``out[x]`` maps each entity ``x`` points at to the least CURIE of those
    relations, ``inn[x]`` each entity pointing at ``x``; a node is in
    ``out``/``inn`` once that side of it has been read.
    """

    def __init__(self, store, compiled: "_Compiled | None" = None):
        import pyoxigraph as ox

        self.store = store
        self.compiled = compiled
        self.out: dict[str, dict] = {}
        self.inn: dict[str, dict] = {}
        self.subjects: set = set()  # nodes known to point at some entity
        self._least: dict = {}  # node -> (least entity pointing at it, CURIE) or None
        self._curies: dict = {}
        # Quads only in named graphs (the usual workspace): one index lookup per node, not two.
        default = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
        self._graph = "GRAPH ?g " if default is None else ""

    def _curie(self, p: str) -> str:
        found = self._curies.get(p)
        if found is None:
            found = self._curies[p] = curie(p)
        return found

    def _triples(self, s: str, p: str, o: str | None = None, *, graph: str = "?g") -> str:
        """A triple pattern in any named graph (or in the union when the default graph has quads).

        Two patterns of one query name different ``graph`` variables: the
        two facts may come from different sources.
        """
        if o is None:
            p, o = "?p", p
        return f"{self._graph.replace('?g', graph)}{{ {s} {p} {o} }}"

    def _select(self, template: str, nodes, chunk: int = _CHUNK) -> list[tuple]:
        rows: list[tuple] = []
        nodes = sorted(set(nodes))
        for start in range(0, len(nodes), chunk):
            rows.extend(_iri_rows(self.store, template.replace("{values}", values(nodes[start:start + chunk]))))
        return rows

    def _side(self, nodes: list, outward: bool) -> None:
        """Read the relations from (``outward``) or to each of ``nodes``."""
        if len(nodes) == 1:
            (x,) = nodes
            ref = iri_ref(x)
            pattern = self._triples(ref, "?y") if outward else self._triples("?y", ref)
            self._keep_one(x, pattern, outward)
            return
        else:
            pattern = self._triples("?x", "?y") if outward else self._triples("?y", "?x")
            rows = self._select(f"SELECT ?x ?p ?y WHERE {{ VALUES ?x {{ {{values}} }} {pattern} }}", nodes)
        self._keep(rows, nodes, outward)

    def _keep_one(self, x: str, pattern: str, outward: bool) -> None:
        """Read and file the links of one node on one side (``pattern`` binds ``?p`` and ``?y``).

        A hub has tens of thousands of links but few relations: the relations
        are read first (one DISTINCT), then the other ends, each row with its
        relation's number (an integer: Oxigraph writes it without looking up
        any text, where it would look up the relation's IRI on every row).
        """
        found: dict[str, str] = {}
        counts = {}  # relation -> facts of the pattern (one scan; integers are written without look-ups)
        for line in select_tsv(self.store, f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {pattern} }} GROUP BY ?p"
                               ).decode("utf-8").split("\n")[1:-1]:
            p, n = line.split("\t")
            if p[:1] == "<" and p[1:-1] not in _NOT_RELATION_STRS:
                counts[p[1:-1]] = n
        present = list(counts)
        # The postings and roles requiring a skill are in the compiled index: the biggest of
        # those relations need not be read when the index accounts for every fact of it.
        given = None if outward or self.compiled is None else self.compiled.requirers(x, counts)
        if given is not None:
            present.remove(given.predicate)
        ends = self._ends(present, pattern)
        if given is not None:
            small = {y for p in given.others for y in ends.get(p, ())}
            rest = [y for y in given.targets if y not in small]
            if len(rest) == given.count:  # every fact of the relation, each once (see _Compiled)
                ends[given.predicate] = rest
            else:
                ends.update(self._ends([given.predicate], pattern))
        curies = sorted({self._curie(p) for p in ends})
        for c in reversed(curies):  # the least relation's CURIE written last
            for p, ys in ends.items():
                if self._curie(p) == c:
                    found.update(dict.fromkeys(ys, c))
        found.pop(x, None)
        for y in [y for y in found if y.startswith(_VOCABULARY_PREFIXES)]:
            del found[y]
        (self.out if outward else self.inn)[x] = found
        if found:
            if outward:
                self.subjects.add(x)
            else:
                self.subjects.update(found)

    def _ends(self, predicates: list, pattern: str) -> dict:
        """``{predicate: [IRIs at the other end]}`` of ``pattern`` (binding ``?p`` and ``?y``) for
        each of ``predicates``. Each row carries its predicate's number, an integer, which
        Oxigraph writes without looking up any text (it would look up the IRI on every row)."""
        if not predicates:
            return {}
        block = " ".join(f"({iri_ref(p)} {i})" for i, p in enumerate(predicates))
        data = select_tsv(self.store, f"SELECT ?i ?y WHERE {{ VALUES (?p ?i) {{ {block} }} {pattern} }}")
        cells: dict[str, list] = {str(i): [] for i in range(len(predicates))}
        for line in data.decode("utf-8").split("\n")[1:-1]:  # the last line is empty
            i, _, y = line.partition("\t")
            cells[i].append(y)
        # a literal or a blank node is no entity
        return {p: [y[1:-1] for y in cells[str(i)] if y[:1] == "<"] for i, p in enumerate(predicates)}

    def _keep(self, rows, nodes, outward: bool) -> None:
        """File ``(x, p, y)`` rows (``y`` the other end) as the complete links of ``nodes`` on one side."""
        table = self.out if outward else self.inn
        wanted = set(nodes)
        found: dict[str, dict] = {}
        for x, p, y in rows:
            if y is None or p is None or y == x or p in _NOT_RELATION_STRS or y.startswith(_VOCABULARY_PREFIXES):
                continue
            if x not in wanted:
                continue
            mine = found.setdefault(x, {})
            rel = self._curie(p)
            best = mine.get(y)
            if best is None or rel < best:
                mine[y] = rel
        # most nodes of a big level have no link on this side: they share one empty mapping
        table.update(dict.fromkeys(wanted.difference(found), _NO_LINKS))
        table.update(found)
        if outward:
            self.subjects.update(found)
        else:
            for ys in found.values():
                self.subjects.update(ys)

    def read(self, nodes, *, outward: bool = True, inward: bool = True) -> None:
        """Read both sides (or the sides asked for) of every node of ``nodes`` not read yet."""
        if outward:
            todo = [n for n in nodes if n not in self.out]
            if todo:
                self._side(todo, True)
        if inward:
            todo = [n for n in nodes if n not in self.inn]
            if todo:
                self._side(todo, False)

    def linked(self, node: str) -> bool:
        """Whether ``node`` has a relation to another entity (without reading all of them)."""
        ref = iri_ref(node)
        test = " && ".join(["isIRI(?y)", f"?y != {ref}", _vocabulary_filter("y"), _relation_filter()])
        query = (f"SELECT ?y WHERE {{ {{ {self._triples(ref, '?y')} }} UNION {{ {self._triples('?y', ref)} }} "
                 f"FILTER({test}) }} LIMIT 1")
        return bool(_iri_rows(self.store, query))

    def neighbours(self, node: str) -> set:
        """Every entity linked to ``node`` (read)."""
        return self.out[node].keys() | self.inn[node].keys()

    def rels(self, x: str, among) -> dict:
        """``{y: rel(x, y)}`` for the neighbours ``y`` of ``x`` (read) that are in ``among``."""
        out, inn = self.out[x], self.inn[x]
        found = {y: (rel, inn.get(y)) for y, rel in out.items() if y in among}
        pairs = {rel: (None, rel) for rel in set(inn.values())}  # a few relations: one tuple each
        found.update({y: pairs[inn[y]] for y in inn.keys() & among.keys() if y not in out})
        return found

    def rel(self, x: str, y: str) -> tuple:
        """``(least CURIE of x -> y, least CURIE of y -> x)``, None where there is none (``x`` read)."""
        return self.out[x].get(y), self.inn[x].get(y)

    def neighbour_set(self, nodes) -> set:
        """The entities linked to any of ``nodes``: from what is read, and one DISTINCT query for the rest."""
        found: set = set()
        todo = []
        for n in nodes:
            if n in self.out and n in self.inn:
                found.update(self.out[n])
                found.update(self.inn[n])
            else:
                todo.append(n)
        if todo:
            query = (f"SELECT DISTINCT ?y WHERE {{ VALUES ?x {{ {{values}} }} "
                     f"{{ {self._triples('?x', '?y')} FILTER({_relation_filter()}) }} UNION "
                     f"{{ {self._triples('?y', '?x')} FILTER({_relation_filter()}) }} }}")
            # one query: each would decode the neighbours the nodes share again
            found.update(y for (y,) in self._select(query, todo, chunk=_DISTINCT_CHUNK)
                         if y is not None and not y.startswith(_VOCABULARY_PREFIXES))
        return found

    def between(self, nodes, others) -> dict:
        """``{x: {y: (CURIE x -> y, CURIE y -> x)}}`` for the links between ``nodes`` and ``others``."""
        both = sorted(set(nodes) | set(others))
        query = (f"SELECT ?x ?p ?y WHERE {{ VALUES ?x {{ {values(both)} }} VALUES ?y {{ {values(both)} }} "
                 f"{self._triples('?x', '?y')} }}")
        nodes, others = set(nodes), set(others)
        found: dict = {}
        for x, p, y in _iri_rows(self.store, query):
            if p is None or x == y or p in _NOT_RELATION_STRS:
                continue
            rel = self._curie(p)
            self.subjects.add(x)
            for a, b, side in ((x, y, 0), (y, x, 1)):
                if a in nodes and b in others:
                    pair = found.setdefault(a, {}).setdefault(b, [None, None])
                    if pair[side] is None or rel < pair[side]:
                        pair[side] = rel
        return {a: {b: tuple(pair) for b, pair in rels.items()} for a, rels in found.items()}

    # -- entry keys ------------------------------------------------------------------
    def _has_out(self, node: str) -> bool:
        if node in self.subjects:
            return True
        self.read([node], inward=False)
        return bool(self.out[node])

    def least(self, nodes, *, around: str | None = None) -> None:
        """Make sure the least entity pointing at each of ``nodes`` is known.

        When they are many of the nodes pointing at ``around`` (read), the
        links into all of those are asked for with one join, which Oxigraph
        runs without a VALUES block of thousands of IRIs and returns only the
        links found (most such nodes, postings say, have none).
        """
        todo = [n for n in nodes if n not in self.inn]
        if len(todo) > _JOIN_LEAST and self.compiled is not None:
            for n in self.compiled.unpointed(todo):
                self.inn[n] = _NO_LINKS
            todo = [n for n in todo if n not in self.inn]
        if around is not None and len(todo) > _JOIN_LEAST:
            pointing = self.inn[around]
            if 2 * len(todo) >= len(pointing):
                query = (f"SELECT ?y ?p ?x WHERE {{ {self._triples('?y', '?q', iri_ref(around))} "
                         f"{self._triples('?x', '?p', '?y', graph='?h')} }}")
                read = [y for y in pointing if y not in self.inn]
                self._keep(_iri_rows(self.store, query), read, False)
                if self.compiled is not None:
                    self.compiled.learn({y: bool(self.inn[y]) for y in read})
                todo = [n for n in todo if n not in self.inn]
        if todo:
            self.read(todo, outward=False)
            if self.compiled is not None and len(todo) > _JOIN_LEAST:
                self.compiled.learn({n: bool(self.inn[n]) for n in todo})

    def key(self, node: str) -> tuple:
        """The entry key of ``node`` (see above)."""
        first = self._least.get(node, False)
        if first is False:
            if node not in self.inn:
                self.read([node], outward=False)
            first = self._least[node] = min(self.inn[node].items(), default=None)
        if self._has_out(node) and (first is None or node < first[0]):
            return (node, 0)
        return (first[0], 1, first[1], node)

    def entry(self, u: str, y: str, fwd, bwd) -> tuple:
        """``(sort key, triple)`` of the edge ``u``-``y`` among ``u``'s neighbours."""
        if fwd is not None and (bwd is None or self.key(u) < self.key(y)):
            return (self.key(u), fwd, y), (u, fwd, y)
        return (self.key(y),), (y, bwd, u)

    def _entries(self, u: str, rels: dict, *, first: bool = False) -> list:
        """``[(sort key, y)]`` for the neighbours of ``u`` in ``rels`` (see :meth:`entry`).

        Most neighbours of a hub only point at it and have no link pointing at
        them (postings): their sort key is ``((y, 0),)``. With ``first``, only
        the least of those is listed (with all the others).
        """
        self.least([y for y, (_, bwd) in rels.items() if bwd is not None], around=u)
        inn, subjects = self.inn, self.subjects
        plain = [y for y, (fwd, _) in rels.items() if fwd is None and not inn[y] and y in subjects]
        out = [(((y, 0),), y) for y in ([min(plain)] if first and plain else plain)]
        if len(plain) < len(rels):
            for y, (fwd, bwd) in rels.items():
                if fwd is not None:
                    out.append((self.entry(u, y, fwd, bwd)[0], y))
                elif inn[y] or y not in subjects:
                    out.append(((self.key(y),), y))
        return out

    def _triple(self, u: str, y: str, rel: tuple) -> tuple:
        """The view's triple of the edge ``u``-``y`` (``rel`` is ``(fwd, bwd)``; keys known)."""
        return self.entry(u, y, *rel)[1] if rel[0] is not None else (y, rel[1], u)

    def first_of(self, u: str, rels: dict) -> tuple:
        """``(y, triple)``: the neighbour of ``u`` among ``rels`` (``{y: (fwd, bwd)}``) that ``u`` lists first."""
        if len(rels) == 1:
            ((y, (fwd, bwd)),) = rels.items()
            if bwd is None:
                return y, (u, fwd, y)
            if fwd is None:
                return y, (y, bwd, u)
        _, y = min(self._entries(u, rels, first=True), key=lambda e: e[0])
        return y, self._triple(u, y, rels[y])

    def ordered(self, u: str, rels: dict) -> list:
        """``[(y, triple)]`` for the neighbours of ``u`` in ``rels``, in ``u``'s order."""
        if len(rels) == 1:
            return [self.first_of(u, rels)]
        entries = sorted(self._entries(u, rels), key=lambda e: e[0])
        return [(y, self._triple(u, y, rels[y])) for _, y in entries]


class _Side:
    """One end of the search: its levels (sets) and as much of their order as was needed."""

    def __init__(self, root: str):
        self.root = root
        self.levels: list[set] = [{root}]
        self.depth: dict[str, int] = {root: 0}
        self.order: list[list] = [[root]]  # the first nodes of each level, in networkx's order
        self.pred: dict[str, str | None] = {root: None}
        self.walked: list[int] = [0]  # per level: how many nodes of the level before were walked

    def push(self, level: set) -> None:
        i = len(self.levels)
        self.levels.append(level)
        self.depth.update(dict.fromkeys(level, i))
        self.order.append([])
        self.walked.append(0)


class _Search:
    """networkx's ``_bidirectional_pred_succ`` on the store, levels as sets, order worked out lazily."""

    def __init__(self, store, source: str, target: str, compiled: _Compiled | None = None):
        self.links = _Links(store, compiled)
        self.forward = _Side(source)
        self.reverse = _Side(target)
        self.triples: dict = {}  # frozenset({x, y}) -> the view's triple of that edge

    # -- order -------------------------------------------------------------------------
    def _read_ahead(self, nodes: list, at: int) -> None:
        """Read ``nodes[at]`` and, in the same query, some of the nodes after it."""
        if nodes[at] in self.links.out and nodes[at] in self.links.inn:
            return
        self.links.read(nodes[at:at + max(1, min(at, _CHUNK))])

    def nth(self, side: _Side, i: int, n: int):
        """The ``n``-th node of level ``i`` in networkx's order, or None when the level has fewer."""
        order = side.order[i]
        while len(order) <= n:
            if i == 0 or not self._walk(side, i):
                return None
        return order[n]

    def _walk(self, side: _Side, i: int) -> bool:
        """List the nodes of level ``i`` that the next node of level ``i - 1`` finds."""
        j = side.walked[i]
        u = self.nth(side, i - 1, j)
        if u is None:
            return False
        side.walked[i] = j + 1
        self._read_ahead(side.order[i - 1], j)
        depth, pred = side.depth, side.pred
        rels = {y: self.links.rel(u, y) for y in self.links.neighbours(u) if depth.get(y) == i and y not in pred}
        for y, triple in self.links.ordered(u, rels):
            pred[y] = u
            self.triples[frozenset((u, y))] = triple
            side.order[i].append(y)
        return True

    def first_in(self, side: _Side, i: int, wanted: set):
        """``(y, u)``: the first node of ``wanted`` (part of level ``i``) in order, and the node before it."""
        if i == 0:
            return side.root, None
        n = 0
        while True:
            u = self.nth(side, i - 1, n)
            if u is None:  # cannot happen: every node of level i has a neighbour on level i - 1
                raise AssertionError("a level without its predecessors")
            self._read_ahead(side.order[i - 1], n)
            rels = {y: self.links.rel(u, y) for y in self.links.neighbours(u) if y in wanted}
            if rels:
                y, triple = self.links.first_of(u, rels)
                self.triples[frozenset((u, y))] = triple
                return y, u
            n += 1

    def meeting(self, side: _Side, other: _Side, touching=None, budget: int | None = None):
        """``(v, w)``: networkx's meeting point while ``side`` expands its last level, or None.

        ``touching(v)`` gives ``{w: (fwd, bwd)}`` for ``v``'s links to the other
        side; by default they are read from ``v``'s links. With ``budget``,
        only that many nodes of the level are tried.
        """
        k = len(side.levels) - 1
        n = 0
        while budget is None or n < budget:
            v = self.nth(side, k, n)
            if v is None:
                return None
            if touching is None:
                self._read_ahead(side.order[k], n)
                rels = self.links.rels(v, other.depth)
            else:
                rels = touching(v)
            if rels:
                w, triple = self.links.first_of(v, rels)
                self.triples[frozenset((v, w))] = triple
                return v, w
            n += 1
        return None

    # -- the search --------------------------------------------------------------------
    def run(self):
        """The nodes of the chain from source to target, or None when there is none."""
        fwd, rev = self.forward, self.reverse
        while fwd.levels[-1] and rev.levels[-1]:
            forward = len(fwd.levels[-1]) <= len(rev.levels[-1])
            side, other = (fwd, rev) if forward else (rev, fwd)
            found, level = self._step(side, other)
            if found is not None:
                v, w = found
                mine, theirs = self._back(side, v), self._towards(other, w)
                return mine[::-1] + theirs if forward else theirs[::-1] + mine
            side.push(level)
        return None

    def _step(self, side: _Side, other: _Side):
        """Expand ``side``'s last level: ``((v, w), None)`` at a meeting, else ``(None, next level)``."""
        links = self.links
        level, facing = side.levels[-1], other.levels[-1]
        if len(level) + len(facing) <= _PAIR_PROBE:
            pairs = links.between(level, facing)
            if pairs:
                return self.meeting(side, other, touching=lambda v: pairs.get(v, {})), None
            links.read(level)
        else:
            # the first nodes in order often meet the other side: then the rest is never read
            found = self.meeting(side, other, budget=_PRECHECK)
            if found is not None:
                return found, None
            if len(level) <= _FULL_READ:
                links.read(level)
        near = links.neighbour_set(level)
        meets = near & other.depth.keys()
        if not meets:
            return None, near - side.depth.keys()
        if all(n in links.out and n in links.inn for n in level) or len(meets) > _CHUNK:
            return self.meeting(side, other), None
        links.read(meets)  # the few nodes met: their links say which nodes of the level touch them
        touching: dict = {}
        for w in meets:
            for v in links.neighbours(w):
                if v in level:
                    fwd_w, bwd_w = links.rel(w, v)
                    touching.setdefault(v, {})[w] = (bwd_w, fwd_w)
        return self.meeting(side, other, touching=lambda v: touching.get(v, {})), None

    def _back(self, side: _Side, v: str) -> list:
        """``v`` and the nodes before it back to the side's root."""
        chain = [v]
        while side.pred[chain[-1]] is not None:
            chain.append(side.pred[chain[-1]])
        return chain

    def _towards(self, side: _Side, w: str) -> list:
        """``w`` (met on ``side``) and the nodes networkx puts before it back to the side's root."""
        i = side.depth[w]
        if i == 0:
            return [w]
        links = self.links
        level = side.levels[i - 1]
        if all(n in links.out and n in links.inn for n in level):  # found from the level's side
            before = {y: links.rel(y, w)[::-1] for y in level if w in links.out[y] or w in links.inn[y]}
        else:
            links.read([w])
            before = {y: links.rel(w, y) for y in links.neighbours(w) if side.depth.get(y) == i - 1}
        y, u = self.first_in(side, i - 1, before.keys())
        _, triple = links.first_of(w, {y: before[y]})
        self.triples[frozenset((w, y))] = triple
        return [w, y] + (self._back(side, u) if u is not None else [])


def _explain_in_store(kg, a, b) -> Connection:
    """:func:`explain` on a store: networkx's bidirectional search, the view read as needed."""
    a, b = str(a), str(b)
    ra, rb = Ref.of(kg, a), Ref.of(kg, b)
    if a == b:
        return Connection(ra, rb, ())
    compiled = _Compiled.of(kg)
    search = _Search(kg._oxigraph, a, b, compiled)
    for node, ref in ((a, ra), (b, rb)):
        if not search.links.linked(node):
            raise NoPathError(f"{ref.label} ({ref.curie}) has no relation to any other entity")
    try:
        nodes = search.run()
    finally:
        if compiled is not None:
            compiled.save()
    if nodes is None:
        raise NoPathError(f"no chain of relations links {ra.label} ({ra.curie}) "
                          f"and {rb.label} ({rb.curie})")
    hops = []
    for x, y in zip(nodes, nodes[1:]):
        s, rel, o = search.triples[frozenset((x, y))]
        hops.append(Hop(Ref.of(kg, x), rel, Ref.of(kg, y), forward=(s == x)))
    return Connection(ra, rb, tuple(hops))
