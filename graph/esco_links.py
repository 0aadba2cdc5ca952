"""Propose ``skos:closeMatch`` links from careergraph's skills to ESCO skills, by label."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG, ESCO

from .importing import new_graph
from .resolve import loose, normalize

__all__ = ["LinkProposal", "link_esco", "links_graph"]

_LABELS = (SKOS.prefLabel, SKOS.altLabel)
_WORD = re.compile(r"\w+")
_STOP = {"and", "or", "of", "the", "in", "for", "to", "a", "an", "with", "use", "using", "on"}


@dataclass(frozen=True, order=True)
class LinkProposal:
    """A proposed ``skill skos:closeMatch esco_skill``.

    ``how`` is ``"exact"`` when a label of each is the same once case,
    spacing and punctuation are ignored (score 1.0), ``"close"`` otherwise,
    with ``score`` the similarity (0-1) of the two closest labels, which
    ``skill_form`` and ``esco_form`` are.
    """

    skill: URIRef
    esco_skill: URIRef
    score: float
    how: str
    skill_label: str
    esco_label: str
    skill_form: str
    esco_form: str

    def as_dict(self) -> dict:
        return {"skill": str(self.skill), "skill_label": self.skill_label,
                "esco_skill": str(self.esco_skill), "esco_label": self.esco_label,
                "how": self.how, "score": round(self.score, 3),
                "skill_form": self.skill_form, "esco_form": self.esco_form}


def _labels(graph, node) -> list[str]:
    out = []
    for prop in _LABELS:
        for value in graph.objects(node, prop):
            if getattr(value, "language", None) in (None, "en") or not out:
                out.append(" ".join(str(value).split()))
    return out


def _pref(graph, node) -> str:
    values = sorted(graph.objects(node, SKOS.prefLabel))
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    return str((english or values or [node])[0])


def _tokens(text: str) -> set[str]:
    return {t for t in _WORD.findall(normalize(text)) if t not in _STOP}


def link_esco(kg, esco_graph, *, cutoff: float = 0.8, limit: int = 3) -> list[LinkProposal]:
    """Propose links from the graph's own skills to ESCO skills with the same or a close label.

    Every skill of ``kg`` that is not itself an ESCO skill is compared with
    every ``esco:Skill`` of ``esco_graph`` on their ``skos:prefLabel`` and
    ``skos:altLabel``. Exact matches (equal once case, spacing and
    punctuation are ignored) come first; a skill without one gets up to
    ``limit`` close matches: ESCO labels sharing a word with one of its
    labels, scored by string similarity, kept when the score reaches
    ``cutoff``. Nothing is written: the caller reviews the proposals and
    passes the accepted ones to :func:`links_graph`.

    Parameters
    ----------
    kg : KnowledgeGraph
    esco_graph : rdflib.Graph or KnowledgeGraph
        ESCO skills, such as the output of :func:`~careergraph.graph.import_esco.import_esco`.
    cutoff : float
        The lowest similarity (0-1) a close match needs.
    limit : int
        The most close matches proposed per skill.

    Returns
    -------
    list of LinkProposal
        Sorted by skill, then exact before close, then by falling score.
    """
    esco = getattr(esco_graph, "graph", esco_graph)
    exact: dict[str, set] = {}
    by_token: dict[str, set] = {}
    forms: dict[URIRef, list[str]] = {}
    for node in set(esco.subjects(RDF.type, ESCO.Skill)):
        if not isinstance(node, URIRef):
            continue
        forms[node] = _labels(esco, node)
        for form in forms[node]:
            exact.setdefault(loose(form), set()).add((node, form))
            for token in _tokens(form):
                by_token.setdefault(token, set()).add((node, form))
    ours = sorted({s for s in kg.graph.subjects(RDF.type, CG.Skill)
                   if isinstance(s, URIRef) and (s, RDF.type, ESCO.Skill) not in kg.graph})
    proposals: list[LinkProposal] = []
    for skill in ours:
        labels = _labels(kg.graph, skill)
        found: dict[URIRef, tuple[float, str, str]] = {}
        for label in labels:
            for node, form in exact.get(loose(label), ()):
                found.setdefault(node, (1.0, label, form))
        if found:
            for node, (score, mine, theirs) in found.items():
                proposals.append(LinkProposal(skill, node, score, "exact", kg.label(skill),
                                              _pref(esco, node), mine, theirs))
            continue
        close: dict[URIRef, tuple[float, str, str]] = {}
        for label in labels:
            key = normalize(label)
            candidates = set()
            for token in _tokens(label):
                candidates |= by_token.get(token, set())
            for node, form in candidates:
                score = difflib.SequenceMatcher(None, key, normalize(form)).ratio()
                if score >= cutoff and score > close.get(node, (0.0,))[0]:
                    close[node] = (score, label, form)
        best = sorted(close.items(), key=lambda item: (-item[1][0], str(item[0])))[:limit]
        for node, (score, mine, theirs) in best:
            proposals.append(LinkProposal(skill, node, score, "close", kg.label(skill),
                                          _pref(esco, node), mine, theirs))
    return sorted(proposals, key=lambda p: (str(p.skill), p.how != "exact", -p.score, str(p.esco_skill)))


def links_graph(proposals) -> Graph:
    """The accepted ``proposals`` as ``skill skos:closeMatch esco_skill`` triples."""
    graph = new_graph()
    for proposal in proposals:
        graph.add((proposal.skill, SKOS.closeMatch, proposal.esco_skill))
    return graph
