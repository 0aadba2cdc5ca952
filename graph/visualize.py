"""Draw the knowledge graph as one self-contained, offline, script-safe HTML page.

How the page is made, and why not with pyvis's ``Network``
-----------------------------------------------------------
:func:`graph_view` turns the knowledge graph into plain node and edge lists
(one node per entity of the chosen kinds, one edge per triple between two of
them) in a single pass over the quads, and computes the positions with
networkx, seeded, so the same data always gives the same picture. On a
workspace (Oxigraph) it never reads the whole graph: the chosen kinds are
counted by Oxigraph, a focus neighbourhood is read one level at a time, and
then only the quads about the drawn nodes are read (see ``_StoreFacts``).
:func:`render_html` then fills careergraph's own Jinja2 template
(``templates/graph.html``) with autoescaping on.

pyvis 0.3.2 is used only for the copy of vis-network 9.1.2 it ships in its
package (``pyvis/lib/vis-9.1.2``); the page inlines that file, read at render
time (located with :func:`importlib.util.find_spec`, which does not import
pyvis and its IPython dependency). We do not use ``pyvis.network.Network``:
its ``from_nx`` is quadratic, its ``in_line`` mode still loads Bootstrap from a
CDN, and its template inserts the heading raw, switches every tooltip to
``innerHTML`` when a title contains "href" and puts raw node ids into
``<option>`` elements. Passing our template to ``Network`` would have left
only ``add_node``/``add_edge`` bookkeeping to reuse, which the plain lists do
faster. So the page is built like this:

* no ``src``/``href`` anywhere: vis-network's script and stylesheet are
  inlined, and a Content-Security-Policy (``default-src 'none'``, scripts
  allowed only by the SHA-256 of the page's own two scripts) blocks every
  fetch and every inline event handler, as a second line of defence;
* the data travels as JSON in ``<script type="application/json">`` with
  ``<``, ``>`` and ``&`` written as ``\\u003c``... so ``</script>`` in a label
  cannot end the element; the page's script reads it with ``JSON.parse``;
* data reaches the screen only as canvas text (labels), ``textContent``
  (legend, search results, tooltips built as DOM elements) and autoescaped
  template text (the heading); never as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Iterable, Sequence

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import SKOS

from careergraph.ontology import CG, SCHEMA

from .errors import CareerGraphError, UsageError, ViewTooBigError
from .native import select_iris
from .neighbourhood import iri_ref, is_store_backed, links, quads_about, typed, values
from .store import KINDS

__all__ = [
    "ALL_TYPES",
    "DEFAULT_TYPES",
    "DEFAULT_MAX_NODES",
    "STYLES",
    "VizNode",
    "VizEdge",
    "GraphView",
    "graph_view",
    "render_html",
    "write_html",
]

#: Kinds that can be drawn (every kind but ``source``: sources appear as provenance).
ALL_TYPES = tuple(k for k in KINDS if k != "source")
#: Kinds drawn when none are chosen.
DEFAULT_TYPES = ("component", "role", "skill", "posting", "person")
#: Views with more nodes are refused (vis draws ~2,000 nodes in about a second).
DEFAULT_MAX_NODES = 2000
#: Views up to this size get vis physics (a short stabilisation) after the layout.
PHYSICS_LIMIT = 60
#: Connected parts up to these sizes get ForceAtlas2, then a spring layout (see _layout).
_FORCEATLAS_LIMIT = 200
_SPRING_LIMIT = 250

#: Colour and vis shape of each kind, for the nodes and the legend.
STYLES = {
    "component": {"color": "#f28e2b", "shape": "box"},
    "role": {"color": "#4e79a7", "shape": "ellipse"},
    "skill": {"color": "#59a14f", "shape": "dot"},
    "posting": {"color": "#e15759", "shape": "diamond"},
    "person": {"color": "#b07aa1", "shape": "star"},
    "category": {"color": "#edc948", "shape": "triangle"},
    "organization": {"color": "#9c755f", "shape": "square"},
    "level": {"color": "#bab0ac", "shape": "triangleDown"},
}

# Properties read as an entity's description, best first.
_DESCRIPTIONS = (SKOS.definition, RDFS.comment, SCHEMA.description, SKOS.scopeNote,
                 CG.responsibilities)
_LABELS = (RDFS.label, SKOS.prefLabel, SCHEMA.title, SCHEMA.name)
_EFFORT = CG.effortHours
_VIS_ASSET = ("lib", "vis-9.1.2")


@dataclass(frozen=True)
class VizNode:
    """One drawn entity.

    ``title`` is the tooltip as plain text (the page shows it as text);
    ``step`` is its 1-based position on a highlighted path, or None;
    ``on_path`` marks the steps and the path's target (drawn undimmed).
    """

    id: str
    label: str
    kind: str
    title: str
    x: float
    y: float
    step: int | None = None
    on_path: bool = False

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "kind": self.kind, "title": self.title,
                "x": self.x, "y": self.y, "step": self.step, "onPath": self.on_path}


@dataclass(frozen=True)
class VizEdge:
    """One drawn relation ``source --relation--> target``.

    ``relation`` is the predicate IRI; ``path_only`` edges are not in the
    data: they join two consecutive path steps that no data edge links.
    """

    id: str
    source: str
    target: str
    relation: str
    label: str
    title: str
    highlighted: bool = False
    path_only: bool = False

    def as_dict(self) -> dict:
        return {"id": self.id, "from": self.source, "to": self.target, "relation": self.relation,
                "label": self.label, "title": self.title, "highlighted": self.highlighted,
                "pathOnly": self.path_only}


@dataclass(frozen=True)
class GraphView:
    """What :func:`render_html` draws: nodes with positions, edges, legend, heading."""

    title: str
    nodes: list[VizNode]
    edges: list[VizEdge]
    legend: list[dict] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    physics: bool = False
    target: str | None = None

    @property
    def data_edges(self) -> list[VizEdge]:
        """The edges that are facts of the graph (not path-only connectors)."""
        return [e for e in self.edges if not e.path_only]

    def as_dict(self) -> dict:
        return {"title": self.title, "nodes": [n.as_dict() for n in self.nodes],
                "edges": [e.as_dict() for e in self.edges], "legend": list(self.legend),
                "path": list(self.path), "target": self.target, "physics": self.physics}


def _text(values) -> str | None:
    """The English (or untagged) value of a set of literals, else the first, sorted."""
    values = sorted(values, key=str)
    if not values:
        return None
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    return " ".join(str((english or values)[0]).split())


def _check_types(types) -> tuple[str, ...]:
    if isinstance(types, str):
        types = [t for t in re.split(r"[,\s]+", types) if t]
    chosen = tuple(dict.fromkeys(types))
    unknown = [t for t in chosen if t not in ALL_TYPES]
    if unknown or not chosen:
        raise UsageError(f"unknown type {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"choose from {', '.join(ALL_TYPES)}")
    return chosen


def graph_view(kg, *, types: Iterable[str] | str = DEFAULT_TYPES, focus=None, depth: int = 1,
               max_nodes: int = DEFAULT_MAX_NODES, path: Sequence | None = None,
               path_edges: Iterable[tuple] | None = None, path_target=None,
               title: str | None = None,
               seed: int = 42) -> GraphView:
    """The nodes, edges and positions to draw for one view of ``kg``.

    Nodes are the entities whose ``rdf:type`` is one of ``types``' classes;
    edges are every triple (but ``rdf:type``) between two nodes, labelled
    with the property's label. Tooltips give kind, CURIE, description,
    effort hours and the sources that state facts about the node.

    Parameters
    ----------
    kg : KnowledgeGraph
    types : iterable of str or str
        Kinds to draw (see ``ALL_TYPES``), or a comma-separated string.
    focus : str or URIRef, optional
        Draw only this entity and what lies within ``depth`` edges of it
        (edges in either direction, through nodes of the chosen kinds).
        The focus is drawn even when its kind is not among ``types``.
    depth : int
        Radius of the focus neighbourhood (default 1).
    max_nodes : int
        Refuse views with more nodes than this. On a workspace a focus
        neighbourhood stops being read once it passes the limit, and the
        refusal then says "at least N nodes".
    path : sequence of IRIs or names, optional
        Steps of a learning path in order: they are numbered, always drawn,
        and everything not on the path is dimmed.
    path_edges : iterable of (IRI, IRI), optional
        Pairs to emphasise. A pair matches the data edges between its two
        nodes (either direction); a pair no data edge links is drawn as a
        dashed path-only edge. Default: consecutive steps of ``path`` (and
        the last step and ``path_target``), plus every data edge between two
        of them.
    path_target : str or IRI, optional
        What the path leads to (a posting, a role): drawn, emphasised and
        not dimmed, but not numbered.
    title : str, optional
        The page's heading (default: names the focus or the kinds drawn).
    seed : int
        Seed of the layout.

    Returns
    -------
    GraphView

    Raises
    ------
    UsageError
        Unknown kinds, negative depth, an unknown focus or path entity, or
        more nodes than ``max_nodes``.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> view = graph_view(load(), focus="skill:dart", depth=1, types=["skill", "posting"])
    >>> sorted(n.label for n in view.nodes if n.kind == "posting")[:1]
    ['Flutter Developer (Middle) at A3F Group']
    """
    types = _check_types(types)
    if depth < 0:
        raise UsageError(f"depth must be 0 or more, not {depth}")
    store_backed = is_store_backed(kg)
    facts = _StoreFacts(kg) if store_backed else _Facts(kg)

    def entity(name, what) -> str:
        iri = str(name) if facts.has_kind(str(name)) else str(kg.resolve(str(name)))
        if not facts.has_kind(iri):
            raise UsageError(f"{what} {kg.curie(iri)} is not an entity careergraph can draw")
        return iri

    focus_iri = entity(focus, "focus") if focus is not None else None
    steps = [entity(step, "path step") for step in path or ()]
    target = entity(path_target, "path target") if path_target is not None else None
    on_path = set(steps) | ({target} if target else set())
    complete = True
    if store_backed:
        drawn, complete = facts.drawn(types, focus_iri, depth, on_path, limit=max_nodes)
    else:
        drawn = {iri for iri, kind in facts.kinds.items() if kind in types}
        drawn.update(on_path)
        if focus_iri is not None:
            drawn.add(focus_iri)
            drawn = _neighbourhood(facts, drawn, focus_iri, depth) | on_path
    if len(drawn) > max_nodes:
        near = (f"the path's own neighbourhood with --focus {kg.curie(target)}" if target and focus_iri is None
                else "one entity's neighbourhood with --focus ENTITY [--depth K]")
        raise ViewTooBigError(
            f"the view has {'' if complete else 'at least '}{len(drawn)} nodes, more than the limit of "
            f"{max_nodes}: draw {near}, fewer kinds with --types "
            "(e.g. --types component,role), or raise --max-nodes", nodes=len(drawn))
    if store_backed:
        facts.read(drawn)

    nodes_sorted = sorted(drawn)
    edge_keys = sorted(t for t in facts.links if t[0] in drawn and t[2] in drawn)
    positions = _layout(nodes_sorted, [(s, o) for s, _, o in edge_keys], seed=seed)
    labels = {iri: facts.text(iri, _LABELS) or kg.curie(iri) for iri in drawn}
    kind_labels = {}
    for kind in ALL_TYPES:
        name = kg.label(KINDS[kind])
        kind_labels[kind] = kind if name == kg.curie(KINDS[kind]) else name

    step_of: dict[str, int] = {}
    for number, iri in enumerate(steps, start=1):
        step_of.setdefault(iri, number)
    nodes = []
    for iri in nodes_sorted:
        kind = facts.kinds[iri]
        lines = [labels[iri], f"type: {kind_labels[kind]}", f"id: {kg.curie(iri)}"]
        description = facts.text(iri, _DESCRIPTIONS)
        if description:
            lines.append(description)
        hours = facts.text(iri, (_EFFORT,))
        if hours:
            lines.append(f"effort: {hours} h")
        if iri in step_of:
            lines.append(f"path step {step_of[iri]} of {len(steps)}")
        elif iri == target:
            lines.append("the path's target")
        lines.append(f"source: {facts.provenance(facts.stated_in[iri])}")
        x, y = positions[iri]
        nodes.append(VizNode(iri, labels[iri], kind, "\n".join(lines), x, y, step_of.get(iri),
                             iri in on_path))

    # The pairs to emphasise: data edges between them are highlighted, and a
    # pair that no data edge links gets a dashed path-only edge.
    if path_edges is None:
        route = steps + [target] if target and steps else steps
        pairs = list(zip(route, route[1:]))
        emphasised = {frozenset((s, o)) for s, _, o in edge_keys if s in on_path and o in on_path}
    else:
        pairs = [(entity(a, "path edge end"), entity(b, "path edge end")) for a, b in path_edges]
        emphasised = set()
    emphasised.update(frozenset(pair) for pair in pairs)

    relations: dict[str, tuple[str, str]] = {}
    edges = []
    linked = set()
    for number, (s, p, o) in enumerate(edge_keys):
        if p not in relations:
            curie = kg.curie(p)
            name = kg.label(URIRef(p))
            relations[p] = (name if name != curie else re.split(r"[#/:]", name)[-1], curie)
        relation, curie = relations[p]
        tip = (f"{labels[s]} {relation} {labels[o]}\nrelation: {curie}\n"
               f"source: {facts.provenance(facts.links[(s, p, o)])}")
        pair = frozenset((s, o))
        hit = pair in emphasised
        if hit:
            linked.add(pair)
        edges.append(VizEdge(f"e{number}", s, o, p, relation, tip, hit))
    for a, b in pairs:
        pair = frozenset((a, b))
        if pair not in linked and a in drawn and b in drawn and a != b:
            linked.add(pair)
            edges.append(VizEdge(f"p{len(edges)}", a, b, "", "next step",
                                 f"{labels[a]} → {labels[b]}: next step of the path", True, True))

    counts: dict[str, int] = defaultdict(int)
    for node in nodes:
        counts[node.kind] += 1
    legend = [{"kind": kind, "label": kind_labels[kind], "count": counts[kind], **STYLES[kind]}
              for kind in ALL_TYPES if counts[kind]]
    if title is None and focus_iri is not None:
        title = f"careergraph: {labels[focus_iri]} and its neighbourhood (depth {depth})"
    elif title is None:
        title = "careergraph: " + ", ".join(kind_labels[k] for k in types)
    return GraphView(title, nodes, edges, legend, steps, physics=1 < len(nodes) <= PHYSICS_LIMIT,
                     target=target)


class _Facts:
    """What the page needs from the graph, read in one pass over the quads.

    Keys are plain strings: rdflib terms hash and compare in Python, which
    made dicts keyed by them the slowest part of drawing 2,000 nodes.
    """

    def __init__(self, kg, quads=None):
        self.kinds: dict[str, str] = {}  # drawable entity -> its first kind in KINDS order
        self.literals: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.stated_in: dict[str, set] = defaultdict(set)  # entity -> graphs stating facts on it
        self.links: dict[tuple, set] = defaultdict(set)  # (s, p, o) -> graphs stating it
        self.sources = {str(src.iri): src.label for src in kg.sources}
        self._add(kg.graph.quads((None, None, None, None)) if quads is None else quads)

    def _add(self, quads) -> None:
        class_kind = {str(KINDS[kind]): kind for kind in reversed(ALL_TYPES)}
        order = {kind: i for i, kind in enumerate(ALL_TYPES)}
        wanted = {str(p) for p in (*_LABELS, *_DESCRIPTIONS, _EFFORT)}
        rdf_type = str(RDF.type)
        for s, p, o, g in quads:
            if not isinstance(s, URIRef):
                continue
            s, p, g = str(s), str(p), str(g)
            self.stated_in[s].add(g)
            if p == rdf_type:
                kind = class_kind.get(str(o))
                if kind is not None and (s not in self.kinds or order[kind] < order[self.kinds[s]]):
                    self.kinds[s] = kind
            elif isinstance(o, Literal):
                if p in wanted:
                    self.literals[s][p].append(o)
            elif isinstance(o, URIRef):
                self.links[(s, p, str(o))].add(g)

    def has_kind(self, iri: str) -> bool:
        """Whether ``iri`` is an entity of a kind that can be drawn."""
        return iri in self.kinds

    def text(self, iri: str, props) -> str | None:
        """The first of ``props`` that ``iri`` has, as one line (English first)."""
        values = self.literals.get(iri, {})
        for prop in props:
            found = values.get(str(prop))
            if found:
                return _text(found)
        return None

    def provenance(self, graphs) -> str:
        names = sorted({self.sources[g] for g in graphs if g in self.sources})
        return "; ".join(names) if names else "(no recorded source)"


class _StoreFacts(_Facts):
    """:class:`_Facts` for a workspace: read from Oxigraph for the drawn nodes only.

    :meth:`drawn` finds the nodes (a focus neighbourhood level by level, one
    query per level, or the listing of the chosen kinds); :meth:`read` then
    reads the quads about those nodes, and the view is made from them
    exactly as from the whole graph.
    """

    def __init__(self, kg):
        super().__init__(kg, quads=())
        self.kg = kg
        self._kind_of: dict[str, str | None] = {}

    def _kinds(self, nodes) -> dict:
        """The drawable kind of each of ``nodes`` (None: not drawable), read once."""
        todo = [n for n in nodes if n not in self._kind_of]
        if todo:
            found = typed(self.kg._oxigraph, todo)
            for n in todo:
                self._kind_of[n] = _first_kind(found.get(n, ()))
        return {n: self._kind_of[n] for n in nodes}

    def has_kind(self, iri: str) -> bool:
        try:
            iri_ref(iri)
        except CareerGraphError:
            return False
        return self._kinds([iri])[iri] is not None

    def drawn(self, types, focus, depth: int, on_path: set, *, limit: int) -> tuple[set, bool]:
        """The nodes to draw, as :func:`graph_view` chooses them from the whole graph, and
        whether the set is complete.

        Without a focus the chosen kinds are counted first (by Oxigraph) and
        listed only when they fit under ``limit``. With a focus the
        neighbourhood is read level by level (one query per level for the
        links, then the kinds of the nodes reached, a chunk at a time); once
        more than ``limit`` nodes are found the search stops, and the set
        returned is incomplete (its size is a lower bound).
        """
        store = self.kg._oxigraph
        if focus is None:
            extra = {n for n, kind in self._kinds(on_path).items() if kind not in types}
            count = _count_drawable(store, types)
            if count + len(extra) > limit:
                return _Placeholder(count + len(extra)), True
            found: dict[str, set] = defaultdict(set)
            classes = values(str(KINDS[kind]) for kind in types)
            for s, c in select_iris(store, _ENTITIES.replace("{values}", classes)):
                if s is not None:
                    found[s].add(c)
            for s, cs in found.items():
                self._kind_of[s] = _first_kind(cs)
            return {s for s in found if self._kind_of[s] in types} | on_path, True
        keep = {focus}
        frontier = {focus}
        for _ in range(depth):
            # a first, capped read: a hub's links often show the view is too big already
            cap = _LINK_CAP_PER_NODE * limit
            rows = links(store, frontier, limit=cap)
            partial = len(rows) >= cap
            while True:
                reached = set()
                for s, _, o in rows:
                    if s in frontier:
                        reached.add(o)
                    if o in frontier:
                        reached.add(s)
                reached = sorted(reached - keep)
                found = set()
                for start in range(0, len(reached), _KIND_CHUNK):
                    chunk = reached[start:start + _KIND_CHUNK]
                    kinds = self._kinds(chunk)
                    found.update(n for n in chunk if kinds[n] in types or n in on_path)
                    if len(keep | found | on_path) > limit:
                        return keep | found | on_path, False
                if not partial:
                    break
                rows, partial = links(store, frontier), False
            frontier = found
            if not frontier:
                break
            keep |= frontier
        return keep | on_path, True

    def read(self, drawn) -> None:
        """Read every quad about the drawn nodes."""
        default = str(DATASET_DEFAULT_GRAPH_ID)
        self._add((s, p, o, default if g is None else g) for s, p, o, g in quads_about(self.kg, drawn))


# The entities of the chosen classes, with every class of theirs (an earlier kind may win).
_ENTITIES = "SELECT DISTINCT ?s ?k WHERE { VALUES ?c { {values} } ?s a ?c FILTER(isIRI(?s)) ?s a ?k }"
#: How many reached nodes have their kinds read at a time (the search can stop between chunks).
_KIND_CHUNK = 2000
#: A focus level's links are first read up to this many per allowed node (see _StoreFacts.drawn).
_LINK_CAP_PER_NODE = 10


class _Placeholder:
    """Stands for a set of ``n`` nodes that was counted, not read (only its size is asked)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n


