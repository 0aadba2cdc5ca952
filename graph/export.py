"""Export the knowledge graph, or the neighbourhood of one entity, as RDF, GraphML or GEXF."""

from __future__ import annotations

import io
import re

from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from careergraph.ontology import PREFIXES

from .errors import UsageError, ViewTooBigError
from .importing import serialize
from .native import select_tsv
from .neighbourhood import CHUNK, iri_ref, is_store_backed, values

__all__ = ["export", "EXPORT_FORMATS", "FOCUS_MAX_NODES", "subgraph"]

#: Export formats and, for RDF ones, the rdflib serializer.
EXPORT_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig",
                  "graphml": None, "gexf": None}

#: The command line's limit on a ``--focus`` neighbourhood (``export --max-nodes``). On the L
#: benchmark workspace a skill 20,000 postings require has 25,533 nodes within one link (about
#: 100,000 triples, 5 s); the top skill 88,420 (350,695 triples, 19 s); within two links of the
#: top skill, 192,794 nodes gave 1.66 million triples (223 MB of N-Triples) in 125 s.
FOCUS_MAX_NODES = 50_000


def _sources(kg, bundled: bool) -> list[URIRef]:
    """The named graphs to export: every source, or the user's only."""
    from .store import ONTOLOGY_GRAPH

    names = []
    for src in kg.sources:
        if src.iri == ONTOLOGY_GRAPH and not bundled:
            continue
        if bundled or src.kind == "user":
            names.append(src.iri)
    return names


def _neighbourhood(kg, graphs: list[Graph], focus: URIRef, depth: int) -> set:
    """The IRIs within ``depth`` links of ``focus``, ignoring rdf:type."""
    seen = {focus}
    frontier = {focus}
    for _ in range(depth):
        nxt = set()
        for node in frontier:
            for g in graphs:
                for p, o in g.predicate_objects(node):
                    if p != RDF.type and isinstance(o, URIRef) and o not in seen:
                        nxt.add(o)
                for s, p in g.subject_predicates(node):
                    if p != RDF.type and isinstance(s, URIRef) and s not in seen:
                        nxt.add(s)
        seen |= nxt
        frontier = nxt
    return seen


def subgraph(kg, *, focus=None, depth: int = 1, bundled: bool = True, max_nodes: int | None = None) -> Dataset:
    """The named graphs to export, cut down to ``focus``'s neighbourhood when given.

    With ``focus``, a triple is kept when its subject lies within ``depth``
    links of the focus (following links either way, never through
    ``rdf:type``) and its object is a literal, a class (``rdf:type``), or
    within reach too. The bookkeeping that :func:`load` adds about user
    files (``cg:UserData`` descriptions in the default graph) is left out.

    On a workspace, with ``focus``, Oxigraph is asked for one level of the
    neighbourhood at a time and then for the quads about the nodes kept
    (read as SPARQL TSV and parsed as N-Quads); the rdflib Dataset of the
    whole store is never made. :func:`export` writes an RDF format of such
    a neighbourhood with Oxigraph, without this Dataset either.

    ``max_nodes`` (with ``focus``) refuses a neighbourhood of more nodes
    than that with :class:`ViewTooBigError` before any triple is read
    (see :func:`export`).
    """
    if depth < 0:
        raise UsageError(f"depth must be 0 or more, not {depth}")
    names = _sources(kg, bundled)
    if focus is not None and is_store_backed(kg):
        focus_iri = _focus_iri(kg, focus)
        keep = _checked_store_neighbourhood(kg, names, focus_iri, depth, max_nodes)
        return _store_subgraph(kg, names, keep)
    # a view of each named graph: Dataset.graph(name) would add the graph, which a read-only store refuses
    graphs = [Graph(store=kg.dataset.store, identifier=name) for name in names]
    keep = None
    if focus is not None:
        focus_iri = _focus_iri(kg, focus)
        keep = _neighbourhood(kg, graphs, focus_iri, depth)
        if max_nodes is not None and len(keep) > max_nodes:
            about = sum(1 for g in graphs if g.identifier != DATASET_DEFAULT_GRAPH_ID
                        for node in keep for _ in g.predicate_objects(node))
            raise _too_big(kg, focus_iri, depth, len(keep), (about, True), max_nodes, complete=True)
    out = Dataset()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True, replace=True)
    for name, g in zip(names, graphs):
        if name == DATASET_DEFAULT_GRAPH_ID:
            continue
        target = None
        for s, p, o in g:
            if keep is not None and (s not in keep or not (
                    isinstance(o, Literal) or p == RDF.type or o in keep)):
                continue
            if target is None:
                target = out.graph(name)
            target.add((s, p, _plain(o)))
    return out


