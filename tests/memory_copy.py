"""A workspace's quads copied into rdflib's memory store: the whole-graph code path, to compare with."""

from __future__ import annotations

__all__ = ["memory_copy", "memory_explainer", "answer"]


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


def answer(call):
    """``call()``, or the careergraph error it raises as ``"ErrorName: message"`` (to compare answers)."""
    from careergraph.graph.errors import CareerGraphError

    try:
        return call()
    except CareerGraphError as err:
        return f"{type(err).__name__}: {err}"


def memory_explainer(memory):
    """``run(a, b)``: :func:`~careergraph.graph.explain.explain` on ``memory`` by networkx's whole-graph
    search (the plain path), as a dict or an error text."""
    from careergraph.graph import explain as explain_module
    from careergraph.graph.convert import knowledge_graph

    multi = knowledge_graph(memory)
    original = explain_module.knowledge_graph

    def run(a, b):
        explain_module.knowledge_graph = lambda _: multi
        try:
            return answer(lambda: explain_module.explain(memory, a, b).as_dict())
        finally:
            explain_module.knowledge_graph = original

    return run