def _count_drawable(store, types) -> int:
    """How many entities' first drawable kind is among ``types``, counted by Oxigraph.

    The members of the chosen classes are counted, less those whose first
    kind (in ``ALL_TYPES`` order) was not chosen: only the members of the
    unchosen classes that come before a chosen one are read for that.
    """
    chosen = values(str(KINDS[kind]) for kind in types)
    ((n,),) = select_iris(store, _COUNT.replace("{values}", chosen))
    last = max(ALL_TYPES.index(kind) for kind in types)
    earlier = [str(KINDS[k]) for k in ALL_TYPES[:last] if k not in types]
    if not earlier:
        return int(n)
    classes: dict[str, set] = defaultdict(set)
    for s, k in select_iris(store, _ENTITIES.replace("{values}", values(earlier))):
        if s is not None and k is not None:
            classes[s].add(k)
    wanted = {str(KINDS[kind]) for kind in types}
    hidden = sum(1 for cs in classes.values() if cs & wanted and _first_kind(cs) not in types)
    return int(n) - hidden


_COUNT = "SELECT (STR(COUNT(DISTINCT ?s)) AS ?n) WHERE { VALUES ?c { {values} } ?s a ?c FILTER(isIRI(?s)) }"


def _first_kind(classes) -> str | None:
    """The first kind in ``ALL_TYPES`` order among ``classes`` (IRI strings), or None."""
    names = {str(c) for c in classes}
    return next((kind for kind in ALL_TYPES if str(KINDS[kind]) in names), None)