# One branch of a level of the neighbourhood: the other end of every link (rdf:type left out)
# that touches the frontier, in the named graphs that are not left out. Only that end is
# written (Oxigraph looks up the text of every IRI it writes); which cells are IRIs is told
# from the TSV text, as isIRI() would look each one up as well.
_LEVEL = {
    "out": f"SELECT ?o WHERE {{ VALUES ?s {{ {{values}} }} GRAPH ?g {{ ?s ?p ?o }} "
           f"FILTER(?p != <{RDF.type}>{{graphs}}) }}",
    "in": f"SELECT ?s WHERE {{ VALUES ?o {{ {{values}} }} GRAPH ?g {{ ?s ?p ?o }} "
          f"FILTER(?p != <{RDF.type}>{{graphs}}) }}",
}


def _other_graphs(store, names: list) -> str:
    """A FILTER tail leaving out the store's named graphs that are not among ``names``."""
    wanted = {str(n) for n in names}
    others = sorted(g.value for g in store.named_graphs() if g.value not in wanted)
    return "".join(f" && ?g != {iri_ref(g)}" for g in others)


def _store_neighbourhood(kg, names: list, focus: str, depth: int, *, limit: int | None = None
                         ) -> tuple[set, bool]:
    """:func:`_neighbourhood` in a workspace's store: two queries per level (a chunk of the
    frontier at a time), in the graphs ``names``; and whether the set is complete.

    With ``limit``, reading stops after the first query that brings the set
    over it: the set returned then holds more than ``limit`` nodes but is
    not complete (a hub's one level of 80,000 postings is read in about
    half a second on L; the neighbourhood two links from it, 193,000 nodes
    in 27 s).
    """
    store = kg._oxigraph
    graphs = _other_graphs(store, names)
    seen = {focus}
    frontier = {focus}
    for _ in range(depth):
        if not frontier:
            break
        nodes = sorted(frontier)
        nxt = set()
        for template in _LEVEL.values():
            template = template.replace("{graphs}", graphs)
            for start in range(0, len(nodes), CHUNK):
                data = select_tsv(store, template.replace("{values}", values(nodes[start:start + CHUNK])))
                nxt.update(cell[1:-1] for cell in data.decode("utf-8").split("\n")[1:] if cell[:1] == "<")
                if limit is not None and len(seen | nxt) > limit:
                    return seen | nxt, False
        nxt -= seen
        seen |= nxt
        frontier = nxt
    return seen, True


def _checked_store_neighbourhood(kg, names: list, focus, depth: int, max_nodes: int | None) -> set:
    """:func:`_store_neighbourhood`, refused with :class:`ViewTooBigError` when over ``max_nodes``."""
    keep, complete = _store_neighbourhood(kg, names, str(focus), depth, limit=max_nodes)
    if max_nodes is not None and len(keep) > max_nodes:
        raise _too_big(kg, focus, depth, len(keep), _store_count_about(kg, names, keep), max_nodes,
                       complete=complete)
    return keep


#: Nodes whose quads :func:`_store_count_about` counts: beyond, a sample of this many, scaled.
_COUNT_SAMPLE = 5000


def _store_count_about(kg, names: list, nodes) -> tuple[int, bool]:
    """How many quads of the graphs ``names`` have one of ``nodes`` as subject, and whether that is
    exact: counted by Oxigraph for up to :data:`_COUNT_SAMPLE` nodes, else for an evenly spread
    sample of them and scaled (counting every quad of 88,000 nodes took 5-8 s on L, 1.6 million
    quads; the sample a tenth of a second)."""
    store = kg._oxigraph
    tail = _other_graphs(store, names)
    where = f"FILTER({tail[4:]})" if tail else ""
    nodes = sorted(nodes)
    step = -(-len(nodes) // _COUNT_SAMPLE)  # every step-th node: at most _COUNT_SAMPLE of them
    sample = nodes[::step]
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?s {{ {values(sample)} }} GRAPH ?g {{ ?s ?p ?o }} {where} }}"
    counted = sum(int(cell.split("^^")[0].strip('"')) for (cell,) in _tsv(store, text))
    if step == 1:
        return counted, True
    return round(counted * len(nodes) / len(sample)), False


