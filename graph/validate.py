"""Validate a knowledge graph: SHACL shapes plus careergraph's own graph checks."""

from __future__ import annotations

from rdflib import Graph, URIRef

from careergraph.ontology import shapes_path

from .checks import find_cycles, unpriced_requirements
from .models import Problem
from .shacl_sparql import Finding, check_store
from .store import _graph_name

__all__ = ["validate", "shacl_findings"]

_UNPRICED = ("required skill has no effort hours and no narrower skill to learn instead: "
             "learning paths cannot price it")


def _rank(kg) -> dict:
    """``{graph name: (0 for a user file else 1, file)}``: what :func:`_file_of` prefers, lowest first."""
    return {src.iri: (0 if src.kind == "user" else 1, src.file) for src in kg.sources}


def _file_of(kg, node) -> str:
    """The file that states most about ``node``: user files before bundled ones."""
    files = _rank(kg)
    for pattern in ((node, None, None, None), (None, None, node, None)):
        ranked = sorted(files[name] for name in (_graph_name(ctx) for *_, ctx in kg.dataset.quads(pattern))
                        if name in files)
        if ranked:
            return ranked[0][1]
    return "-"


def _files_of(kg, nodes) -> dict:
    """:func:`_file_of` of every node in ``nodes`` at once; on Oxigraph, a few bulk GRAPH lookups."""
    store = kg.oxigraph
    if store is None:
        return {node: _file_of(kg, node) for node in nodes}
    from .neighbourhood import _select

    files = {str(name): rank for name, rank in _rank(kg).items()}
    best: dict = {}
    todo = sorted({n for n in nodes if isinstance(n, URIRef)})
    for position in ("?n ?p ?o", "?s ?p ?n"):  # as the subject first; as an object only if never a subject
        query = f"SELECT DISTINCT ?n ?g WHERE {{ VALUES ?n {{ {{values}} }} GRAPH ?g {{ {position} }} }}"
        for node, graph in _select(store, query, todo):
            rank = files.get(graph)
            if rank is not None and (node not in best or rank < best[node]):
                best[node] = rank
        todo = [n for n in todo if str(n) not in best]
    out = {node: best[str(node)][1] if str(node) in best else "-" for node in nodes if isinstance(node, URIRef)}
    for node in nodes:  # blank nodes cannot be named in a query: looked up one by one
        if node not in out:
            out[node] = _blank_file_of(kg, store, node, files)
    return out


def _blank_file_of(kg, store, node, files) -> str:
    import pyoxigraph as ox

    from rdflib import BNode

    if not isinstance(node, BNode):
        return "-"
    term = ox.BlankNode(str(node))
    for pattern in ((term, None, None, None), (None, None, term, None)):
        ranked = sorted(files[q.graph_name.value] for q in store.quads_for_pattern(*pattern)
                        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in files)
        if ranked:
            return ranked[0][1]
    return "-"


def _pyshacl_findings(kg) -> set[Finding]:
    """pySHACL's results on a copy of ``kg`` in rdflib's memory store."""
    import pyshacl
    from rdflib import RDF
    from rdflib.namespace import SH

    data = Graph()
    for triple in kg.graph.triples((None, None, None)):
        data.add(triple)
    shacl = Graph().parse(shapes_path(), format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shacl, allow_warnings=True)
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        found.add(Finding(report.value(result, SH.focusNode), report.value(result, SH.value),
                          str(report.value(result, SH.resultMessage) or "does not conform"),
                          report.value(result, SH.resultSeverity)))
    return found


def shacl_findings(kg) -> set[Finding]:
    """The SHACL results of ``kg`` against careergraph's shapes.

    In Oxigraph (a workspace, ``--store``) the shapes run as SPARQL in the
    store (:mod:`careergraph.graph.shacl_sparql`): no rdflib copy is made.
    Elsewhere (an in-memory load, an endpoint's pulled copy) pySHACL runs
    on an rdflib copy; both give the same results for the same data (see
    ``tests/test_validate_scale.py``).
    """
    store = kg.oxigraph
    if store is not None:
        return check_store(store)
    return _pyshacl_findings(kg)


def validate(kg, *, shapes: bool = True) -> list[Problem]:
    """Every problem in ``kg``, sorted: SHACL violations, cycles, unpriced requirements.

    Parameters
    ----------
    kg : KnowledgeGraph
    shapes : bool
        Run the SHACL shapes (``ontology/shapes.ttl``); the graph checks always run.

    Returns
    -------
    list of Problem
        Empty when the graph conforms. Severity ``"error"`` for what is wrong,
        ``"warning"`` for what is usable but incomplete.

    Notes
    -----
    On a workspace everything is read from Oxigraph (the shapes as SPARQL,
    the graph checks and the files of the entities in bulk), so the rdflib
    ``Dataset`` of the store is never made.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> validate(load())
    []
    """
    from rdflib.namespace import SH

    if kg.oxigraph is not None:  # Oxigraph answers several queries at once
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            cycles_done, unpriced_done = pool.submit(find_cycles, kg), pool.submit(unpriced_requirements, kg)
            findings = shacl_findings(kg) if shapes else set()
            cycles, unpriced = cycles_done.result(), unpriced_done.result()
    else:
        findings = shacl_findings(kg) if shapes else set()
        cycles, unpriced = find_cycles(kg), unpriced_requirements(kg)
    files = _files_of(kg, {f.focus for f in findings} | {c[0] for c, _ in cycles} | set(unpriced))
    problems: set[Problem] = set()
    for f in findings:
        message = f.message
        if f.value is not None and f.value != f.focus:
            message += f" (value: {kg.curie(f.value) if isinstance(f.value, URIRef) else f.value})"
        severity = "warning" if f.severity != SH.Violation else "error"
        problems.add(Problem(files[f.focus], kg.curie(f.focus), message, severity))
    for cycle, relation in cycles:
        chain = " -> ".join(kg.curie(n) for n in cycle)
        problems.add(Problem(files[cycle[0]], kg.curie(cycle[0]), f"{relation} cycle: {chain}"))
    for skill in unpriced:
        problems.add(Problem(files[skill], kg.curie(skill), _UNPRICED, "warning"))
    return sorted(problems)
