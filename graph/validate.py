"""Validate a knowledge graph: SHACL shapes plus careergraph's own graph checks."""

from __future__ import annotations

from rdflib import Graph, URIRef

from careergraph.ontology import shapes_path

from .checks import find_cycles, unpriced_requirements
from .models import Problem
from .store import _graph_name

__all__ = ["validate"]


def _file_of(kg, node) -> str:
    """The file that states most about ``node``: user files before bundled ones."""
    files = {src.iri: src for src in kg.sources}
    for pattern in ((node, None, None, None), (None, None, node, None)):
        ranked = sorted(
            (0 if src.kind == "user" else 1, src.file)
            for src in (files.get(_graph_name(ctx)) for *_, ctx in kg.dataset.quads(pattern))
            if src is not None
        )
        if ranked:
            return ranked[0][1]
    return "-"


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
    """
    problems: set[Problem] = set()
    if shapes:
        import pyshacl
        from rdflib.namespace import SH
        from rdflib import RDF

        data = Graph()
        for triple in kg.graph.triples((None, None, None)):
            data.add(triple)
        shacl = Graph().parse(shapes_path(), format="turtle")
        _, report, _ = pyshacl.validate(data, shacl_graph=shacl, allow_warnings=True)
        for result in report.subjects(RDF.type, SH.ValidationResult):
            focus = report.value(result, SH.focusNode)
            message = str(report.value(result, SH.resultMessage) or "does not conform")
            value = report.value(result, SH.value)
            if value is not None and value != focus:
                message += f" (value: {kg.curie(value) if isinstance(value, URIRef) else value})"
            severity = "warning" if report.value(result, SH.resultSeverity) != SH.Violation else "error"
            problems.add(Problem(_file_of(kg, focus), kg.curie(focus), message, severity))
    for cycle, relation in find_cycles(kg):
        chain = " -> ".join(kg.curie(n) for n in cycle)
        problems.add(Problem(_file_of(kg, cycle[0]), kg.curie(cycle[0]), f"{relation} cycle: {chain}"))
    for skill in unpriced_requirements(kg):
        problems.add(Problem(_file_of(kg, skill), kg.curie(skill),
                             "required skill has no effort hours and no narrower skill to learn instead: "
                             "learning paths cannot price it", "warning"))
    return sorted(problems)