def _neighbourhood(facts: _Facts, drawn: set, focus: str, depth: int) -> set:
    """``focus`` and the drawn nodes within ``depth`` edges of it, either direction."""
    adjacency: dict[str, set] = defaultdict(set)
    for s, _, o in facts.links:
        if s in drawn and o in drawn:
            adjacency[s].add(o)
            adjacency[o].add(s)
    keep = {focus}
    frontier = {focus}
    for _ in range(depth):
        frontier = {m for n in frontier for m in adjacency[n]} - keep
        if not frontier:
            break
        keep |= frontier
    return keep


def _layout(nodes: list, edges: list[tuple], *, seed: int) -> dict:
    """Seeded positions in vis pixels: each connected part laid out alone, then packed.

    A part of up to ``_FORCEATLAS_LIMIT`` nodes gets networkx's
    ``forceatlas2_layout``, up to ``_SPRING_LIMIT`` its ``spring_layout``
    (faster), and a bigger one :func:`_large_layout`. Each part is turned so
    its longer axis lies across the screen and sized by the square root of
    its node count; parts are packed in rows, biggest first, so isolated
    nodes line up beside the main picture instead of being flung to its edges.
    """
    import networkx as nx

    if not nodes:
        return {}
    rank = {n: i for i, n in enumerate(nodes)}
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from((a, b) for a, b in edges if a != b)
    parts = sorted((sorted(c, key=rank.__getitem__) for c in nx.connected_components(g)),
                   key=lambda c: (-len(c), rank[c[0]]))
    cell = 110.0  # pixels per node, roughly, along the longer side of a part
    placed = []  # (positions relative to the part's top left corner, width, height)
    for part in parts:
        if len(part) == 1:
            placed.append(({part[0]: (cell / 2, cell / 2)}, cell, cell))
            continue
        if len(part) <= _FORCEATLAS_LIMIT:
            # ForceAtlas2 with "dissuade hubs" and node sizes (no overlaps) keeps
            # each role or posting among its own skills; its cost grows fast.
            unit = nx.forceatlas2_layout(g.subgraph(part), seed=seed, max_iter=200,
                                         distributed_action=True, scaling_ratio=3.0,
                                         node_size={n: 3 for n in part})
        elif len(part) <= _SPRING_LIMIT:
            unit = nx.spring_layout(g.subgraph(part), seed=seed)
        else:
            unit = _large_layout(g, part, seed=seed)  # g: a part has no edges leaving it
        points = _landscape([(float(unit[n][0]), float(unit[n][1])) for n in part])
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        extent = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        scale = cell * 1.6 * math.sqrt(len(part)) / extent
        margin = cell / 2
        positions = {n: (margin + (px - min(xs)) * scale, margin + (py - min(ys)) * scale)
                     for n, (px, py) in zip(part, points)}
        placed.append((positions, (max(xs) - min(xs)) * scale + 2 * margin,
                       (max(ys) - min(ys)) * scale + 2 * margin))
    row_width = max(max(w for _, w, _ in placed), math.sqrt(sum(w * h for _, w, h in placed)) * 1.3)
    out = {}
    x = y = row_height = 0.0
    for positions, width, height in placed:
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        for n, (px, py) in positions.items():
            out[n] = (round(x + px, 1), round(y + py, 1))
        x += width
        row_height = max(row_height, height)
    return out