def _too_big(kg, focus, depth: int, nodes: int, about: tuple[int, bool], limit: int, *,
             complete: bool) -> ViewTooBigError:
    """The one-line refusal of a ``--focus`` export over its node limit: the size, and what to do.

    ``about`` is the number of triples about the nodes and whether it is exact
    (else an estimate, shown with ``~`` and two significant digits).
    """
    lower = f"--depth {depth - 1}, " if depth > 0 else ""
    links = "link" if depth == 1 else "links"
    triples, exact = about
    shown = f"{triples:,}" if exact else f"~{float(f'{triples:.2g}'):,.0f}"
    return ViewTooBigError(
        f"the neighbourhood of {kg.curie(focus)} within {depth} {links} has {'' if complete else 'at least '}"
        f"{nodes:,} nodes ({shown} triples about them), more than the limit of {limit:,} (--max-nodes): "
        f"export {lower}raise --max-nodes, or export everything without --focus (streamed)", nodes=nodes)


def _store_subgraph(kg, names: list, keep: set) -> Dataset:
    """:func:`subgraph` around a focus in a workspace: the quads about its neighbourhood ``keep``."""
    out = Dataset()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True, replace=True)
    text = _nquads(_focus_lines(kg, names, keep))
    if text:
        out.parse(data=text, format="nquads")
    return out


# The quads :func:`subgraph` keeps about the nodes, in one named graph, as SPARQL TSV cells, in
# two parts. Oxigraph turns each IRI cell back into text (a lookup), and that is most of the
# time: so the links between the nodes are found from their objects' side (a posting's
# many links to skills outside the neighbourhood are never turned into text); the classes
# and the literals are read in one pass over the nodes' quads, rdf:type tested first (isLiteral
# looks up the object's text, a comparison of IRIs does not). Objects known to be IRIs (the
# skills of a saved compiled index: a posting's dozen requirements) are matched by a join on
# Oxigraph's term codes and never tested (L, 20,000 postings side by side on a busy host:
# 3.1 s where the test on every object took 5.5 s).
_ABOUT = {
    "about": f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {{values}} }} GRAPH {{graph}} {{ ?s ?p ?o }} {{known}}"
             f"FILTER(?p = <{RDF.type}> || {{literal}}) }}",
    "link": f"SELECT ?s ?p ?o WHERE {{ VALUES ?o {{ {{values}} }} GRAPH {{graph}} {{ ?s ?p ?o }} "
            f"FILTER(?p != <{RDF.type}>) }}",
}

