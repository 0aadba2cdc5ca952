"""The shortest chain of relations between two entities, read from the store a level at a time."""

from __future__ import annotations

from .convert import _NOT_RELATIONS, _VOCABULARIES, knowledge_graph
from .errors import NoPathError
from .neighbourhood import _relation_filter, _select, _vocabulary_filter, is_store_backed, links
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
    the graph: a bidirectional breadth-first search that asks the store for
    one frontier's links at a time and visits neighbours in the order the
    networkx view would, so both give the same chain.

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
# that added the edge, CURIE, other end)``. :class:`_StoreView` computes
# exactly that from the triples around each frontier, plus, for the nodes
# that point at the frontier, the least entity pointing at them.

# Per node and relation, the least entity subject pointing at it (for entry keys).
_IN_MIN = ("SELECT ?y ?p (MIN(STR(?x)) AS ?m) WHERE { VALUES ?y { {values} } "
           "?x ?p ?y FILTER(isIRI(?x) && ?x != ?y && %s && %s) } GROUP BY ?y ?p")


# Quads with a node of the frontier at either end: the cost of reading its links.
_COST = ("SELECT (STR(COUNT(*)) AS ?n) WHERE { VALUES ?x { {values} } "
         "{ ?x ?p ?o } UNION { ?s ?p ?x } }")


class _StoreView:
    """The undirected entity view of ``explain``, read from Oxigraph as the search needs it."""

    def __init__(self, store):
        self.store = store
        self.raw: dict[str, tuple] = {}  # node -> ({out-neighbour: CURIE}, {in-neighbour: CURIE})
        self.adjacency: dict[str, list] = {}  # node -> [(neighbour, (s, curie, o))] in view order
        self.points_at: dict[str, tuple | None] = {}  # node -> (least subject, CURIE) pointing at it
        self.has_out: dict[str, bool] = {}  # node -> subject of some entity triple
        self.queries = 0
        self._in_min = _IN_MIN % (_relation_filter(), _vocabulary_filter("x"))

    def _key(self, node) -> tuple:
        """The entry key of ``node`` (see above)."""
        first = self.points_at.get(node)
        if self.has_out.get(node) and (first is None or node < first[0]):
            return (node, 0)
        return (first[0], 1, first[1], node)

    def _read_points_at(self, nodes) -> None:
        todo = [n for n in nodes if n not in self.points_at]
        if not todo:
            return
        best: dict[str, tuple] = {}
        for y, p, m in _select(self.store, self._in_min, todo):
            if y is not None and p is not None and m is not None:
                cand = (m, curie(p))
                if y not in best or cand < best[y]:
                    best[y] = cand
        self.queries += 1
        for n in todo:
            self.points_at[n] = best.get(n)

    def read(self, nodes) -> None:
        """Read the links of every node of ``nodes`` not read yet (one level, one query), unordered."""
        todo = [n for n in nodes if n not in self.raw]
        if not todo:
            return
        forward: dict[str, dict] = {n: {} for n in todo}  # x -> {y: least CURIE of x -> y}
        backward: dict[str, dict] = {n: {} for n in todo}  # x -> {y: least CURIE of y -> x}
        wanted = set(todo)
        for s, p, o in links(self.store, todo):
            if p in _NOT_RELATION_STRS or s == o or not (_entity(s) and _entity(o)):
                continue
            rel = curie(p)
            if s in wanted:
                best = forward[s].get(o)
                if best is None or rel < best:
                    forward[s][o] = rel
            if o in wanted:
                best = backward[o].get(s)
                if best is None or rel < best:
                    backward[o][s] = rel
        self.queries += 1
        for x in todo:
            self.raw[x] = (forward[x], backward[x])
            self.has_out[x] = bool(forward[x])
            self.points_at[x] = min(((y, rel) for y, rel in backward[x].items()), default=None)
            for y in backward[x]:
                self.has_out[y] = True

    def _entry(self, x, y) -> tuple:
        """``(sort key, y, triple)`` of ``y`` among ``x``'s neighbours (``x`` read, keys known)."""
        forward, backward = self.raw[x]
        fwd, bwd = forward.get(y), backward.get(y)
        if fwd is not None and (bwd is None or self._key(x) < self._key(y)):
            return (self._key(x), fwd, y), y, (x, fwd, y)
        return (self._key(y),), y, (y, bwd, x)

    def expand(self, nodes) -> None:
        """Read the neighbours of every node of ``nodes`` and put them in view order."""
        self.read(nodes)
        todo = [n for n in nodes if n not in self.adjacency]
        if not todo:
            return
        self._read_points_at({y for x in todo for y in self.raw[x][1]})
        for x in todo:
            forward, backward = self.raw[x]
            entries = sorted((self._entry(x, y) for y in forward.keys() | backward.keys()),
                             key=lambda e: e[0])
            self.adjacency[x] = [(y, triple) for _, y, triple in entries]

    def meeting_in(self, level: list, other) -> tuple | None:
        """The first step from ``level`` (read) into ``other`` in networkx's loop, or None.

        Returns ``(v, w, triple)``: the first ``v`` of ``level`` with a
        neighbour in ``other`` and its first such neighbour ``w`` in view
        order. Only the nodes on those links get their entry keys read.
        """
        for v in level:
            forward, backward = self.raw[v]
            meets = [y for y in forward.keys() | backward.keys() if y in other]
            if meets:
                self._read_points_at([y for y in meets if y in backward])
                _, w, triple = min((self._entry(v, y) for y in meets), key=lambda e: e[0])
                return v, w, triple
        return None

    def neighbours(self, node) -> list:
        return self.adjacency[node]

    def cost(self, nodes) -> int:
        """How many quads touch the nodes not read yet: what reading them would cost."""
        todo = [n for n in nodes if n not in self.raw]
        if not todo:
            return 0
        self.queries += 1
        return sum(int(n) for (n,) in _select(self.store, _COST, todo) if n)

    def first_meeting(self, level: list, other) -> tuple | None:
        """:meth:`meeting_in` when ``other`` has been read and ``level`` need not have been.

        The links are looked up from ``other``'s side; only the first node of
        ``level`` that touches ``other`` gets its own entry key read.
        """
        touching: dict[str, dict] = {}  # v -> {w: [CURIE of v -> w, CURIE of w -> v]}
        for w in other:
            forward, backward = self.raw[w]
            for v, rel in forward.items():
                touching.setdefault(v, {}).setdefault(w, [None, None])[1] = rel
            for v, rel in backward.items():
                touching.setdefault(v, {}).setdefault(w, [None, None])[0] = rel
        v = next((v for v in level if v in touching), None)
        if v is None:
            return None
        self._read_points_at([v])
        meets = touching[v]
        if any(fwd is not None for fwd, _ in meets.values()):
            self.has_out[v] = True
        entries = []
        for w, (fwd, bwd) in meets.items():
            if fwd is not None and (bwd is None or self._key(v) < self._key(w)):
                entries.append(((self._key(v), fwd, w), w, (v, fwd, w)))
            else:
                entries.append(((self._key(w),), w, (w, bwd, v)))
        _, w, triple = min(entries, key=lambda e: e[0])
        return v, w, triple


