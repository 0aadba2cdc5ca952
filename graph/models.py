"""Result dataclasses returned by the library (never printed by it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

__all__ = ["SourceInfo", "Info", "Problem"]


@dataclass(frozen=True)
class SourceInfo:
    """One source of facts: a named graph of the knowledge graph.

    ``kind`` is ``"ontology"``, ``"seed"``, ``"curated"`` or ``"user"``.
    """

    iri: URIRef
    label: str
    kind: str
    file: str
    triples: int

    def as_dict(self) -> dict:
        return {"iri": str(self.iri), "label": self.label, "kind": self.kind,
                "file": self.file, "triples": self.triples}


@dataclass(frozen=True)
class Info:
    """What ``careergraph info`` reports: entity counts, triples, sources."""

    counts: dict[str, int]
    triples: int
    sources: list[SourceInfo] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"counts": dict(self.counts), "triples": self.triples,
                "sources": [s.as_dict() for s in self.sources]}


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding. Sorted by file, entity, message.

    ``severity`` is ``"error"`` (the data is wrong) or ``"warning"``
    (the data is usable but something will be missing, such as a price).
    """

    file: str
    entity: str
    message: str
    severity: str = "error"

    def as_dict(self) -> dict:
        return {"file": self.file, "entity": self.entity, "message": self.message,
                "severity": self.severity}
