"""The shortest chain of relations between two entities, read from the store a level at a time."""

from __future__ import annotations

from .convert import _is_entity, _NOT_RELATIONS, knowledge_graph
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
# entity triples are sorted by (subject, relation CURIE, object) and nodes
# enter the multigraph at their first appearance, so a node's position is the
# smallest of ``(subject, CURIE, object, 0)`` over its own triples and
# ``(subject, CURIE, itself, 1)`` over the triples pointing at it (its
# "entry key"). The view adds the edge between x and y while walking the
# subject that entered first, with that subject's first relation to the
# other by CURIE; so x's neighbours come in the order of ``(entry key of the
# subject that added the edge, CURIE, other end)``. :class:`_StoreView`
# computes exactly that from the triples around each frontier.

def _key_query(direction: str) -> str:
    """Per node and relation, the smallest entity at the other end (for entry keys)."""
    if direction == "out":
        pattern, other = "?y ?p ?x", "x"
    else:
        pattern, other = "?x ?p ?y", "x"
    return ("SELECT ?y ?p (MIN(STR(?x)) AS ?m) WHERE { VALUES ?y { {values} } "
            f"{pattern} FILTER(isIRI(?x) && ?x != ?y && {_relation_filter()} && {_vocabulary_filter(other)}) }} "
            "GROUP BY ?y ?p")


class _StoreView:
    """The undirected entity view of ``explain``, read from Oxigraph as the search needs it."""

    def __init__(self, store):
        self.store = store
        self.adjacency: dict[str, list] = {}  # node -> [(neighbour, (s, curie, o))] in view order
        self.keys: dict[str, tuple | None] = {}  # node -> entry key (None: in no entity triple)
        self.queries = 0
        self._out_min = _key_query("out")
        self._in_min = _key_query("in")

    def _entry_keys(self, nodes) -> None:
        todo = [n for n in nodes if n not in self.keys]
        if not todo:
            return
        best: dict[str, tuple] = {}
        for y, p, m in _select(self.store, self._out_min, todo):
            if y is not None and p is not None and m is not None:
                cand = (y, curie(p), m, 0)
                if y not in best or cand < best[y]:
                    best[y] = cand
        for y, p, m in _select(self.store, self._in_min, todo):
            if y is not None and p is not None and m is not None:
                cand = (m, curie(p), y, 1)
                if y not in best or cand < best[y]:
                    best[y] = cand
        self.queries += 2
        for n in todo:
            self.keys[n] = best.get(n)

    def expand(self, nodes) -> None:
        """Read the neighbours of every node of ``nodes`` not read yet (one level, one query)."""
        todo = [n for n in nodes if n not in self.adjacency]
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
        need = set()
        for x in todo:
            if forward[x] or backward[x]:
                need.add(x)
                need.update(backward[x])
        self._entry_keys(need)
        for x in todo:
            entries = []
            kx = self.keys.get(x)
            for y in forward[x].keys() | backward[x].keys():
                fwd, bwd = forward[x].get(y), backward[x].get(y)
                if fwd is not None and (bwd is None or kx < self.keys[y]):
                    entries.append(((kx, fwd, y), y, (x, fwd, y)))
                else:
                    entries.append(((self.keys[y],), y, (y, bwd, x)))
            entries.sort(key=lambda e: e[0])
            self.adjacency[x] = [(y, triple) for _, y, triple in entries]

    def neighbours(self, node) -> list:
        return self.adjacency[node]


_NOT_RELATION_STRS = {str(p) for p in _NOT_RELATIONS}


def _entity(text: str) -> bool:
    from rdflib import URIRef

    return _is_entity(URIRef(text))


def _explain_in_store(kg, a, b) -> Connection:
    """:func:`explain` on a store: networkx's bidirectional search, neighbours read per level."""
    view = _StoreView(kg._oxigraph)
    a, b = str(a), str(b)
    ra, rb = Ref.of(kg, a), Ref.of(kg, b)
    if a == b:
        return Connection(ra, rb, ())
    view.expand([a, b])
    for node, ref in ((a, ra), (b, rb)):
        if not view.neighbours(node):
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
    """networkx's ``_bidirectional_pred_succ``, with each fringe's neighbours read in one go."""
    pred = {source: None}
    succ = {target: None}
    forward_fringe = [source]
    reverse_fringe = [target]
    while forward_fringe and reverse_fringe:
        if len(forward_fringe) <= len(reverse_fringe):
            this_level, forward_fringe = forward_fringe, []
            view.expand(this_level)
            for v in this_level:
                for w, triple in view.neighbours(v):
                    triple_of.setdefault(frozenset((v, w)), triple)
                    if w not in pred:
                        forward_fringe.append(w)
                        pred[w] = v
                    if w in succ:
                        return pred, succ, w
        else:
            this_level, reverse_fringe = reverse_fringe, []
            view.expand(this_level)
            for v in this_level:
                for w, triple in view.neighbours(v):
                    triple_of.setdefault(frozenset((v, w)), triple)
                    if w not in succ:
                        succ[w] = v
                        reverse_fringe.append(w)
                    if w in pred:
                        return pred, succ, w
    return None