_XSD = "http://www.w3.org/2001/XMLSchema#"
# Turtle's short forms, which SPARQL TSV uses for numbers and booleans.
_SHORT_LITERALS = ((re.compile(r"[+-]?[0-9]+"), "integer"), (re.compile(r"[+-]?[0-9]*\.[0-9]+"), "decimal"),
                   (re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+"), "double"),
                   (re.compile(r"true|false"), "boolean"))


def _nt_object(cell: str) -> str:
    """A TSV cell as an N-Triples object (TSV may write ``1``, ``2.5`` or ``true`` bare)."""
    if cell[:1] in ('"', "<") or cell.startswith("_:"):
        return cell
    for pattern, name in _SHORT_LITERALS:
        if pattern.fullmatch(cell):
            return f'"{cell}"^^<{_XSD}{name}>'
    raise ValueError(f"unexpected SPARQL TSV term: {cell!r}")


def _tsv(store, query: str) -> list[list[str]]:
    """The rows of a SELECT as lists of TSV cells (terms as SPARQL TSV writes them)."""
    return [row.split("\t") for row in select_tsv(store, query).decode("utf-8").split("\n")[1:] if row]


#: From this many nodes on, the about-query matches the known IRIs first (see _ABOUT).
_KNOWN_FROM = 1000


def _known_iris(kg) -> list:
    """IRIs the store holds that are certainly no literal: the skills of the workspace's saved index."""
    folder = getattr(kg, "index_folder", None)
    if folder is None or not hasattr(kg, "index_key"):
        return []
    from .index import load_index

    index = load_index(folder, kg.index_key())
    return list(index.skills) if index is not None else []


def _focus_lines(kg, names: list, keep: set) -> list[tuple[str, str]]:
    """``(graph IRI, N-Triples line)`` for each quad :func:`subgraph` keeps about the neighbourhood
    ``keep`` (IRIs as strings) in a workspace.

    The quads are read as SPARQL TSV (terms written by Oxigraph, in Rust)
    and never become rdflib terms.
    """
    store = kg._oxigraph
    nodes = sorted(keep)
    refs = {f"<{n}>" for n in keep}
    iris = _known_iris(kg) if len(nodes) > _KNOWN_FROM else []
    known = f"OPTIONAL {{ VALUES (?o ?known) {{ {' '.join(f'({iri_ref(i)} 1)' for i in iris)} }} }} " if iris else ""
    literal = "(!BOUND(?known) && isLiteral(?o))" if iris else "isLiteral(?o)"
    lines = []
    for name in names:
        if name == DATASET_DEFAULT_GRAPH_ID:
            continue
        graph = iri_ref(name)
        if not _tsv(store, f"SELECT ?s WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT 1"):
            continue  # an empty source: no need to look up each node in it
        # per source: its literals, then its classes, then its links (Oxigraph's writers
        # keep this order, so the text stays what it was when these were three queries)
        literals, classes, links = [], [], []
        for part, template in _ABOUT.items():
            template = template.replace("{graph}", graph).replace("{known}", known).replace("{literal}", literal)
            for start in range(0, len(nodes), CHUNK):
                for s, p, o in _tsv(store, template.replace("{values}", values(nodes[start:start + CHUNK]))):
                    if part == "link":
                        if s in refs:
                            links.append(f"{s} {p} {o} .\n")
                    elif o[:1] == "<" or o[:2] == "_:":
                        classes.append(f"{s} {p} {o} .\n")
                    else:
                        literals.append(f"{s} {p} {_nt_object(o)} .\n")
        name = str(name)
        lines += [(name, line) for part in (literals, classes, links) for line in part]
    return lines


def _store_focus_export(kg, fmt: str, names: list, keep: set) -> str:
    """:func:`export` of ``focus``'s neighbourhood from a workspace, written by Oxigraph.

    The same triples as :func:`subgraph` gives, without an rdflib term:
    ``nt``, ``ttl`` and ``jsonld`` write the union (each triple once),
    ``trig`` one graph per source (the README gives measured times).
    """
    import pyoxigraph as ox

    lines = _focus_lines(kg, names, keep)
    out = ox.Store()
    if fmt == "trig":
        out.load(_nquads(lines), format=ox.RdfFormat.N_QUADS)
        return out.dump(format=ox.RdfFormat.TRIG, prefixes=_OX_PREFIXES).decode("utf-8")
    out.load("".join(dict.fromkeys(line for _, line in lines)), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "nt":
        return out.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode("utf-8")
    return out.dump(format=getattr(ox.RdfFormat, _OX_FORMATS[fmt]), from_graph=ox.DefaultGraph(),
                    prefixes=_OX_PREFIXES).decode("utf-8")


#: The formats a workspace's whole export is written in by Oxigraph itself.
_OX_FORMATS = {"nt": "N_TRIPLES", "ttl": "TURTLE", "trig": "TRIG", "jsonld": "JSON_LD"}
_OX_PREFIXES = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


def _nquads(lines) -> str:
    """``(graph, N-Triples line)`` pairs as N-Quads text."""
    return "".join(f"{line[:-2]} <{g}> .\n" for g, line in lines)


def _focus_iri(kg, focus):
    """``focus`` as an IRI: given as one, or resolved by name."""
    return focus if isinstance(focus, URIRef) else kg.resolve(str(focus))


def _store_export(kg, fmt: str, names: list) -> str:
    """The whole export of a workspace, written by Oxigraph (no rdflib term is made).

    Each source graph is dumped as N-Triples in Rust; ``nt`` keeps each line
    once (the union of the sources), ``trig`` wraps each graph's lines in a
    graph block, and ``ttl``/``jsonld`` go through an in-memory Oxigraph store
    (the union, written with careergraph's prefixes). Blank nodes keep the
    store's labels, so a node two sources share stays one node. On the L
    benchmark data this takes about a minute, where building the rdflib
    Dataset did not finish in five.
    """
    import pyoxigraph as ox

    store = kg._oxigraph
    parts = [(name, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(name))))
             for name in names]
    if fmt == "nt":
        return "".join(dict.fromkeys(line for _, data in parts
                                     for line in data.decode("utf-8").splitlines(keepends=True)))
    if fmt == "trig":
        return "".join(f"<{name}> {{\n{data.decode('utf-8')}}}\n" for name, data in parts if data)
    union = ox.Store()
    for _, data in parts:
        union.load(data, format=ox.RdfFormat.N_TRIPLES)
    return union.dump(format=getattr(ox.RdfFormat, _OX_FORMATS[fmt]), from_graph=ox.DefaultGraph(),
                      prefixes=_OX_PREFIXES).decode("utf-8")


_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