def _landscape(points: list[tuple]) -> list[tuple]:
    """``points`` turned about their centre so that their principal axis is horizontal."""
    n = len(points)
    cx = sum(p[0] for p in points) / n
    cy = sum(p[1] for p in points) / n
    sxx = sum((p[0] - cx) ** 2 for p in points)
    syy = sum((p[1] - cy) ** 2 for p in points)
    sxy = sum((p[0] - cx) * (p[1] - cy) for p in points)
    angle = 0.5 * math.atan2(2 * sxy, sxx - syy)  # direction of the largest spread
    cos, sin = math.cos(-angle), math.sin(-angle)
    return [((x - cx) * cos - (y - cy) * sin, (x - cx) * sin + (y - cy) * cos) for x, y in points]


def _large_layout(g, nodes: list, *, seed: int) -> dict:
    """Positions for ``nodes``, a connected part of ``g`` too big for a full spring layout.

    ``spring_layout``'s cost grows with the square of the nodes (16 s for
    2,000 here), so only the ``_SPRING_LIMIT`` best-connected nodes get it;
    every other node is then placed, breadth first, near the mean of its
    placed neighbours, at a seeded random offset.
    """
    import networkx as nx

    rank = {n: i for i, n in enumerate(nodes)}
    core = sorted(nodes, key=lambda n: (-g.degree(n), rank[n]))[:_SPRING_LIMIT]
    pos = {n: (float(p[0]), float(p[1]))
           for n, p in nx.spring_layout(nx.Graph(g.subgraph(core)), seed=seed).items()}
    rng = random.Random(seed)
    spread = 1.5 / math.sqrt(len(core))
    frontier = sorted(core, key=rank.__getitem__)
    while frontier:
        following = []
        for n in frontier:
            for m in sorted(g[n], key=rank.__getitem__):
                if m in pos:
                    continue
                placed = [pos[k] for k in g[m] if k in pos]
                cx = sum(p[0] for p in placed) / len(placed)
                cy = sum(p[1] for p in placed) / len(placed)
                angle = rng.uniform(0, 2 * math.pi)
                radius = spread * (0.5 + rng.random())
                pos[m] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
                following.append(m)
        frontier = following
    return pos