_NOT_RELATION_STRS = {str(p) for p in _NOT_RELATIONS}


def _entity(text: str) -> bool:
    """``convert._is_entity`` for an IRI string (every term here is an IRI)."""
    return not text.startswith(_VOCABULARY_PREFIXES)


_VOCABULARY_PREFIXES = tuple(_VOCABULARIES)


def _explain_in_store(kg, a, b) -> Connection:
    """:func:`explain` on a store: networkx's bidirectional search, neighbours read per level."""
    view = _StoreView(kg._oxigraph)
    a, b = str(a), str(b)
    ra, rb = Ref.of(kg, a), Ref.of(kg, b)
    if a == b:
        return Connection(ra, rb, ())
    view.read([a, b])
    for node, ref in ((a, ra), (b, rb)):
        if not any(view.raw[node]):
            raise NoPathError(f"{ref.label} ({ref.curie}) has no relation to any other entity")
    triple_of = {}
    meet = _search(view, a, b, triple_of)
    if meet is None:
        raise NoPathError(f"no chain of relations links {ra.label} ({ra.curie}) "
                          f"and {rb.label} ({rb.curie})")
    pred, succ, w = meet
    nodes = []
    while w is not None:
        nodes.append(w)
        w = pred[w]
    nodes.reverse()
    w = succ[nodes[-1]]
    while w is not None:
        nodes.append(w)
        w = succ[w]
    hops = []
    for x, y in zip(nodes, nodes[1:]):
        s, rel, o = triple_of[frozenset((x, y))]
        hops.append(Hop(Ref.of(kg, x), rel, Ref.of(kg, y), forward=(s == x)))
    return Connection(ra, rb, tuple(hops))


def _search(view: _StoreView, source: str, target: str, triple_of: dict):
    """networkx's ``_bidirectional_pred_succ``, with each fringe's neighbours read in one go.

    Before a fringe is expanded, the other fringe is read first when that is
    cheaper (fewer quads touch it): if the two fringes touch, the search ends
    at this level and the bigger one never has to be read.
    """
    pred = {source: None}
    succ = {target: None}
    forward_fringe = [source]
    reverse_fringe = [target]
    while forward_fringe and reverse_fringe:
        forward = len(forward_fringe) <= len(reverse_fringe)
        this_level, other_fringe = (forward_fringe, reverse_fringe) if forward else (reverse_fringe,
                                                                                     forward_fringe)
        mine, theirs = (pred, succ) if forward else (succ, pred)
        if any(n not in view.raw for n in this_level) and _cheaper(view, other_fringe, this_level):
            view.read(other_fringe)
            meeting = view.first_meeting(this_level, set(other_fringe))
            if meeting is not None:
                v, w, triple = meeting
                triple_of.setdefault(frozenset((v, w)), triple)
                mine[w] = v
                return pred, succ, w
            # no step into the other side at this level: this level is read in full below
        view.read(this_level)
        meeting = view.meeting_in(this_level, theirs)
        if meeting is not None:
            v, w, triple = meeting
            triple_of.setdefault(frozenset((v, w)), triple)
            mine[w] = v
            return pred, succ, w
        following = []
        view.expand(this_level)
        for v in this_level:
            for w, triple in view.neighbours(v):
                triple_of.setdefault(frozenset((v, w)), triple)
                if w not in mine:
                    following.append(w)
                    mine[w] = v
                if w in theirs:
                    return pred, succ, w
        if forward:
            forward_fringe = following
        else:
            reverse_fringe = following
    return None


def _cheaper(view: _StoreView, first: list, second: list) -> bool:
    """Whether reading ``first`` costs less than reading ``second`` (free when read already)."""
    cost = view.cost(first)
    return cost == 0 or cost < view.cost(second)