def _plain(term):
    """A literal typed xsd:string as the plain literal it equals in RDF 1.1.

    Oxigraph (a workspace) reads plain literals back with the explicit type, so
    without this an export from a workspace would not be isomorphic to the file
    it came from under rdflib's comparison.
    """
    if isinstance(term, Literal) and term.datatype == _XSD_STRING and term.language is None:
        return Literal(str(term))
    return term


def _union(ds: Dataset) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _networkx(kg, graph: Graph):
    """Entities as nodes (string attributes label, type, iri), links between them as edges."""
    import networkx as nx

    from .store import KINDS

    kinds = {cls: kind for kind, cls in KINDS.items()}
    types: dict = {}
    for s, o in graph.subject_objects(RDF.type):
        if isinstance(s, URIRef):
            types.setdefault(s, []).append(o)
    g = nx.MultiDiGraph()

    def node_type(node) -> str:
        found = sorted(kinds[t] for t in types.get(node, ()) if t in kinds)
        if found:
            return found[0]
        others = sorted(kg.curie(t) for t in types.get(node, ()))
        return others[0] if others else ""

    for node in sorted(types):
        g.add_node(str(node), label=kg.label(node), type=node_type(node), iri=str(node))
    for s, p, o in sorted(graph):
        if p == RDF.type or not isinstance(o, URIRef) or s not in types or o not in types:
            continue
        name = kg.curie(p)
        g.add_edge(str(s), str(o), key=name, label=name)
    return g


def export(kg, fmt: str, *, focus=None, depth: int = 1, bundled: bool = True,
           max_nodes: int | None = None) -> str:
    """The graph (or the neighbourhood of ``focus``) as text in ``fmt``.

    Parameters
    ----------
    kg : KnowledgeGraph
    fmt : str
        ``ttl``, ``nt``, ``jsonld`` (the union of the sources, for RDF tools),
        ``trig`` (one named graph per source: provenance kept), ``graphml``
        or ``gexf`` (entities as nodes with string attributes ``label``,
        ``type`` and ``iri``, links as edges labelled with the property's
        CURIE; for Gephi, Cytoscape and yEd; the ontology's classes are left out).
    focus : str or URIRef, optional
        An entity (IRI, CURIE or label); only its neighbourhood is exported.
    depth : int
        How many links from ``focus`` the neighbourhood reaches.
    bundled : bool
        Include the bundled dataset; ``False`` exports the user's files only.
    max_nodes : int, optional
        With ``focus``: refuse a neighbourhood of more nodes (IRIs) than
        this, before reading its triples (the command line's default is
        :data:`FOCUS_MAX_NODES`). On a workspace the neighbourhood is read a
        level at a time and no further than the limit, so a refusal comes in
        seconds and may say "at least N nodes". Whole exports are never
        limited.

    Returns
    -------
    str

    Raises
    ------
    UsageError
        Unknown format or negative depth; UnknownEntityError for a focus
        that names nothing; ViewTooBigError for a neighbourhood over
        ``max_nodes`` (its message gives the nodes and the triples about
        them, and what to do).

    Examples
    --------
    >>> from careergraph.graph import load
    >>> text = export(load(), "nt", focus="skill:dart", depth=0)
    >>> "<https://w3id.org/careergraph/skill/dart>" in text
    True
    """
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt in _OX_FORMATS and is_store_backed(kg):
        names = [n for n in _sources(kg, bundled) if n != DATASET_DEFAULT_GRAPH_ID]
        if focus is None:
            return _store_export(kg, fmt, names)
        if depth < 0:
            raise UsageError(f"depth must be 0 or more, not {depth}")
        keep = _checked_store_neighbourhood(kg, names, _focus_iri(kg, focus), depth, max_nodes)
        return _store_focus_export(kg, fmt, names, keep)
    ds = subgraph(kg, focus=focus, depth=depth, bundled=bundled, max_nodes=max_nodes)
    if fmt == "trig":
        return ds.serialize(format="trig")
    if EXPORT_FORMATS[fmt] is not None:
        return serialize(_union(ds), EXPORT_FORMATS[fmt])
    import networkx as nx

    from .store import ONTOLOGY_GRAPH

    data = Graph()
    for s, p, o, c in ds.quads((None, None, None, None)):
        if c != ONTOLOGY_GRAPH and getattr(c, "identifier", c) != ONTOLOGY_GRAPH:
            data.add((s, p, o))
    g = _networkx(kg, data)
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(g, buffer, encoding="utf-8")
    else:
        nx.write_gexf(g, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")