# -- HTML ----------------------------------------------------------------------

_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _json_for_script(data) -> str:
    """JSON that cannot end or confuse the ``<script>`` element it sits in."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)


def _asset(name: str) -> str:
    """A file of the vis-network copy that pyvis ships, checked to be safe to inline."""
    # find_spec locates the installed package without importing it (importing
    # pyvis pulls in IPython and costs a quarter of a second).
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise CareerGraphError("pyvis is not installed: careergraph's pages inline the "
                               "vis-network copy that pyvis 0.3.2 ships")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_VIS_ASSET, name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CareerGraphError(f"cannot read vis-network from pyvis ({path}): {err.strerror}") from err
    lowered = text.lower()
    for bad in ("</script", "<!--", "</style"):
        if bad in lowered:
            raise CareerGraphError(f"pyvis's {name} contains {bad!r} and cannot be inlined safely")
    return text


def render_html(view: GraphView) -> str:
    """The page drawing ``view``: one HTML file with everything inline.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> page = render_html(graph_view(load(), focus="skill:dart", depth=0))
    >>> page.startswith("<!DOCTYPE html>"), page.count("</script>"), " src=" in page.split("<script")[0]
    (True, 3, False)
    """
    from jinja2 import Environment
    from markupsafe import Markup

    template_text = (files("careergraph.graph") / "templates" / "graph.html").read_text(
        encoding="utf-8")
    env = Environment(autoescape=True, keep_trailing_newline=True)
    page = env.from_string(template_text).render(
        title=view.title,
        vis_css=Markup(_asset("vis-network.css")),
        vis_js=Markup(_asset("vis-network.min.js")),
        data_json=Markup(_json_for_script(view.as_dict())),
        csp_scripts=Markup("__CSP_SCRIPT_HASHES__"),
    )
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _SCRIPT.findall(page))
    return page.replace("__CSP_SCRIPT_HASHES__", hashes, 1)


def write_html(view: GraphView, path) -> Path:
    """Write :func:`render_html` of ``view`` to ``path`` atomically and return the path.

    The page goes to a temporary file beside ``path`` that then replaces it,
    so a reader never sees half a page and a failure leaves the old file.

    Raises
    ------
    CareerGraphError
        The file cannot be written (the message names it).
    """
    path = Path(path)
    html = render_html(view)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(tmp, path)
    except OSError as err:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise CareerGraphError(f"cannot write {path}: {err.strerror or err}") from err
    return path
