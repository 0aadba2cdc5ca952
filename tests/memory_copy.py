"""A workspace's quads copied into rdflib's memory store: the whole-graph code path, to compare with."""

from __future__ import annotations

__all__ = ["memory_copy"]


def memory_copy(ws_kg):
    """A :class:`KnowledgeGraph` in memory holding the quads of ``ws_kg`` in the same named graphs,
    with the same sources."""
    from rdflib import Dataset

    from careergraph.graph.store import KnowledgeGraph
    from careergraph.ontology import PREFIXES

    ds = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    for s, p, o, g in ws_kg.dataset.quads((None, None, None, None)):
        ds.graph(getattr(g, "identifier", g)).add((s, p, o))
    return KnowledgeGraph(ds, ws_kg.sources)
